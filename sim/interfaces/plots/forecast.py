"""Figures and the one-page summary, drawn from an output folder's files alone.

Kept apart from the simulation: everything here reads ``annual.parquet`` and ``manifest.json``
(or the tables a forecast just produced, which are the same numbers), so ``skills-sim plot DIR``
redraws exactly what the command drew. Matplotlib's object API with the Agg canvas is used
(no pyplot), so drawing never touches a global backend or a display.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from sim.experiments.folders import atomic_path, write_text
from sim.params import ParamError
from sim.experiments.attainment import attainment, earliest_year

DPI = 110
FIGSIZE = (8.0, 4.6)
OVERLAY_FIGSIZE = (8.0, 6.4)
BAND_COLOUR = "#2b6cb0"
THRESHOLD_COLOUR = "#c53030"
DEADLINE_COLOUR = "#4a5568"
MAX_YEAR_LABELS = 15  # above this many years, per-year P(met) labels would overlap


# ---------------------------------------------------------------------------------------------
# Entry point


def plot_command(args) -> int:
    """``skills-sim plot DIR``: redraw a finished folder's figures according to its manifest."""
    out = Path(args.dir)
    meta = read_manifest(out)
    command = meta.get("command")
    if command == "sweep":
        from sim.experiments.sweep import plot_sweep

        plot_sweep(out)
        print(f"redrew the sweep figures in {out}")
        return 0
    if command == "sensitivity":
        import pandas as pd

        from sim.experiments.sensitivity import plot_sensitivity

        figures = plot_sensitivity(out, pd.read_csv(out / "sensitivity.csv"), meta["definition"]["method"])
        print(f"redrew {len(figures)} figures in {out}")
        return 0
    if command == "optimize" and (out / "forecast" / "manifest.json").exists():
        # The trade-off figure is drawn by the optimiser; the chosen setting's forecast redraws.
        sub = out / "forecast"
        figures = draw_forecast(sub, read_annual(sub), read_manifest(sub))
        print(f"redrew {len(figures)} forecast figures in {sub} (tradeoff.png is the optimiser's)")
        return 0
    if command not in ("forecast", "run"):
        raise ParamError(str(out / "manifest.json"), "command", command,
                         "expected a run, forecast, sweep, sensitivity or optimize folder")
    annual = read_annual(out)
    figures = (draw_forecast if command == "forecast" else draw_run)(out, annual, meta)
    print(f"redrew {len(figures)} figures in {out}")
    return 0


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


def draw_forecast(out: Path, annual: pd.DataFrame, meta: dict) -> list[Path]:
    """Every forecast figure plus ``summary.md``; stale figures of a former forecast go."""
    out = Path(out)
    order = scenario_order(annual, meta)
    att = attainment(annual, by=["scenario"])
    slugs = _unique_slugs(order)
    written: list[Path] = []
    for target in _targets(annual):
        rows = att[att["target"] == target]
        thresholds = annual[annual["target"] == target]
        path = out / f"overlay_{target}.png"
        overlay_chart(rows, thresholds, target, order, meta, path)
        written.append(path)
        for scenario in order:
            a = rows[rows["scenario"] == scenario]
            if a.empty:
                continue
            path = out / f"fan_{target}_{slugs[scenario]}.png"
            fan_chart(a, thresholds[thresholds["scenario"] == scenario], target, scenario, meta,
                      path)
            written.append(path)
    _remove_stale(out, ("fan_*.png", "overlay_*.png"), written)
    early = earliest_year(att, by=["scenario"])
    write_text(summary_markdown(annual, att, early, meta, order, written), out / "summary.md")
    return written


def fan_chart(att: pd.DataFrame, annual: pd.DataFrame, target: str, scenario: str, meta: dict,
              path: Path) -> None:
    """One target in one scenario: median, 50 % and 90 % bands, threshold and first target year."""
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
    fig.suptitle(f"{target}: {_short_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
    ax.set_title(f"scenario '{scenario}', {n} replicates", fontsize=9, loc="left", pad=16,
                 color="#555")
    _format_axes(ax, annual, att)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    _save(fig, path)


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
    _format_axes(top, annual, att)
    bottom.set_xlabel("year")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_xlabel("")
    top.legend(fontsize=8, loc="best", framealpha=0.85)
    top.set_title("median and 50 % band of replicates; scenarios share random numbers",
                  fontsize=9, loc="left", color="#555")
    fig.suptitle(f"{target}: {_short_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
    _save(fig, path)


# ---------------------------------------------------------------------------------------------
# Single run


def draw_run(out: Path, annual: pd.DataFrame, meta: dict) -> list[Path]:
    """A single run's targets year by year, with threshold and first target year."""
    out = Path(out)
    written = []
    scenario = str(annual["scenario"].iloc[0]) if not annual.empty else "run"
    for target in _targets(annual):
        rows = annual[annual["target"] == target].sort_values("year")
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        ax = fig.subplots()
        ax.plot(rows["year"], rows["value"], color=BAND_COLOUR, lw=2, marker="o", label="value")
        _threshold_line(ax, rows)
        _deadline_line(ax, _start_year(meta, scenario))
        fig.suptitle(f"{target}: {_short_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
        seed = meta.get("seeds", {}).get("seed") if isinstance(meta.get("seeds"), dict) else None
        ax.set_title(f"one run of '{scenario}', seed {seed}", fontsize=9, loc="left", color="#555")
        _format_axes(ax, rows, rows.rename(columns={"value": "median"}))
        ax.legend(fontsize=8, loc="best", framealpha=0.85)
        path = out / f"run_{target}.png"
        _save(fig, path)
        written.append(path)
    _remove_stale(out, ("run_*.png",), written)
    return written


# ---------------------------------------------------------------------------------------------
# The one-page summary


def summary_markdown(annual: pd.DataFrame, att: pd.DataFrame, early: pd.DataFrame, meta: dict,
                     order: list[str], figures: list[Path]) -> str:
    """The analyst's page: when each target is met, its attainment by year, the figures."""
    replicates = meta.get("replicates") or (
        int(annual.groupby("scenario")["replicate"].nunique().max()) if not annual.empty else 0)
    years = sorted(annual["year"].unique()) if not annual.empty else []
    files = {s.get("name"): s.get("params_file") for s in meta.get("scenarios", [])}
    se = (0.25 / replicates) ** 0.5 if replicates else float("nan")
    scenario_list = ", ".join(f"**{s}** (`{files.get(s, '?')}`)" for s in order)
    lines = [
        "# Forecast of the plan's targets",
        "",
        f"Scenarios: {scenario_list}. "
        f"{replicates} replicates each"
        + (f", years {years[0]}–{years[-1]}" if years else "")
        + f". Master seed {meta.get('seeds', {}).get('master_seed', '?')}; "
        f"run {meta.get('started', '?')}, skills-sim {meta.get('package_version', '?')}"
        + (f", commit `{meta['git_commit']}`" if meta.get("git_commit") else "") + ".",
        "",
        ("**How to read.** A target is *met* in a year when the simulated value reaches the "
         "plan's threshold. **P(met)** is the share of replicates (simulated futures that differ "
         "only by chance) in which it is met; with "
         f"{replicates} replicates it is accurate to about ±{se:.2f} (one standard error, at "
         "worst). The *median* is the middle replicate's value and *90 % band* the range holding "
         "90 % of them. Scenarios use the same random numbers replicate by replicate, so a "
         "difference between scenarios comes from the scenarios, not from chance."),
        "",
        "## When is each target met?",
        "",
        ("First year the target is met with probability ≥ 50 % / ≥ 80 % "
         "(— = not within the horizon)."),
        "",
        "| target | threshold | " + " | ".join(order) + " |",
        "|---|---|" + "---|" * len(order),
    ]
    thresholds = annual.groupby(["scenario", "target"])["threshold"].median() if not annual.empty \
        else pd.Series(dtype=float)
    for target in _targets(annual):
        share = _is_share(annual[annual["target"] == target])
        th = {s: thresholds.get((s, target), np.nan) for s in order}
        first = th[order[0]]
        cells = []
        for s in order:
            r = early[(early["scenario"] == s) & (early["target"] == target)]
            cell = (f"{_year(r['year_p50'].iloc[0])} / {_year(r['year_p80'].iloc[0])}"
                    if len(r) else "–")
            if not np.isclose(th[s], first, equal_nan=True):  # a scenario moved the threshold
                cell += f" (threshold {_fmt(th[s], share)})"
            cells.append(cell)
        lines.append(f"| {target} | ≥ {_fmt(first, share)} | " + " | ".join(cells) + " |")
    lines += ["", "## Attainment by year", "",
              "P(met), then median and 90 % band [5 %–95 %] of the target's value.", ""]
    for target in _targets(annual):
        share = _is_share(annual[annual["target"] == target])
        rows = att[att["target"] == target]
        lines += [f"**{target}** — {_wording(meta, target)}", "",
                  "| year | " + " | ".join(order) + " |",
                  "|---|" + "---|" * len(order)]
        for year in sorted(rows["year"].unique()):
            cells = []
            for s in order:
                r = rows[(rows["scenario"] == s) & (rows["year"] == year)]
                if r.empty:
                    cells.append("–")
                    continue
                r = r.iloc[0]
                cells.append(f"**{r['p_met']:.0%}** · {_fmt(r['median'], share)} "
                             f"[{_fmt(r['q05'], share)}–{_fmt(r['q95'], share)}]")
            lines.append(f"| {year} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Figures", "",
              ("Overlays compare the scenarios (median and 50 % band; P(met) below). Fan charts "
               "show one scenario: median, 50 % and 90 % bands, the threshold (red dashes) and "
               "the first year the plan's annual targets apply (grey dots)."), ""]
    for fig in figures:
        lines += [f"![{fig.stem}]({fig.name})", ""]
    lines += ["", "## Targets", ""]
    for target in _targets(annual):
        d = meta.get("targets", {}).get(target, {})
        lines.append(f"- **{target}** — {d.get('plan', '')}. *Model definition:* "
                     f"{d.get('definition', 'not recorded')}")
    missing = _unmodelled_targets(annual, meta, order)
    if missing:
        lines += ["", "Targets in the parameter file that this model does not compute yet "
                  "(no values in `annual.parquet`): "
                  + ", ".join(f"{t} ({name}, threshold {v:g})" for t, name, v in missing) + "."]
    lines += ["", ("Files: `annual.parquet` (every replicate), `attainment.csv`, "
                   "`earliest_year.csv`, `manifest.json` (parameters, seeds, versions)."), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Helpers


def scenario_order(annual: pd.DataFrame, meta: dict) -> list[str]:
    """Scenarios in the order the user gave them (the manifest's), then any others."""
    given = [s["name"] for s in meta.get("scenarios", []) if "name" in s]
    present = list(dict.fromkeys(annual["scenario"])) if not annual.empty else []
    return given + [s for s in present if s not in given]


def _targets(annual: pd.DataFrame) -> list[str]:
    """Targets present in the table, in natural order (T2 before T10)."""
    ids = annual["target"].unique() if not annual.empty else []
    return sorted(map(str, ids), key=lambda t: [int(x) if x.isdigit() else x
                                                 for x in re.split(r"(\d+)", t)])


def _start_year(meta: dict, scenario: str) -> int | None:
    params = meta.get("parameters") or {}
    if "run" not in params:  # a forecast records parameters per scenario
        params = params.get(scenario) or {}
    try:
        return int(params["run"]["start_year"])
    except (KeyError, TypeError, ValueError):
        return None


def _unmodelled_targets(annual, meta, order) -> list[tuple[str, str, float]]:
    params = meta.get("parameters") or {}
    if "run" not in params and order:
        params = params.get(order[0]) or {}
    present = set(annual["target"]) if not annual.empty else set()
    out = []
    for key, value in (params.get("targets") or {}).items():
        tid, _, name = key.partition("_")
        if tid not in present:
            out.append((tid, name.replace("_", " "), float(value)))
    return out


def _wording(meta: dict, target: str) -> str:
    return meta.get("targets", {}).get(target, {}).get("plan", target)


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _short_wording(meta: dict, target: str) -> str:
    """The plan wording without Chinese characters, which the default fonts cannot draw."""
    text = _wording(meta, target)
    head, sep, tail = text.partition(": ")
    if sep and _CJK.search(head) and not _CJK.search(tail):
        return tail
    return _CJK.sub("", text).strip(" :")


def _is_share(annual: pd.DataFrame) -> bool:
    """A target measured as a share (drawn in %): values and threshold within [0, 1]."""
    if annual.empty:
        return False
    v = pd.concat([annual["value"], annual["threshold"]]).dropna()
    return bool(len(v) and v.between(0, 1).all())


def _fmt(x, share: bool) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return f"{x:.1%}" if share else f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _year(y) -> str:
    return "—" if pd.isna(y) else str(int(y))


def _threshold_line(ax, annual: pd.DataFrame) -> None:
    if annual.empty:
        return
    th = annual.groupby("year")["threshold"].median().sort_index()
    if th.nunique() == 1:
        ax.axhline(th.iloc[0], color=THRESHOLD_COLOUR, ls="--", lw=1.5, label="plan threshold")
    else:
        ax.step(th.index, th.to_numpy(), where="mid", color=THRESHOLD_COLOUR, ls="--", lw=1.5,
                label="plan threshold")


def _deadline_line(ax, start_year: int | None, label: bool = True) -> None:
    """The plan's targets are annual from the plan year on: mark that first target year."""
    if start_year is None:
        return
    ax.axvline(start_year, color=DEADLINE_COLOUR, ls=":", lw=1.5,
               label=f"targets due from {start_year}" if label else None)


def _format_axes(ax, annual: pd.DataFrame, att: pd.DataFrame) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    if _is_share(annual):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        ax.set_ylabel("share")
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _fmt(x, share=False)))
        values = annual["value"].dropna()
        if len(values) and np.allclose(values, values.round()):  # counts: whole-number ticks
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("value")
    years = att["year"] if "year" in att else annual["year"]
    if len(years):
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


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


def _save(fig: Figure, path: Path) -> None:
    """PNG written atomically, so an interrupted draw never leaves a truncated figure."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)


def _remove_stale(out: Path, patterns: tuple[str, ...], keep: list[Path]) -> None:
    keep_names = {p.name for p in keep}
    for pattern in patterns:
        for path in out.glob(pattern):
            if path.name not in keep_names:
                path.unlink(missing_ok=True)
