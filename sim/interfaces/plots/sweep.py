"""Sweep figures: a target's P(met) along one axis, a heat map over two, main effects beyond."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.folders import atomic_path
from sim.experiments.sweep import read_definition

def plot_sweep(out: str | Path) -> list[Path]:
    """Redraw a sweep's figures from ``sweep.json`` and ``attainment.csv`` alone.

    One axis: per target, the value's median with 50 % and 90 % bands and the probability of
    meeting the target with a 90 % binomial band, against the axis. Two axes: per target, a
    heatmap of the probability of meeting it in the horizon year. More axes: main effects.
    """
    out = Path(out)
    d = read_definition(out)
    keys = d["keys"]
    att = pd.read_csv(out / "attainment.csv")
    written = []
    if att.empty:
        return written
    horizon = int(att["year"].max())
    for target, g in att.groupby("target", sort=True):
        path = out / f"sweep_{target}.png"
        if len(keys) == 1:
            fig = _curves(g, keys[0], target, horizon)
        elif len(keys) == 2:
            fig = _heatmap(g[g["year"] == horizon], keys, target, horizon, d["design"] == "grid")
        else:
            fig = _main_effects(g[g["year"] == horizon], keys, target, horizon, d["design"] == "grid")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
        fig.clear()
        written.append(path)
    gc.collect()  # figures are reference cycles: free them now, not at some later collection
    return written


def _wilson(p: np.ndarray, n: np.ndarray, z: float = 1.645) -> tuple[np.ndarray, np.ndarray]:
    """90 % Wilson interval of a proportion; honest at p = 0 or 1 with few replicates."""
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _curves(g: pd.DataFrame, key: str, target: str, horizon: int):
    from matplotlib.figure import Figure

    h = g[g["year"] == horizon].sort_values(key)
    x, labels = _positions(h[key])
    fig = Figure(figsize=(7, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.fill_between(x, h["q05"], h["q95"], alpha=0.2, color="C0", label="90 % of runs")
    top.fill_between(x, h["q25"], h["q75"], alpha=0.35, color="C0", label="50 % of runs")
    top.plot(x, h["median"], "o-", color="C0", label="median")
    top.axhline(h["threshold"].iloc[0], color="C3", ls="--", label="plan threshold")
    top.set_ylabel(f"{target} in {horizon}")
    top.legend(fontsize=8)
    lo, hi = _wilson(h["p_met"].to_numpy(float), h["n_runs"].to_numpy(float))
    bottom.fill_between(x, lo, hi, alpha=0.3, color="C2", label="90 % interval")
    bottom.plot(x, h["p_met"], "o-", color="C2", label="P(met)")
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_ylabel(f"P({target} met in {horizon})")
    bottom.set_xlabel(key)
    if labels is not None:
        bottom.set_xticks(x, labels)
    bottom.legend(fontsize=8)
    fig.suptitle(f"{target} against {key}")
    return fig


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric axis values as x; anything else (launch months, switches) as evenly spaced labels."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def _heatmap(h: pd.DataFrame, keys: list[str], target: str, horizon: int, grid: bool):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5.5))
    ax = fig.subplots()
    title = f"P({target} met in {horizon})"
    if grid:
        table = h.pivot_table(index=keys[0], columns=keys[1], values="p_met")
        im = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
        ax.set_yticks(range(len(table.index)), [f"{v:g}" if isinstance(v, float) else str(v)
                                                  for v in table.index])
        ax.set_xticks(range(len(table.columns)), [f"{v:g}" if isinstance(v, float) else str(v)
                                                    for v in table.columns])
        if table.size <= 150:
            for (i, j), v in np.ndenumerate(table.to_numpy()):
                if not np.isnan(v):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if v < 0.6 else "black")
    else:
        im = ax.scatter(h[keys[1]], h[keys[0]], c=h["p_met"], vmin=0, vmax=1, cmap="viridis", s=30)
    ax.set_ylabel(keys[0])
    ax.set_xlabel(keys[1])
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="probability over replicates")
    return fig


def _main_effects(h: pd.DataFrame, keys: list[str], target: str, horizon: int, grid: bool):
    """Per axis, the target's median and P(met) averaged over the other axes (binned if sampled)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(keys), 6))
    axes = fig.subplots(2, len(keys), sharey="row", squeeze=False)
    for col, key in enumerate(keys):
        x = h[key]
        if not grid and x.nunique() > 8:
            bins = pd.qcut(x.astype(float), 8, duplicates="drop")
            x = pd.Series([iv.mid for iv in bins], index=h.index, dtype=float)
        m = h.groupby(x, observed=True)[["median", "p_met"]].mean().sort_index()
        pos, labels = _positions(pd.Series(m.index))
        top, bottom = axes[0, col], axes[1, col]
        top.plot(pos, m["median"].to_numpy(), "o-", color="C0")
        top.axhline(h["threshold"].iloc[0], color="C3", ls="--")
        bottom.plot(pos, m["p_met"].to_numpy(), "o-", color="C2")
        bottom.set_ylim(-0.02, 1.02)
        bottom.set_xlabel(key, fontsize=8)
        if labels is not None:
            bottom.set_xticks(pos, labels)
    axes[0, 0].set_ylabel(f"{target} in {horizon} (median)\nmean over other axes")
    axes[1, 0].set_ylabel(f"P({target} met in {horizon})\nmean over other axes")
    fig.suptitle(f"{target}: main effects (red: plan threshold)")
    return fig
