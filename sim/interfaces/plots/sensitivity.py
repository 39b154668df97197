"""Sensitivity figures: per target, each factor's index on the value and on P(met)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.folders import atomic_path
from sim.experiments.sensitivity import MEASURES

def plot_sensitivity(out: Path, table: pd.DataFrame, method: str) -> list[Path]:
    """One figure per target: its value and its P(met), factors ranked, with 95 % intervals.

    Morris: mu* (mean absolute elementary effect, the target's change over a factor's range
    scaled to [0, 1]) with its bootstrap interval, and sigma (spread of the effects: large
    means interactions or curvature). Sobol: first-order S1 and total ST shares of variance.
    """
    import gc

    from matplotlib.figure import Figure

    written = []
    for target, g in table.groupby("target", sort=False):
        fig = Figure(figsize=(11, 1.6 + 0.42 * g["factor"].nunique()), layout="constrained")
        axes = fig.subplots(1, len(MEASURES), squeeze=False)[0]
        for ax, (measure, label) in zip(axes, MEASURES.items()):
            h = g[(g["measure"] == measure)].dropna(subset=["rank"]).sort_values("rank",
                                                                               ascending=False)
            ax.set_title(f"{target} {label} in {g['year'].iloc[0]}", fontsize=10)
            if h.empty:
                ax.text(0.5, 0.5, "not produced at every point", ha="center",
                        transform=ax.transAxes)
                continue
            y = np.arange(len(h))
            if method == "morris":
                ax.barh(y, h["mu_star"], xerr=h["mu_star_conf"], color="#2b6cb0", alpha=0.8,
                        capsize=3, label="μ* ± 95 % interval")
                ax.plot(h["sigma"], y, "o", color="#c53030", ms=5, label="σ")
                ax.set_xlabel("effect over the factor's range (μ*, σ)")
            else:
                ax.barh(y + 0.2, h["ST"], height=0.4, xerr=h["ST_conf"], color="#2b6cb0",
                        capsize=3, label="total ST")
                ax.barh(y - 0.2, h["S1"], height=0.4, xerr=h["S1_conf"], color="#90cdf4",
                        capsize=3, label="first order S1")
                ax.set_xlabel("share of variance")
            ax.set_yticks(y, h["factor"], fontsize=8)
            ax.axvline(0, color="0.4", lw=0.8)
            ax.legend(fontsize=8, loc="lower right")
        path = out / f"sensitivity_{target}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        fig.clear()
        written.append(path)
    for old in out.glob("sensitivity_*.png"):  # targets no longer analysed
        if old not in written:
            old.unlink()
    gc.collect()
    return written
