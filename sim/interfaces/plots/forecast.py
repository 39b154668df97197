"""Figures and the one-page summary, drawn from an output folder's files alone.

Kept apart from the simulation: everything here reads ``annual.parquet`` and ``manifest.json``
(or the tables a forecast just produced, which are the same numbers), so ``skills-sim plot DIR``
redraws exactly what the command drew. Matplotlib's object API with the Agg canvas is used
(no pyplot), so drawing never touches a global backend or a display.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from sim.experiments.folders import write_text
from sim.params import ParamError
from sim.experiments.attainment import attainment, earliest_year
from sim.experiments.sharing import SharedJobs
from sim.interfaces.hinges import hinges_section, read_tables
from sim.interfaces.plots.drivers import drivers_chart
from sim.interfaces.plots.overview import overview_chart
from sim.interfaces.plots.style import DPI
from sim.interfaces.plots.style import save_figure as _save
from sim.interfaces.plots.style import scenario_colours as _colours
from sim.interfaces.summary import (fmt_value, is_share, plain_wording, summary_markdown,
                                    targets_in)

FIGSIZE = (8.0, 4.6)
OVERLAY_FIGSIZE = (8.0, 6.4)
BAND_COLOUR = "#2b6cb0"
THRESHOLD_COLOUR = "#c53030"
DEADLINE_COLOUR = "#4a5568"
MAX_YEAR_LABELS = 15  # above this many years, per-year P(met) labels would overlap


# ---------------------------------------------------------------------------------------------
# Entry point


def read_manifest(out: Path) -> dict:
    path = out / "manifest.json"
    if not out.is_dir():
        raise ParamError(str(out), "<file>", None, "output folder not found")
    if not path.exists():
        raise ParamError(str(out), "<file>", None,
                         "no manifest.json: not a finished run, forecast or sweep folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParamError(str(path), "<file>", None, f"unreadable manifest: {exc}") from None


def read_annual(out: Path) -> pd.DataFrame:
    path = out / "annual.parquet"
    if not path.exists():
        raise ParamError(str(out), "<file>", None, "annual.parquet is missing")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise ParamError(str(path), "<file>", None, f"unreadable table: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Forecast: fan charts, scenario overlays, summary.md


def draw_forecast(out: Path, annual: pd.DataFrame, meta: dict, maps: list[Path] = (),
                  pending_drivers: Callable[[str | None], dict] | None = None,
                  shared: SharedJobs | None = None) -> list[Path]:
    """Every forecast figure plus ``summary.md`` (which also shows the district ``maps``
    already drawn); stale figures of a former forecast go. The driver tables are the folder's,
    or, for a forecast still computing them on its workers, ``pending_drivers``'s: called with
    a target once the figures that need no driver tables are drawn, it gives that target's
    drivers rows when they are ready (as read from drivers.csv), so its figure is drawn while
    the workers go on; called with None, the whole tables, written. With ``shared`` (the
    drivers' workers), the overview, overlay and fan charts are queued there too: this process
    draws those no worker has started, so a worker done with the drivers draws beside it."""
    out = Path(out)
    order = scenario_order(annual, meta)
    att = attainment(annual, by=["scenario"])
    slugs = _unique_slugs(order)
    charts: list[tuple[Path, Callable, tuple]] = []  # (file, how to draw it), in files' order
    for scenario in order:
        if (att["scenario"] == scenario).any():
            path = out / f"overview_{slugs[scenario]}.png"
            charts.append((path, overview_chart, (att, annual, scenario, path, _save)))
    for target in targets_in(annual):
        rows = att[att["target"] == target]
        thresholds = annual[annual["target"] == target]
        if len(order) > 1:  # with one scenario an overlay would repeat its fan chart
            path = out / f"overlay_{target}.png"
            charts.append((path, overlay_chart, (rows, thresholds, target, order, meta, path)))
        for scenario in order:
            a = rows[rows["scenario"] == scenario]
            if a.empty:
                continue
            path = out / f"fan_{target}_{slugs[scenario]}.png"
            charts.append((path, fan_chart, (a, thresholds[thresholds["scenario"] == scenario],
                                             target, scenario, meta, path)))
    shared = SharedJobs() if shared is None else shared  # (no workers: all drawn here)
    shared.results([shared.add(draw, *args) for _, draw, args in charts])
    written: list[Path] = [path for path, _, _ in charts]
    tables = read_tables(out) if pending_drivers is None else None
    if tables is not None or pending_drivers is not None:
        for target in targets_in(annual):
            path = out / f"drivers_{target}.png"
            drivers_chart(att, target, order, tables or pending_drivers(target), meta, path)
            written.append(path)
        if pending_drivers is not None:
            tables = pending_drivers(None)
    _remove_stale(out, ("fan_*.png", "overlay_*.png", "overview_*.png", "drivers_*.png"), written)
    early = earliest_year(att, by=["scenario"])
    fixed = bool((meta.get("assumptions") or {}).get("fixed", True))
    hinges = hinges_section(targets_in(annual), att, order, tables, fixed)
    write_text(summary_markdown(annual, att, early, meta, order, written + list(maps), hinges),
               out / "summary.md")
    return written


def fan_chart(att: pd.DataFrame, annual: pd.DataFrame, target: str, scenario: str, meta: dict,
              path: Path | None) -> Figure | None:
    """One target in one scenario: median, 50 % and 90 % bands, threshold and first target year
    (saved to ``path``; with None, returned for a notebook to show)."""
    att = att.sort_values("year")
    years = att["year"].to_numpy()
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.subplots()
    ax.fill_between(years, att["q05"], att["q95"], color=BAND_COLOUR, alpha=0.18, lw=0,
                    label="90 % of replicates")
    ax.fill_between(years, att["q25"], att["q75"], color=BAND_COLOUR, alpha=0.38, lw=0,
                    label="50 % of replicates")
    if len(years) == 1:  # a band needs two years; show the single year as whiskers
        ax.vlines(years, att["q05"], att["q95"], color=BAND_COLOUR, alpha=0.4, lw=6)
    ax.plot(years, att["median"], color=BAND_COLOUR, lw=2, marker="o", ms=4, label="median")
    _threshold_line(ax, annual)
    _deadline_line(ax, _start_year(meta, scenario))
    if len(years) <= MAX_YEAR_LABELS:
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        ax.text(years[0] - 0.45, 1.015, "P(met):", transform=tr, ha="right", va="bottom",
                fontsize=8, color="#333")
        for year, p in zip(years, att["p_met"]):
            ax.text(year, 1.015, f"{p:.0%}", transform=tr, ha="center", va="bottom", fontsize=8,
                    color=THRESHOLD_COLOUR if p < 0.5 else "#276749", weight="bold")
    n = int(annual.groupby("year")["replicate"].nunique().max()) if not annual.empty else 0
    fig.suptitle(f"{target}: {plain_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
    ax.set_title(f"scenario '{scenario}', {n} replicates", fontsize=9, loc="left", pad=16,
                 color="#555")
    _format_axes(ax, annual, att, meta)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    if path is None:
        fig.tight_layout()
        return fig
    _save(fig, path)
    return None


def overlay_chart(att: pd.DataFrame, annual: pd.DataFrame, target: str, order: list[str],
                  meta: dict, path: Path) -> None:
    """One target, every scenario: medians with 50 % bands above, P(met) by year below."""
    fig = Figure(figsize=OVERLAY_FIGSIZE, dpi=DPI)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    colours = _colours(len(order))
    # Earlier scenarios drawn wider, so scenarios that coincide stay visible under each other.
    widths = np.linspace(3.5, 1.5, len(order)) if len(order) > 1 else [2.0]
    for scenario, colour, lw in zip(order, colours, widths):
        a = att[att["scenario"] == scenario].sort_values("year")
        if a.empty:
            continue
        style = {"color": colour, "lw": lw, "marker": "o", "ms": lw + 2, "label": scenario}
        top.fill_between(a["year"], a["q25"], a["q75"], color=colour, alpha=0.2, lw=0)
        top.plot(a["year"], a["median"], **style)
        bottom.plot(a["year"], a["p_met"], **style)
    _threshold_line(top, annual)
    starts = [y for y in (_start_year(meta, s) for s in order) if y is not None]
    _deadline_line(top, min(starts) if starts else None)
    _deadline_line(bottom, min(starts) if starts else None, label=False)
    for p in (0.5, 0.8):
        bottom.axhline(p, color="#999", lw=0.8, ls=":")
        bottom.text(1.005, p, f"{p:.0%}", transform=blended_transform_factory(bottom.transAxes,
                    bottom.transData), fontsize=8, va="center", color="#666")
    bottom.set_ylim(-0.04, 1.04)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    bottom.set_ylabel("P(target met)")
    bottom.grid(alpha=0.3)
    _format_axes(top, annual, att, meta)
    bottom.set_xlabel("year")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_xlabel("")
    top.legend(fontsize=8, loc="best", framealpha=0.85)
    top.set_title("median and 50 % band of replicates; scenarios share random numbers",
                  fontsize=9, loc="left", color="#555")
    fig.suptitle(f"{target}: {plain_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
    _save(fig, path)


# ---------------------------------------------------------------------------------------------
# Single run


def draw_run(out: Path, annual: pd.DataFrame, meta: dict) -> list[Path]:
    """A single run's targets year by year, with threshold and first target year."""
    out = Path(out)
    written = []
    scenario = str(annual["scenario"].iloc[0]) if not annual.empty else "run"
    for target in targets_in(annual):
        rows = annual[annual["target"] == target].sort_values("year")
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        ax = fig.subplots()
        ax.plot(rows["year"], rows["value"], color=BAND_COLOUR, lw=2, marker="o", label="value")
        _threshold_line(ax, rows)
        _deadline_line(ax, _start_year(meta, scenario))
        fig.suptitle(f"{target}: {plain_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
        seed = meta.get("seeds", {}).get("seed") if isinstance(meta.get("seeds"), dict) else None
        ax.set_title(f"one run of '{scenario}', seed {seed}", fontsize=9, loc="left", color="#555")
        _format_axes(ax, rows, rows.rename(columns={"value": "median"}), meta)
        ax.legend(fontsize=8, loc="best", framealpha=0.85)
        path = out / f"run_{target}.png"
        _save(fig, path)
        written.append(path)
    _remove_stale(out, ("run_*.png",), written)
    return written


# ---------------------------------------------------------------------------------------------
# The one-page summary


# ---------------------------------------------------------------------------------------------
# Helpers


def scenario_order(annual: pd.DataFrame, meta: dict) -> list[str]:
    """Scenarios in the order the user gave them (the manifest's), then any others."""
    given = [s["name"] for s in meta.get("scenarios", []) if "name" in s]
    present = list(dict.fromkeys(annual["scenario"])) if not annual.empty else []
    return given + [s for s in present if s not in given]


def _start_year(meta: dict, scenario: str) -> int | None:
    params = meta.get("parameters") or {}
    if "run" not in params:  # a forecast records parameters per scenario
        params = params.get(scenario) or {}
    try:
        return int(params["run"]["start_year"])
    except (KeyError, TypeError, ValueError):
        return None


def _threshold_line(ax, annual: pd.DataFrame) -> None:
    if annual.empty:
        return
    th = annual.groupby("year")["threshold"].median().sort_index()
    share = is_share(annual)
    if th.nunique() == 1:
        ax.axhline(th.iloc[0], color=THRESHOLD_COLOUR, ls="--", lw=1.5,
                   label=f"plan threshold (≥ {fmt_value(th.iloc[0], share)})")
    else:
        ax.step(th.index, th.to_numpy(), where="mid", color=THRESHOLD_COLOUR, ls="--", lw=1.5,
                label="plan threshold (changes by year)")


def _deadline_line(ax, start_year: int | None, label: bool = True) -> None:
    """The plan's targets are annual from the plan year on: mark that first target year."""
    if start_year is None:
        return
    ax.axvline(start_year, color=DEADLINE_COLOUR, ls=":", lw=1.5,
               label=f"targets due from {start_year}" if label else None)


def _format_axes(ax, annual: pd.DataFrame, att: pd.DataFrame, meta: dict | None = None) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    target = str(annual["target"].iloc[0]) if len(annual) and "target" in annual else ""
    if is_share(annual):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fmt_value(x, share=False)))
        values = annual["value"].dropna()
        if len(values) and np.allclose(values, values.round()):  # counts: whole-number ticks
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(target_unit(meta or {}, target, is_share(annual)))
    _keep_threshold_in_view(ax, annual)
    years = att["year"] if "year" in att else annual["year"]
    if len(years):
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)


def target_unit(meta: dict, target: str, share: bool) -> str:
    """The y-axis label: the target's unit from the manifest (older folders: share or count)."""
    unit = meta.get("targets", {}).get(target, {}).get("unit")
    return unit or ("% (share)" if share else "count per year")


def _keep_threshold_in_view(ax, annual: pd.DataFrame) -> None:
    """Leave room around the threshold, so its line never sits on the axis edge."""
    th = annual["threshold"].dropna() if "threshold" in annual else pd.Series(dtype=float)
    if th.empty:
        return
    low, high = ax.get_ylim()
    span = max(high - low, abs(float(th.max())) * 0.1, 1e-9)
    ax.set_ylim(min(low, float(th.min()) - 0.08 * span), max(high, float(th.max()) + 0.08 * span))


def _unique_slugs(names: list[str]) -> dict[str, str]:
    """File-name-safe, distinct versions of scenario names (deterministic)."""
    out: dict[str, str] = {}
    for name in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "scenario"
        slug, k = base, 1
        while slug in out.values():
            k += 1
            slug = f"{base}-{k}"
        out[name] = slug
    return out


def _remove_stale(out: Path, patterns: tuple[str, ...], keep: list[Path]) -> None:
    keep_names = {p.name for p in keep}
    for pattern in patterns:
        for path in out.glob(pattern):
            if path.name not in keep_names:
                path.unlink(missing_ok=True)
