"""The one-glance figure of a forecast: P(met) by target and year, one heat map per scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from sim.interfaces.summary import fmt_value, is_share, targets_in

# Red below 50 %, amber to 80 %, green above: the cut-offs the summary's "earliest year" uses.
P_MET_COLOURS = LinearSegmentedColormap.from_list(
    "p_met", [(0.0, "#c53030"), (0.5, "#f6e05e"), (0.8, "#68d391"), (1.0, "#276749")])


def overview_chart(att: pd.DataFrame, annual: pd.DataFrame, scenario: str, path: Path,
                   save) -> None:
    """Targets down, years across, each cell P(met) in %; the threshold beside each target."""
    a = att[att["scenario"] == scenario]
    targets = targets_in(a)
    years = sorted(int(y) for y in a["year"].unique())
    grid = np.full((len(targets), len(years)), np.nan)
    for (target, year), p in a.set_index(["target", "year"])["p_met"].items():
        grid[targets.index(target), years.index(int(year))] = p
    fig = Figure(figsize=(max(5.5, 1.0 + 0.75 * len(years)), 1.0 + 0.45 * len(targets)), dpi=110)
    ax = fig.subplots()
    im = ax.imshow(grid, cmap=P_MET_COLOURS, vmin=0, vmax=1, aspect="auto")
    for (i, j), p in np.ndenumerate(grid):
        if not np.isnan(p):
            ax.text(j, i, f"{p:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if p < 0.25 or p > 0.9 else "black")
    labels = []
    for target in targets:
        rows = annual[(annual["target"] == target) & (annual["scenario"] == scenario)]
        th = rows["threshold"].median() if len(rows) else np.nan
        labels.append(f"{target} (≥ {fmt_value(th, is_share(rows))})")
    ax.set_yticks(range(len(targets)), labels, fontsize=8)
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
    ax.set_xlabel("year")
    ax.set_title(f"P(target met) by year, scenario '{scenario}'", fontsize=10, loc="left")
    bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("P(met), % of replicates", fontsize=8)
    bar.set_ticks([0, 0.5, 0.8, 1], labels=["0 %", "50 %", "80 %", "100 %"], fontsize=8)
    save(fig, path)
