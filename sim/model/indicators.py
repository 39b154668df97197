"""Indicators: the monthly series and the plan's targets, computed from agents' states.

Monthly indicators are stocks at month end (``enrolled.*``) or flows counted as agents decide
(``entrants.*``, ``destination.*`` ...). Counts of persons are scaled by persons_per_agent.
Targets are defined here once, each with the plan's wording and the model's definition; the
definitions are written into every ``manifest.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from sim.model.budget import LINES
from sim.model.students import DESTINATIONS, TRACKS, State

if TYPE_CHECKING:
    from sim.model.model import SkillsModel

DESTINATION_NAMES = tuple(DESTINATIONS.values())
# Where a local job is, from the graduate's home: in the home district (county or core), or
# elsewhere in the city; and of all local jobs, those taken by moving away from the family home.
LOCAL_WHERE = ("home_county", "elsewhere_in_city", "moved_within_city")

# Flows counted in agents that represent persons (scaled by persons_per_agent on output).
PERSON_FLOWS = (
    [f"entrants.{t}" for t in TRACKS] + ["entrants.general", "applicants.general"]
    + [f"graduates.{t}" for t in TRACKS]
    + [f"dropouts.{t}" for t in TRACKS]
    + [f"destination.{t}.{d}" for t in TRACKS for d in DESTINATION_NAMES]
    + [f"local_employment.{t}.{w}" for t in TRACKS for w in LOCAL_WHERE]
    + ["vacancies.posted", "vacancies.filled", "vacancies.unfilled",
       "vacancies.reserved", "vacancies.reserved_filled", "vacancies.reserved_unused"]
    + ["order_classes.students", "order_classes.graduates", "order_classes.delivered", "order_classes.hired_by_sponsor",
       "apprentices.started_students", "apprentices.started_employees",
       "apprentices.completed_employees", "certificates.examined", "certificates.awarded",
       "retention.subsidies_paid"]
)
OTHER_FLOWS = (
    ["majors.opened", "majors.closed", "spend.total_yuan"]
    + [f"spend.{line}" for line in LINES]
    + ["order_classes.opened", "training_bases.able", "training_bases.willing",
       "training_bases.started", "training_bases.unfunded", "training_bases.built",
       "combos.certified", "certificates.applications", "certificates.pilots_opened",
       "certificates.unfunded", "social_training.person_times",
       "groups.formed", "mixed_colleges.formed", "platform.launched", "partnerships.ended"]
)
STOCKS = [f"enrolled.{t}" for t in TRACKS] + [
    "students.searching",
    "majors.open",
    "seats.aligned_share",
    "seats.demand_mismatch",
    "enterprises.employees",
    "wage.offered_mean_index",
    "wage.offered_secondary_yuan_month",
    "enterprises.recruiting_reach_mean",
    "certificates.pilot_majors",
    "certificates.four_star_schools_share",
    "training_bases.in_operation",
    "combos.certified_total",
    "partnerships.active",
    "apprentices.students_in_training",
    "apprentices.employees_in_training",
    "platform.on",
    "programme_execution",
    "budget.available_yuan",
]
MONTHLY_INDICATORS = STOCKS + PERSON_FLOWS + OTHER_FLOWS


def month_end(model: SkillsModel, flows: dict[str, float]) -> dict[str, float]:
    """All monthly indicators for the month just simulated."""
    st, ppa = model.students, model.persons_per_agent
    state, track = st.view("state"), st.view("track")
    enrolled = state == State.ENROLLED
    # (count_nonzero: a boolean .sum() over every row ever enrolled costs several times more)
    out = {f"enrolled.{t}": float(np.count_nonzero(enrolled & (track == i)) * ppa)
           for i, t in enumerate(TRACKS)}
    out["students.searching"] = float(np.count_nonzero(state == State.SEARCHING) * ppa)
    seats = model.schools.seats
    out["majors.open"] = float(model.schools.offered.sum())
    out["seats.aligned_share"] = float(seats[:, model.aligned].sum() / max(seats.sum(), 1e-12))
    out["seats.demand_mismatch"] = demand_mismatch(model)
    ent = model.enterprises
    out["enterprises.employees"] = float(ent.employees.sum())
    # Mean pay firms offer graduates (employee-weighted), as an index and in yuan a month for
    # a secondary-vocational graduate.
    offered = float(np.average(ent.offered_pay, weights=ent.employees))
    out["wage.offered_mean_index"] = offered
    out["wage.offered_secondary_yuan_month"] = offered * model.p.labour_market.wage_secondary_yuan_month
    out["enterprises.recruiting_reach_mean"] = float(np.average(ent.reach, weights=ent.employees))
    sch = model.schools
    out["certificates.pilot_majors"] = float((sch.pilot & sch.offered).sum())
    four_star = sch.four_star
    out["certificates.four_star_schools_share"] = float(
        (sch.pilot[four_star] & sch.offered[four_star]).any(axis=1).mean()) if four_star.any() else 0.0
    out["training_bases.in_operation"] = float(sch.bases.sum())
    out["combos.certified_total"] = float(model.partnerships.combo.sum())
    out["partnerships.active"] = float(model.partnerships.active.sum())
    out["apprentices.students_in_training"] = float(
        np.count_nonzero((st.view("apprentice_firm") >= 0) & enrolled) * ppa)
    out["apprentices.employees_in_training"] = float(
        model.programmes.apprenticeship.newtype_active.sum() * ppa)
    out["platform.on"] = float(model.programmes.platform.on)
    out["programme_execution"] = float(model.programmes.joint_meeting.execution())
    out["budget.available_yuan"] = float(sum(model.budget.available.values()))
    for name in PERSON_FLOWS:
        out[name] = float(flows.get(name, 0.0) * ppa)
    for name in OTHER_FLOWS:
        out[name] = float(flows.get(name, 0.0))
    return out


def demand_mismatch(model: SkillsModel) -> float:
    """Dissimilarity index between seats and last posted vacancies by major group (0 = same mix).

    Half the sum over groups of |seat share - vacancy share|: the share of seats that would
    have to move to another group for training to mirror demand."""
    seats = model.schools.seats.sum(axis=0)
    year = max(y for y, log in model.year_log.items() if "vacancies_by_group" in log)
    vacancies = model.year_log[year]["vacancies_by_group"]
    return float(0.5 * np.abs(seats / seats.sum() - vacancies / max(vacancies.sum(), 1e-12)).sum())


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
    unit: str = ""  # what the value counts, for axis labels ("" = a share, drawn in %)


def major_match_share(model: SkillsModel, year: int) -> float | None:
    """T1: share of the year's vocational entrants admitted to majors serving the 6+3 industries."""
    log = model.year_log.get(year, {})
    parts = [log[k] for k in ("entrants_by_group.0", "entrants_by_group.1") if k in log]
    if not parts:
        return None
    entrants = np.sum(parts, axis=0)
    total = entrants.sum()
    return float(entrants[model.aligned].sum() / total) if total > 0 else None


def local_employment_share(model: SkillsModel, year: int) -> float | None:
    """T9: secondary-vocational graduates of the year employed in the city / those employed."""
    totals = model.year_totals.get(year, {})
    local = sum(totals.get(f"destination.secondary.{d}", 0.0) for d in ("local_matched", "local_unmatched"))
    employed = local + totals.get("destination.secondary.outside", 0.0)
    if not any(f"destination.secondary.{d}" in totals for d in DESTINATION_NAMES):
        return None
    return float(local / employed) if employed > 0 else None


def _flow(name: str, persons: bool = False):
    """A target counted as the year's total of a monthly flow."""
    def compute(model: SkillsModel, year: int) -> float | None:
        totals = model.year_totals.get(year)
        if totals is None:
            return None
        return float(totals.get(name, 0.0)) * (model.persons_per_agent if persons else 1)
    return compute


def _flows(*names: str, persons: bool = False):
    parts = [_flow(n, persons) for n in names]
    def compute(model: SkillsModel, year: int) -> float | None:
        values = [f(model, year) for f in parts]
        return None if values[0] is None else float(sum(values))
    return compute


def _year_end(name: str):
    """A target counted as a stock at the end of the year (or the last month simulated)."""
    def compute(model: SkillsModel, year: int) -> float | None:
        stocks = model.year_stocks.get(year)
        return None if stocks is None else float(stocks[name])
    return compute


TARGETS: dict[str, Target] = {
    t.id: t
    for t in [
        Target(
            "T1",
            "专业与主导产业匹配度 ≥ 75 %: match between vocational majors and the leading industries",
            "Share of the year's vocational entrants (secondary and higher track, admitted in "
            "August) whose major group serves one of the 6 leading or 3 emerging industries "
            "(sectors with class 'leading' or 'emerging'). Entrant-weighted, from admissions.",
            "T1_major_match_share",
            major_match_share,
            "% of entrants",
        ),
        Target(
            "T2",
            "订单班/冠名班 ≥ 200 per year: order and named classes opened with local enterprises",
            "Order/named classes opened in the year: classes a local enterprise decided to "
            "sponsor and a partner school filled with at least min_class_size students.",
            "T2_order_classes",
            _flow("order_classes.opened"),
            "classes opened per year",
        ),
        Target(
            "T3",
            "培养、输送技能人才 ≥ 6,000 per year: skilled talent trained and delivered",
            "Order-class graduates of the year hired by a local enterprise (their sponsor or "
            "another), counted when hired; persons. The plan's 培养、输送 reads 'trained and "
            "delivered': those delivered were trained, so the stricter count is the target; "
            "T3.trained (order-class members graduating in the year) is reported beside it.",
            "T3_talent_delivered",
            _flow("order_classes.delivered", persons=True),
            "persons hired per year",
        ),
        Target(
            "T4",
            "社会化培训 ≥ 50,000 person-times per year: social skills training",
            "Person-times of training served in the year to employees, migrant workers and "
            "veterans, limited by schools', bases' and leading firms' capacity.",
            "T4_social_training",
            _flow("social_training.person_times"),
            "person-times per year",
        ),
        Target(
            "T5",
            "现代学徒制 + 企业新型学徒制 ≥ 2,000 per year: apprentices",
            "Apprentices who started in the year: students in modern apprenticeship plus "
            "employees in enterprise new-type apprenticeship; persons.",
            "T5_apprentices",
            _flows("apprentices.started_students", "apprentices.started_employees", persons=True),
            "apprentices started per year",
        ),
        Target(
            "T6",
            "1+X证书制度试点 ≥ 20 majors: 1+X certificate pilot majors",
            "1+X pilot majors in operation (open school majors with the pilot) at the end of "
            "the year, including those running before the plan (the stock is the plan's target; "
            "T6.flow counts those approved in the year).",
            "T6_pilot_majors",
            _year_end("certificates.pilot_majors"),
            "pilot majors at year end",
        ),
        Target(
            "T7",
            "高水平生产性实训基地 ≥ 7: high-level productive training bases built",
            "Productive training bases co-built by a school and an enterprise and in "
            "operation at the end of the year, including those built before the plan (the stock "
            "is the plan's target; T7.flow counts those completed in the year).",
            "T7_training_bases",
            _year_end("training_bases.in_operation"),
            "training bases at year end",
        ),
        Target(
            "T8",
            "校企合作示范组合 ≥ 8: school-enterprise cooperation demonstration combos",
            "School-enterprise partnerships certified as demonstration combos by the end of "
            "the year, cumulative, including those certified before the plan (the stock is the "
            "plan's target; T8.flow counts those certified in the year).",
            "T8_demonstration_combos",
            _year_end("combos.certified_total"),
            "combos certified (cumulative)",
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
            "% of employed graduates",
        ),
    ]
}


def collector_reporters() -> dict[str, Callable]:
    """Everything the model's DataCollector records: the monthly indicators and the targets."""
    return {**reporters(), **target_reporters()}


def target_reporters() -> dict[str, Callable]:
    """DataCollector reporters ``T1`` ... ``T9`` and ``T1_met`` ...: each target's value in the
    last complete year (the current one in December) and whether it meets the threshold; NaN
    and None before the first year is complete. So ``mesa.batch_run`` returns the targets."""
    out: dict[str, Callable] = {}
    for t in TARGETS.values():
        out[t.id] = partial(_target_value, t)
        out[f"{t.id}_met"] = partial(_target_met, t)
    return out


def _target_value(t: Target, model: SkillsModel) -> float:
    year = model.year if model.month == 12 else model.year - 1
    value = t.compute(model, year) if year >= model.p.run.start_year else None
    return float("nan") if value is None else float(value)


def _target_met(t: Target, model: SkillsModel) -> bool | None:
    value = _target_value(t, model)
    return None if np.isnan(value) else bool(value >= getattr(model.p.targets, t.threshold_key))


# Companions of the targets: the other reading of T3 and the yearly flows of the stock
# targets (T6-T8). They are not targets; ``target_flows.parquet`` holds them.
COMPANIONS: dict[str, tuple[str, Callable]] = {
    "T3.trained": ("Order-class members who graduated in the year (trained in an order/named "
                   "class; 培养); persons.", _flow("order_classes.graduates", persons=True)),
    "T3.delivered": ("Order-class graduates of the year hired by a local enterprise (trained "
                     "and delivered; 培养、输送) = T3; persons.",
                     _flow("order_classes.delivered", persons=True)),
    "T6.applied": ("Schools' applications to open a 1+X pilot major in the year.",
                   _flow("certificates.applications")),
    "T6.flow": ("1+X pilot majors approved in the year.", _flow("certificates.pilots_opened")),
    "T6.unfunded": ("Applications turned down in the year because the certificates line was "
                    "spent (> 0: the budget binds; 0: schools' applications do).",
                    _flow("certificates.unfunded")),
    "T7.flow": ("Training bases completed (entering operation) in the year.",
                _flow("training_bases.built")),
    "T7.able": ("Firms able to co-build a base in the year: large enough, without one, and able "
                "to co-invest their share.", _flow("training_bases.able")),
    "T7.willing": ("Able firms willing to co-build a base in the year.",
                   _flow("training_bases.willing")),
    "T7.started": ("Training-base agreements signed (capital committed, funded) in the year.",
                   _flow("training_bases.started")),
    "T7.unfunded": ("Willing firms left without public capital in the year because the "
                    "training-base line was spent (> 0: the budget binds; 0: willingness does).",
                    _flow("training_bases.unfunded")),
    "T8.flow": ("Demonstration combos certified in the year.", _flow("combos.certified")),
}


def target_definitions() -> dict[str, dict[str, str]]:
    out = {k: {"plan": t.plan_wording, "definition": t.definition, "unit": t.unit}
           for k, t in TARGETS.items()}
    for name, (definition, _) in COMPANIONS.items():
        out[name.split(".")[0]][name] = definition
    return out


FLOW_COLUMNS = ["scenario", "replicate", "seed", "year", "indicator", "value"]


def target_flows_table(model: SkillsModel) -> pd.DataFrame:
    """Rows of ``target_flows.parquet``: each companion indicator in each reported year."""
    rows = [(model.scenario, model.replicate, model.seed, year, name, compute(model, year))
            for year in model.reported_years for name, (_, compute) in COMPANIONS.items()]
    df = pd.DataFrame(rows, columns=FLOW_COLUMNS)
    return df.astype({"replicate": "int64", "seed": "int64", "year": "int64", "value": "float64"})


ANNUAL_COLUMNS = ["scenario", "replicate", "seed", "year", "target", "value", "threshold", "met"]


def annual_table(model: SkillsModel) -> pd.DataFrame:
    """Rows of ``annual.parquet``: each target's value in each simulated year."""
    thresholds = model.p.targets
    rows = []
    for year in model.reported_years:
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


OUTCOMES = {  # budget line -> (outcome counted, monthly flow, counted in agents)
    "order_classes": ("order classes opened", "order_classes.opened", False),
    "apprenticeship": ("apprentices started",
                       ("apprentices.started_students", "apprentices.started_employees"), True),
    "certificates": ("pilot majors opened", "certificates.pilots_opened", False),
    "training_bases": ("training bases started", "training_bases.started", False),
    "combos": ("combos certified", "combos.certified", False),
    "social_training": ("training person-times", "social_training.person_times", False),
    "retention": ("talent subsidies paid", "retention.subsidies_paid", True),
    "platform": ("platform launched", "platform.launched", False),
}


def ledger_table(model: SkillsModel) -> pd.DataFrame:
    """Budget by year and programme with its outcome and the cost per outcome."""
    ledger = model.budget.ledger()
    ledger = ledger[ledger["year"].isin(model.reported_years)].reset_index(drop=True)
    outcome, count = [], []
    for year, line in zip(ledger["year"], ledger["programme"]):
        name, flows, persons = OUTCOMES[line]
        flows = flows if isinstance(flows, tuple) else (flows,)
        totals = model.year_totals.get(year, {})
        n = sum(totals.get(f, 0.0) for f in flows) * (model.persons_per_agent if persons else 1)
        outcome.append(name)
        count.append(n)
    ledger["outcome"] = outcome
    ledger["outcome_count"] = count
    ledger["cost_per_outcome_yuan"] = np.where(
        ledger["outcome_count"] > 0, ledger["spent_yuan"] / np.maximum(ledger["outcome_count"], 1e-12), np.nan)
    ledger.insert(0, "seed", model.seed)
    ledger.insert(0, "replicate", model.replicate)
    ledger.insert(0, "scenario", model.scenario)
    return ledger
