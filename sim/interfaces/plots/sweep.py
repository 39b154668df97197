"""Sweep figures in the forecast's style: every year, shares in %, the plan's threshold in the
legend, axes named from the parameter file's comments (``sim.params.describe``).

One axis: per target, the median and P(met) year by year for every setting, and P(met) in the
last year against the setting with a 90 % binomial band. Two axes: per target, a heat map of
P(met) for every year. More axes: main effects in the last year.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.experiments.folders import atomic_path
from sim.experiments.sweep import read_definition
from sim.interfaces.plots.overview import P_MET_COLOURS
from sim.interfaces.summary import fmt_value, plain_text
from sim.model.indicators import TARGETS
from sim.params.describe import key_label

THRESHOLD_COLOUR = "#c53030"


def plot_sweep(out: str | Path) -> list[Path]:
    """Redraw a sweep's figures from ``sweep.json`` and ``attainment.csv`` alone."""
    out = Path(out)
    d = read_definition(out)
    keys = d["keys"]
    att = pd.read_csv(out / "attainment.csv")
    written = []
    if att.empty:
        return written
    for target, g in att.groupby("target", sort=True):
        path = out / f"sweep_{target}.png"
        if len(keys) == 1:
            fig = _one_axis(g, keys[0], target)
        elif len(keys) == 2:
            fig = _heatmaps(g, keys, target, d["design"] == "grid")
        else:
            fig = _main_effects(g[g["year"] == g["year"].max()], keys, target,
                                d["design"] == "grid")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        fig.clear()
        written.append(path)
    gc.collect()  # figures are reference cycles: free them now, not at some later collection
    return written


def is_share_table(g: pd.DataFrame) -> bool:
    """An attainment table of a share target: bands and threshold within [0, 1]."""
    v = pd.concat([g[c] for c in ("q05", "q95", "threshold") if c in g]).dropna()
    return bool(len(v) and v.between(0, 1).all())


def target_title(target: str) -> str:
    t = TARGETS.get(target)
    return f"{target}: {plain_text(t.plan_wording)}" if t else target


def _value_axis(ax, target: str, share: bool) -> None:
    t = TARGETS.get(target)
    ax.set_ylabel(t.unit if t and t.unit else ("%" if share else "count"), fontsize=8)
    if share:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _p_axis(ax, label: str) -> None:
    ax.set_ylim(-0.04, 1.04)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(label, fontsize=8)
    for p in (0.5, 0.8):
        ax.axhline(p, color="#999", lw=0.8, ls=":")
    ax.grid(alpha=0.3)


def _threshold(ax, g: pd.DataFrame, share: bool) -> None:
    th = g["threshold"].dropna()
    if th.empty:
        return
    label = (f"plan threshold (≥ {fmt_value(th.iloc[0], share)})" if th.nunique() == 1
             else "plan threshold (varies)")
    ax.axhline(th.median(), color=THRESHOLD_COLOUR, ls="--", lw=1.5, label=label)
    low, high = ax.get_ylim()
    span = max(high - low, 1e-9)
    ax.set_ylim(min(low, th.min() - 0.08 * span), max(high, th.max() + 0.08 * span))


def setting_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _wilson(p: np.ndarray, n: np.ndarray, z: float = 1.645) -> tuple[np.ndarray, np.ndarray]:
    """90 % Wilson interval of a proportion; honest at p = 0 or 1 with few replicates."""
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _one_axis(g: pd.DataFrame, key: str, target: str) -> Figure:
    """Top: median by year per setting; middle: P(met) by year; bottom: last year's P(met)."""
    from matplotlib import colormaps

    share = is_share_table(g)
    settings = list(dict.fromkeys(g.sort_values("point")[key]))
    colours = colormaps["viridis"](np.linspace(0.0, 0.9, max(len(settings), 1)))
    fig = Figure(figsize=(8.0, 9.0))
    top, middle, bottom = fig.subplots(3, 1, height_ratios=[3, 2, 2])
    # Earlier settings drawn wider, so settings that coincide stay visible under each other.
    widths = np.linspace(3.5, 1.2, len(settings)) if len(settings) > 1 else [2.0]
    for value, colour, lw in zip(settings, colours, widths):
        a = g[g[key] == value].sort_values("year")
        style = {"color": colour, "lw": lw, "marker": "o", "ms": lw + 1}
        top.fill_between(a["year"], a["q25"], a["q75"], color=colour, alpha=0.15, lw=0)
        top.plot(a["year"], a["median"], label=setting_text(value), **style)
        middle.plot(a["year"], a["p_met"], **style)
    _threshold(top, g, share)
    _value_axis(top, target, share)
    top.grid(alpha=0.3)
    top.legend(title=key_label(key), fontsize=7, title_fontsize=8, ncols=2, framealpha=0.85)
    top.set_title("median and 50 % band of runs, by year and setting", fontsize=9, loc="left",
                  color="#555")
    _p_axis(middle, "P(target met)")
    for ax in (top, middle):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("year", fontsize=8)
    last = int(g["year"].max())
    h = g[g["year"] == last].sort_values("point")
    x, labels = _positions(h[key])
    lo, hi = _wilson(h["p_met"].to_numpy(float), h["n_runs"].to_numpy(float))
    bottom.fill_between(x, lo, hi, alpha=0.3, color="#276749", lw=0, label="90 % interval")
    bottom.plot(x, h["p_met"], "o-", color="#276749", label=f"P(met) in {last}")
    _p_axis(bottom, f"P(met in {last})")
    bottom.set_xlabel(key_label(key), fontsize=8)
    if labels is not None:
        bottom.set_xticks(x, labels)
    bottom.legend(fontsize=7)
    fig.suptitle(target_title(target), fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric axis values as x; anything else (launch months, switches) as evenly spaced labels."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def _heatmaps(g: pd.DataFrame, keys: list[str], target: str, grid: bool) -> Figure:
    """One heat map of P(met) per year, side by side, on one colour scale."""
    years = sorted(int(y) for y in g["year"].unique())
    cols = min(3, len(years))
    rows = -(-len(years) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.6 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False)
    im = None
    for i, (ax, year) in enumerate(zip(axes.flat, years)):
        h = g[g["year"] == year]
        if grid:
            table = h.pivot_table(index=keys[0], columns=keys[1], values="p_met")
            im = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", vmin=0, vmax=1,
                           cmap=P_MET_COLOURS)
            ax.set_yticks(range(len(table.index)), [setting_text(v) for v in table.index],
                          fontsize=7)
            ax.set_xticks(range(len(table.columns)), [setting_text(v) for v in table.columns],
                          fontsize=7)
            if table.size <= 60:
                for (i, j), v in np.ndenumerate(table.to_numpy()):
                    if not np.isnan(v):
                        ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7)
        else:
            im = ax.scatter(h[keys[1]], h[keys[0]], c=h["p_met"], vmin=0, vmax=1,
                            cmap=P_MET_COLOURS, s=25)
        ax.set_title(str(year), fontsize=9)
        ax.set_xlabel(key_label(keys[1]), fontsize=7)
        if i % cols == 0:  # one label per row of panels: they share the axis
            ax.set_ylabel(key_label(keys[0]), fontsize=7)
        else:
            ax.set_yticklabels([])
    for ax in list(axes.flat)[len(years):]:
        ax.axis("off")
    if im is not None:
        bar = fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.03)
        bar.set_label("P(target met), % of runs", fontsize=8)
        bar.set_ticks([0, 0.5, 0.8, 1], labels=["0 %", "50 %", "80 %", "100 %"])
    fig.suptitle(f"{target_title(target)}: P(met) by year", fontsize=10, x=0.01, ha="left")
    return fig


def _main_effects(h: pd.DataFrame, keys: list[str], target: str, grid: bool) -> Figure:
    """Per axis, the target's median and P(met) averaged over the other axes (binned if sampled)."""
    share = is_share_table(h)
    year = int(h["year"].max())
    fig = Figure(figsize=(3.2 * len(keys), 6.4))
    axes = fig.subplots(2, len(keys), sharey="row", squeeze=False)
    for col, key in enumerate(keys):
        x = h[key]
        if not grid and x.nunique() > 8:
            bins = pd.qcut(x.astype(float), 8, duplicates="drop")
            x = pd.Series([iv.mid for iv in bins], index=h.index, dtype=float)
        m = h.groupby(x, observed=True)[["median", "p_met"]].mean().sort_index()
        pos, labels = _positions(pd.Series(m.index))
        top, bottom = axes[0, col], axes[1, col]
        top.plot(pos, m["median"].to_numpy(), "o-", color="#2b6cb0", label="median")
        _threshold(top, h, share)
        top.grid(alpha=0.3)
        bottom.plot(pos, m["p_met"].to_numpy(), "o-", color="#276749")
        _p_axis(bottom, f"P(met in {year})" if col == 0 else "")
        bottom.set_xlabel(key_label(key), fontsize=8)
        if labels is not None:
            bottom.set_xticks(pos, labels)
    _value_axis(axes[0, 0], target, share)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{target_title(target)}: main effects in {year} (mean over the other axes)",
                 fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig
