"""The one-page ``summary.md`` of a forecast folder: the answer in words and tables."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import PACKAGE_ROOT


def targets_in(annual: pd.DataFrame) -> list[str]:
    """Targets present in the table, in natural order (T2 before T10)."""
    ids = annual["target"].unique() if not annual.empty else []
    return sorted(map(str, ids), key=lambda t: [int(x) if x.isdigit() else x
                                                 for x in re.split(r"(\d+)", t)])


def unmodelled_targets(annual, meta, order) -> list[tuple[str, str, float]]:
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


def wording(meta: dict, target: str) -> str:
    return meta.get("targets", {}).get(target, {}).get("plan", target)


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def plain_text(text: str) -> str:
    """Text without Chinese characters, which the default fonts of figures and PDFs cannot draw."""
    head, sep, tail = text.partition(": ")
    if sep and _CJK.search(head) and not _CJK.search(tail):
        return tail
    return re.sub(r"\s{2,}", " ", _CJK.sub("", text)).strip(" :/+")


def plain_wording(meta: dict, target: str) -> str:
    """The plan's wording of a target, without Chinese characters."""
    return plain_text(wording(meta, target))


def is_share(annual: pd.DataFrame) -> bool:
    """A target measured as a share (drawn in %): values and threshold within [0, 1]."""
    if annual.empty:
        return False
    v = pd.concat([annual["value"], annual["threshold"]]).dropna()
    return bool(len(v) and v.between(0, 1).all())


def fmt_value(x, share: bool) -> str:
    """A share in %; a count as a whole number, or with one decimal when it is a median
    half-way between two counts (so 19.5 never reads as the threshold 20)."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    if share:
        return f"{x:.1%}"
    if abs(x - round(x)) > 1e-9 and abs(x) < 100:
        return f"{x:.1f}"
    return f"{x:,.0f}"


def fmt_band(low, high, share: bool) -> str:
    """A band "[low–high]"; a count's ends widened to whole numbers (an interpolated quantile
    such as 9.45 classes is false precision)."""
    if not share and not (pd.isna(low) or pd.isna(high)):
        low, high = float(np.floor(low + 1e-9)), float(np.ceil(high - 1e-9))
    return f"[{fmt_value(low, share)}–{fmt_value(high, share)}]"


def display_path(path) -> str:
    """A parameter file as a reader can find it: relative to the repository when inside it,
    else its name alone (never an absolute path of the machine that ran the command)."""
    if not path:
        return "?"
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(PACKAGE_ROOT.resolve()).as_posix()
    except ValueError:
        return p.name


def scale_caveat(persons_per_agent) -> str:
    """A warning for a reduced-scale run, or "" at full scale."""
    try:
        ppa = int(persons_per_agent)
    except (TypeError, ValueError):
        return ""
    if ppa <= 1:
        return ""
    return (f"Reduced scale: one agent stands for {ppa} persons (run.persons_per_agent = {ppa}). "
            "Counts are scaled back to persons, but small counts (classes, bases, combos) move "
            "in coarse steps and P(met) can differ from a full-scale run; use full scale "
            "(1) for numbers to hand on.")


def shortfall(last: pd.Series, threshold: float, share: bool) -> str:
    """"median 65.0 % vs 75.0 % in 2027 (10.0 points short)", or "" when the median meets the
    threshold (``last``: the last year's attainment row)."""
    median = float(last["median"])
    if np.isnan(median) or np.isnan(threshold) or median >= threshold:
        return ""
    gap = threshold - median
    gap_text = f"{gap * 100:.1f} points short" if share else f"{fmt_value(gap, share)} short"
    return (f"median {fmt_value(median, share)} vs {fmt_value(threshold, share)} in "
            f"{int(last['year'])}, {gap_text}")


def ranged(meta: dict) -> bool:
    """True when the forecast drew its assumptions (some key ranged, not held fixed)."""
    a = meta.get("assumptions") or {}
    return not a.get("fixed", True) and any(a.get("ranges", {}).values())


def year_text(y) -> str:
    return "—" if pd.isna(y) else str(int(y))


def summary_markdown(annual: pd.DataFrame, att: pd.DataFrame, early: pd.DataFrame, meta: dict,
                     order: list[str], figures: list[Path], hinges: list[str] | None = None) -> str:
    """The analyst's page: when each target is met, what it hinges on (``hinges``, the lines of
    :func:`sim.interfaces.hinges.hinges_section`), its attainment by year, the figures."""
    replicates = meta.get("replicates") or (
        int(annual.groupby("scenario")["replicate"].nunique().max()) if not annual.empty else 0)
    years = sorted(annual["year"].unique()) if not annual.empty else []
    files = {s.get("name"): s.get("params_file") for s in meta.get("scenarios", [])}
    se = (0.25 / replicates) ** 0.5 if replicates else float("nan")
    scenario_list = ", ".join(f"**{s}** (`{display_path(files.get(s))}`)" for s in order)
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
        *(f"> **Caveat.** {c}\n" for c in run_caveats(meta, order)),
        ("**How to read.** A target is *met* in a year when the simulated value reaches the "
         "plan's threshold. **P(met)** is the share of replicates (simulated futures that differ "
         + ("by chance and by the uncertain assumptions' values, each replicate drawing its own"
            if ranged(meta) else "only by chance") + ") in which it is met; with "
         f"{replicates} replicates it is accurate to about ±{se:.2f} (one standard error, at "
         "worst). The *median* is the middle replicate's value and *90 % band* the range holding "
         "90 % of them. Scenarios use the same random numbers (and assumption values) replicate by replicate, so a "
         "difference between scenarios comes from the scenarios, not from chance."),
        "",
        "## When is each target met?",
        "",
        ("First year the target is met with probability ≥ 50 % / ≥ 80 % "
         "(— = not within the horizon); for a target whose median misses the threshold in the "
         "last year, how far it falls short."),
        "",
        "| target | threshold | " + " | ".join(order) + " |",
        "|---|---|" + "---|" * len(order),
    ]
    lines += _earliest_rows(annual, att, early, order)
    lines += [""] + list(hinges or [])
    lines += _attainment_rows(annual, att, meta, order)
    lines += ["## Figures", "",
              ("Overlays compare the scenarios (median and 50 % band; P(met) below). Fan charts "
               "show one scenario: median, 50 % and 90 % bands, the threshold (red dashes) and "
               "the first year the plan's annual targets apply (grey dots)."), ""]
    if any(fig.name.startswith("map_") for fig in figures):
        lines += [("Maps (`map_*`) shade the districts by the indicator's median in the last "
                   "year; `districts.parquet` and `districts_attainment.csv` hold the answers by "
                   "district (docs/CITY_DATA.md)."), ""]
    for fig in figures:
        lines += [f"![{fig.stem}]({fig.name})", ""]
    lines += ["", "## Targets", ""]
    for target in targets_in(annual):
        d = meta.get("targets", {}).get(target, {})
        lines.append(f"- **{target}** — {d.get('plan', '')}. *Model definition:* "
                     f"{d.get('definition', 'not recorded')}")
    missing = unmodelled_targets(annual, meta, order)
    if missing:
        lines += ["", "Targets in the parameter file that this model does not compute yet "
                  "(no values in `annual.parquet`): "
                  + ", ".join(f"{t} ({name}, threshold {v:g})" for t, name, v in missing) + "."]
    lines += ["", ("Files: `report.html` and `report.pdf` (this page's answers, the figures, "
                   "definitions, assumptions and run details, to hand on), `annual.parquet` "
                   "(every replicate; `runs.csv` is the same for spreadsheets), "
                   "`attainment.csv`, `earliest_year.csv`, `manifest.json` (parameters, seeds, "
                   "versions)."), ""]
    return "\n".join(lines)


def run_caveats(meta: dict, order: list[str]) -> list[str]:
    params = meta.get("parameters") or {}
    if "run" not in params and order:
        params = params.get(order[0]) or {}
    text = scale_caveat((params.get("run") or {}).get("persons_per_agent"))
    return [text] if text else []


def _earliest_rows(annual: pd.DataFrame, att: pd.DataFrame, early: pd.DataFrame,
                   order: list[str]) -> list[str]:
    """Rows of the "when is each target met" table."""
    lines: list[str] = []
    thresholds = annual.groupby(["scenario", "target"])["threshold"].median() if not annual.empty \
        else pd.Series(dtype=float)
    for target in targets_in(annual):
        share = is_share(annual[annual["target"] == target])
        th = {s: thresholds.get((s, target), np.nan) for s in order}
        first = th[order[0]]
        cells = []
        for s in order:
            r = early[(early["scenario"] == s) & (early["target"] == target)]
            cell = (f"{year_text(r['year_p50'].iloc[0])} / {year_text(r['year_p80'].iloc[0])}"
                    if len(r) else "–")
            if not np.isclose(th[s], first, equal_nan=True):  # a scenario moved the threshold
                cell += f" (threshold {fmt_value(th[s], share)})"
            last = att[(att["scenario"] == s) & (att["target"] == target)]
            if len(last):
                gap = shortfall(last.sort_values("year").iloc[-1], th[s], share)
                cell += f"; {gap}" if gap else ""
            cells.append(cell)
        lines.append(f"| {target} | ≥ {fmt_value(first, share)} | " + " | ".join(cells) + " |")
    return lines


def _attainment_rows(annual: pd.DataFrame, att: pd.DataFrame, meta: dict,
                     order: list[str]) -> list[str]:
    """The "attainment by year" section, one table per target."""
    lines = ["", "## Attainment by year", "",
              "P(met), then median and 90 % band [5 %–95 %] of the target's value.", ""]
    for target in targets_in(annual):
        share = is_share(annual[annual["target"] == target])
        rows = att[att["target"] == target]
        lines += [f"**{target}** — {wording(meta, target)}", "",
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
                cells.append(f"**{r['p_met']:.0%}** · {fmt_value(r['median'], share)} "
                             f"{fmt_band(r['q05'], r['q95'], share)}")
            lines.append(f"| {year} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines
