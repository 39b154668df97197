"""A quick look at one run: every target's value by year against its threshold, one panel
each (``sim.SkillsModel(...).run().plot()`` in a notebook)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.model.indicators import TARGETS


def plot_run(annual: pd.DataFrame, title: str = "") -> Figure:
    """A 3-column grid of the run's targets: value by year, threshold dashed, met years filled."""
    targets = [t for t in TARGETS if t in set(annual["target"])]
    cols = 3
    rows = max(1, -(-len(targets) // cols))
    fig = Figure(figsize=(11, 2.6 * rows + 0.5), dpi=100)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, target in zip(axes.flat, targets):
        g = annual[annual["target"] == target].sort_values("year")
        share = bool(pd.concat([g["value"], g["threshold"]]).between(0, 1).all())
        ax.plot(g["year"], g["value"], "-", color="#2b6cb0", lw=1.8)
        met = g[g["met"]]
        ax.plot(met["year"], met["value"], "o", color="#276749", ms=5, label="met")
        ax.plot(g.loc[~g["met"], "year"], g.loc[~g["met"], "value"], "o", color="#c53030", ms=5,
                label="not met")
        ax.axhline(g["threshold"].iloc[0], color="#c53030", ls="--", lw=1.2, label="threshold")
        ax.set_title(target, fontsize=9, loc="left")
        ax.set_ylabel(TARGETS[target].unit, fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    for ax in list(axes.flat)[len(targets):]:
        ax.axis("off")
    if targets:
        axes.flat[0].legend(fontsize=7)
    fig.suptitle(title or "one run: the plan's targets by year", fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig
