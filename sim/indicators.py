"""Indicators: the monthly series and the plan's targets, computed from agents' states.

Monthly indicators are stocks at month end (``enrolled.*``) or flows counted as agents decide
(``entrants.*``, ``destination.*`` ...). Counts of persons are scaled by persons_per_agent.
Targets are defined here once, each with the plan's wording and the model's definition; the
definitions are written into every ``manifest.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from .students import DESTINATIONS, TRACKS, State

DESTINATION_NAMES = tuple(DESTINATIONS.values())

# Flows counted in agents that represent persons (scaled by persons_per_agent on output).
PERSON_FLOWS = (
    [f"entrants.{t}" for t in TRACKS]
    + [f"graduates.{t}" for t in TRACKS]
    + [f"dropouts.{t}" for t in TRACKS]
    + [f"destination.{t}.{d}" for t in TRACKS for d in DESTINATION_NAMES]
    + ["vacancies.posted", "vacancies.filled", "vacancies.unfilled"]
)
OTHER_FLOWS = ["majors.opened", "majors.closed", "spend.total_yuan"]
STOCKS = [f"enrolled.{t}" for t in TRACKS] + [
    "students.searching",
    "majors.open",
    "seats.aligned_share",
    "enterprises.employees",
]
MONTHLY_INDICATORS = STOCKS + PERSON_FLOWS + OTHER_FLOWS


def month_end(model, flows: dict[str, float]) -> dict[str, float]:
    """All monthly indicators for the month just simulated."""
    st, ppa = model.students, model.persons_per_agent
    state, track = st.view("state"), st.view("track")
    enrolled = state == State.ENROLLED
    out = {f"enrolled.{t}": float((enrolled & (track == i)).sum() * ppa) for i, t in enumerate(TRACKS)}
    out["students.searching"] = float((state == State.SEARCHING).sum() * ppa)
    seats = model.schools.seats
    out["majors.open"] = float(model.schools.offered.sum())
    out["seats.aligned_share"] = float(seats[:, model.aligned].sum() / max(seats.sum(), 1e-12))
    out["enterprises.employees"] = float(model.enterprises.employees.sum())
    for name in PERSON_FLOWS:
        out[name] = float(flows.get(name, 0.0) * ppa)
    for name in OTHER_FLOWS:
        out[name] = float(flows.get(name, 0.0))
    return out


def reporters() -> dict[str, Callable]:
    """Model reporters for Mesa's ``DataCollector``: one per monthly indicator."""
    return {name: partial(_current, name) for name in MONTHLY_INDICATORS}


def _current(name: str, model) -> float:
    return model.indicators[name]


# ---------------------------------------------------------------------------------------------
# The plan's targets


@dataclass(frozen=True)
class Target:
    id: str
    plan_wording: str
    definition: str
    threshold_key: str
    compute: Callable  # (model, year) -> value, or None when the year has no observation


def major_match_share(model, year: int) -> float | None:
    """T1: share of the year's vocational entrants admitted to majors serving the 6+3 industries."""
    log = model.year_log.get(year, {})
    parts = [log[k] for k in ("entrants_by_group.0", "entrants_by_group.1") if k in log]
    if not parts:
        return None
    entrants = np.sum(parts, axis=0)
    total = entrants.sum()
    return float(entrants[model.aligned].sum() / total) if total > 0 else None


def local_employment_share(model, year: int) -> float | None:
    """T9: secondary-vocational graduates of the year employed in the city / those employed."""
    totals = model.year_totals.get(year, {})
    local = sum(totals.get(f"destination.secondary.{d}", 0.0) for d in ("local_matched", "local_unmatched"))
    employed = local + totals.get("destination.secondary.outside", 0.0)
    if not any(f"destination.secondary.{d}" in totals for d in DESTINATION_NAMES):
        return None
    return float(local / employed) if employed > 0 else None


TARGETS: dict[str, Target] = {
    t.id: t
    for t in [
        Target(
            "T1",
            "专业与主导产业匹配度 ≥ 75 %: match between vocational majors and the leading industries",
            "Share of the year's vocational entrants (secondary and higher track, admitted in "
            "August) whose major group serves one of the 6 leading or 3 emerging industries "
            "(sectors with class 'leading' or 'emerging'). Seat-weighted, from admissions.",
            "T1_major_match_share",
            major_match_share,
        ),
        Target(
            "T9",
            "中职毕业生本地就业率 ≥ 70 %: local employment rate of secondary-vocational graduates",
            "Secondary-vocational graduates of the year employed in the city (matched or not to "
            "their major) divided by those of them employed anywhere (in the city or outside), "
            "counted when the recruitment season closes (end of July); graduates in further "
            "study or not employed are in neither count.",
            "T9_local_employment_share",
            local_employment_share,
        ),
    ]
}


def target_definitions() -> dict[str, dict[str, str]]:
    return {k: {"plan": t.plan_wording, "definition": t.definition} for k, t in TARGETS.items()}


ANNUAL_COLUMNS = ["scenario", "replicate", "seed", "year", "target", "value", "threshold", "met"]


def annual_table(model) -> pd.DataFrame:
    """Rows of ``annual.parquet``: each target's value in each simulated year."""
    thresholds = model.p.targets
    rows = []
    for year in sorted(model.year_totals):
        for t in TARGETS.values():
            value = t.compute(model, year)
            if value is None:
                continue
            threshold = float(getattr(thresholds, t.threshold_key))
            rows.append((model.scenario, model.replicate, model.seed, year, t.id, value,
                         threshold, bool(value >= threshold)))
    df = pd.DataFrame(rows, columns=ANNUAL_COLUMNS)
    return df.astype({"replicate": "int64", "seed": "int64", "year": "int64",
                      "value": "float64", "threshold": "float64", "met": "bool"})
