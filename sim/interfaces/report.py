"""What a report says, collected from an output folder's files: the answers first, then the
figures, definitions, assumptions and run details.

:func:`forecast_report` and :func:`sweep_report` return a :class:`Report`; ``report_html`` and
``report_pdf`` lay the same content out as a self-contained page and a printable PDF, so the two
never disagree. Paths are shown relative to the repository (or by file name), never as an
absolute path of the machine that ran them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiments.attainment import attainment, earliest_year
from sim.interfaces.summary import (display_path, fmt_value, is_share, run_caveats, shortfall,
                                    targets_in, wording)
from sim.params import PACKAGE_ROOT

# The answers table's columns; ``hinges_on`` stays empty until a study of what drives each
# target (a sensitivity analysis) has filled it: one sentence per target.
ANSWER_COLUMNS = ["scenario", "target", "plan", "threshold", "p_met", "year_p50", "year_p80",
                  "shortfall", "hinges_on"]


@dataclass
class Report:
    title: str
    intro: str
    answers: pd.DataFrame  # ANSWER_COLUMNS; p_met is {year: probability}
    years: list[int]
    figures: list[tuple[str, Path]]  # (caption, PNG)
    definitions: list[tuple[str, str, str]]  # (target, plan wording, model definition)
    assumptions: list[str]
    details: list[tuple[str, str]]  # (label, value)
    caveats: list[str] = field(default_factory=list)
    answers_note: str = ""


def hinges_on(meta: dict, scenario: str, target: str) -> str:
    """The "what it hinges on" sentence for a target, if the folder records one.

    ``manifest.json`` may hold ``hinges_on`` as ``{target: sentence}`` or
    ``{scenario: {target: sentence}}``; absent, the column is empty."""
    recorded = meta.get("hinges_on") or {}
    per_scenario = recorded.get(scenario)
    if isinstance(per_scenario, dict):
        return str(per_scenario.get(target, ""))
    value = recorded.get(target, "")
    return value if isinstance(value, str) else ""


def forecast_report(annual: pd.DataFrame, meta: dict, order: list[str],
                    figures: list[tuple[str, Path]]) -> Report:
    """The report of a forecast folder (``annual.parquet`` and ``manifest.json``)."""
    att = attainment(annual, by=["scenario"])
    early = earliest_year(att, by=["scenario"])
    years = sorted(int(y) for y in annual["year"].unique()) if not annual.empty else []
    rows = []
    for scenario in order:
        for target in targets_in(annual):
            a = att[(att["scenario"] == scenario) & (att["target"] == target)].sort_values("year")
            if a.empty:
                continue
            share = is_share(annual[annual["target"] == target])
            th = float(annual.loc[(annual["scenario"] == scenario)
                                  & (annual["target"] == target), "threshold"].median())
            e = early[(early["scenario"] == scenario) & (early["target"] == target)].iloc[0]
            rows.append({
                "scenario": scenario, "target": target, "plan": wording(meta, target),
                "threshold": f"≥ {fmt_value(th, share)}",
                "p_met": dict(zip(a["year"].astype(int), a["p_met"].astype(float))),
                "year_p50": _year(e["year_p50"]), "year_p80": _year(e["year_p80"]),
                "shortfall": shortfall(a.iloc[-1], th, share),
                "hinges_on": hinges_on(meta, scenario, target)})
    replicates = meta.get("replicates") or (
        int(annual.groupby("scenario")["replicate"].nunique().max()) if not annual.empty else 0)
    se = (0.25 / replicates) ** 0.5 if replicates else float("nan")
    intro = (f"{len(order)} scenario(s), {replicates} replicates each"
             + (f", years {years[0]}–{years[-1]}" if years else "") + ". A target is met in a "
             "year when the simulated value reaches the plan's threshold; P(met) is the share of "
             f"replicates meeting it (accurate to about ±{se:.2f} at worst). The earliest year is "
             "the first with P(met) ≥ 50 % (≥ 80 % after the slash). The shortfall is how far the "
             "median of the last year falls short of the threshold.")
    return Report(
        title="Forecast of the plan's targets", intro=intro,
        answers=pd.DataFrame(rows, columns=ANSWER_COLUMNS), years=years, figures=figures,
        definitions=definitions(meta, targets_in(annual)), assumptions=assumptions(meta),
        details=run_details(meta, replicates, order), caveats=run_caveats(meta, order))


def _year(y) -> str:
    return "never" if pd.isna(y) else str(int(y))


def definitions(meta: dict, targets: list[str]) -> list[tuple[str, str, str]]:
    recorded = meta.get("targets", {})
    return [(t, recorded.get(t, {}).get("plan", t),
             recorded.get(t, {}).get("definition", "not recorded")) for t in targets]


def _parameters(meta: dict, scenario: str | None) -> dict:
    params = meta.get("parameters") or {}
    if "run" in params:
        return params
    return params.get(scenario) or next(iter(params.values()), {}) if params else {}


def assumptions(meta: dict) -> list[str]:
    """The modelling assumptions a reader must know to weigh the answers."""
    baseline = PACKAGE_ROOT / "params" / "baseline.toml"
    n = (baseline.read_text(encoding="utf-8").count("(assumption") if baseline.exists() else 0)
    items = [
        "Every indicator comes out of agents' decisions (students, schools, enterprises, the "
        "government's programmes) month by month; no indicator is fitted to its target.",
        f"Coefficients without a published source are marked \"assumption\" in "
        f"params/baseline.toml ({n} of them), each with a plausible range in its comment; the "
        "forecast does not vary them. Their influence is what a sensitivity study measures.",
        "Replicates differ only by chance (their random seeds); scenarios share random numbers "
        "replicate by replicate, so a difference between scenarios is the scenarios' doing.",
    ]
    overrides = meta.get("overrides") or []
    if overrides:
        items.append("Parameters set on the command line: " + ", ".join(overrides) + ".")
    return items


def run_details(meta: dict, replicates: int | None, order: list[str]) -> list[tuple[str, str]]:
    files = {s.get("name"): s.get("params_file") for s in meta.get("scenarios", [])}
    run = _parameters(meta, order[0] if order else None).get("run", {})
    seeds = meta.get("seeds") or {}
    seed = seeds.get("master_seed", seeds.get("master", seeds.get("seed", "?")))
    versions = meta.get("versions") or {}
    details = [
        ("command", str(meta.get("command", "?"))),
        ("scenarios", ", ".join(f"{s} ({display_path(files[s])})" if files.get(s) else s
                                for s in order) or "–"),
        ("replicates", str(replicates if replicates is not None else "?")),
        ("scale", f"1 agent = {run.get('persons_per_agent', '?')} person(s)"),
        ("years simulated", f"{run.get('start_year', '?')}, {run.get('years', '?')} years"),
        ("master seed", f"{seed} ({seeds.get('method', 'numpy SeedSequence')})"),
        ("started / finished", f"{meta.get('started', '?')} / {meta.get('finished', '?')}"),
        ("skills-sim", f"{meta.get('package_version', '?')}"
                       + (f", commit {meta['git_commit']}" if meta.get("git_commit") else "")),
        ("Python and libraries", ", ".join([f"Python {meta.get('python', '?')}"]
                                           + [f"{k} {v}" for k, v in versions.items() if v])),
    ]
    if meta.get("simulation_seconds") is not None:
        details.append(("simulation time", f"{meta['simulation_seconds']} s on "
                                            f"{meta.get('workers', '?')} worker(s)"))
    return details
