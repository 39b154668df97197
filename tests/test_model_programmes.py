"""The plan's programmes: each responds to its own lever, money is never overspent, nothing
happens before its launch, and every target row carries its threshold and a correct flag."""

from __future__ import annotations

import numpy as np
import pytest

from sim import SkillsModel, load_params
from sim.model.budget import LINES
from sim.params import PACKAGE_ROOT

SMALL = {"run.persons_per_agent": 10, "run.years": 3}
SEEDS = range(3)
SCENARIOS = PACKAGE_ROOT / "params" / "scenarios"


def runs(seeds=SEEDS, params=None, **overrides):
    params = params if params is not None else load_params()
    return [SkillsModel(params, seed=s, **SMALL, **overrides).run() for s in seeds]


def mean_target(models, target, years=None):
    values = []
    for m in models:
        a = m.annual()
        a = a[a["target"] == target]
        if years is not None:
            a = a[a["year"].isin(years)]
        values.append(a["value"].mean())
    return float(np.mean(values))


def total(models, indicator):
    return float(np.mean([m.datacollector.get_model_vars_dataframe()[indicator].sum() for m in models]))


def test_apprenticeship_subsidy_raises_apprentices():
    none = runs(**{"apprenticeship.subsidy_per_student_yuan": 0,
                   "apprenticeship.subsidy_per_employee_yuan": 0})
    high = runs(**{"apprenticeship.subsidy_per_student_yuan": 8000,
                   "apprenticeship.subsidy_per_employee_yuan": 10000})
    assert mean_target(high, "T5") > 1.3 * mean_target(none, "T5")


def test_order_class_subsidy_raises_order_classes():
    none = runs(**{"order_classes.subsidy_per_class_yuan": 0})
    high = runs(**{"order_classes.subsidy_per_class_yuan": 100000})
    assert mean_target(high, "T2") > 1.3 * mean_target(none, "T2")


def test_more_training_base_money_builds_more_bases():
    less = runs(**{"budget.share_training_bases": 0.10, "budget.share_retention": 0.40})
    more = runs(**{"budget.share_training_bases": 0.40, "budget.share_retention": 0.10})
    assert mean_target(more, "T7", years=[2024]) > mean_target(less, "T7", years=[2024]) + 2


def test_vouchers_raise_social_training():
    none = runs(**{"social_training.voucher_yuan": 0})
    full = runs(**{"social_training.voucher_yuan": 500})
    assert mean_target(full, "T4") > 1.1 * mean_target(none, "T4")


def test_certificate_grants_open_pilot_majors():
    none = runs(**{"budget.share_certificates": 0.0, "budget.share_retention": 0.24})
    funded = runs(**{"budget.share_certificates": 0.10, "budget.share_retention": 0.14})
    # Pilots at the plan year: those running before the plan and those the status quo's
    # spin-up approved (its own line); without the plan's money there is no growth.
    base = np.mean([m.datacollector.get_model_vars_dataframe()["certificates.pilot_majors"].iloc[0]
                    for m in none])
    assert mean_target(none, "T6") == pytest.approx(base, abs=1)  # closures aside, no growth
    assert mean_target(funded, "T6") > base + 3


def test_platform_improves_major_demand_match_and_local_hiring():
    """Where schools adjust fast enough for information to matter, current signals keep seats
    closer to demand; graduates who see more openings take more local jobs."""
    fast = {"major_adjustment.speed": 0.5, "major_adjustment.elasticity": 1.0}
    on = [SkillsModel(seed=s, **{**SMALL, "run.years": 6}, **fast).run() for s in SEEDS]
    off = [SkillsModel(seed=s, **{**SMALL, "run.years": 6}, **fast, **{"platform.enabled": False}).run()
           for s in SEEDS]

    def mismatch(models):
        return np.mean([m.datacollector.get_model_vars_dataframe()["seats.demand_mismatch"].iloc[24:].mean()
                        for m in models])

    assert mismatch(on) < mismatch(off) - 0.05
    assert total(on, "vacancies.filled") > 1.05 * total(off, "vacancies.filled")


def test_retention_measures_raise_local_employment():
    plan = runs()
    strong = runs(params=load_params(SCENARIOS / "strong_retention.toml"))
    assert mean_target(strong, "T9") > mean_target(plan, "T9") + 0.02


def test_status_quo_falls_short_where_the_plan_adds_money():
    plan = runs()
    status_quo = runs(params=load_params(SCENARIOS / "status_quo.toml"))
    for target in ("T2", "T4", "T5", "T7"):
        assert mean_target(status_quo, target) < mean_target(plan, target), target
    assert total(status_quo, "spend.total_yuan") < total(plan, "spend.total_yuan")


def _check_budget(model):
    ledger = model.budget.ledger()
    assert (ledger["spent_yuan"] <= ledger["allocated_yuan"] + 1e-3).all()
    assert (np.array(list(model.budget.available.values())) >= -1e-3).all()
    wide = model.datacollector.get_model_vars_dataframe()
    wide["year"] = [y for y, _ in model.dates]
    by_year = wide.groupby("year")[[f"spend.{line}" for line in LINES] + ["spend.total_yuan"]].sum()
    for year, row in by_year.iterrows():
        assert row["spend.total_yuan"] <= model.budget.total(year) + 1e-3
        assert row["spend.total_yuan"] == pytest.approx(row[[f"spend.{l}" for l in LINES]].sum())
        spent = ledger.loc[ledger["year"] == year].set_index("programme")["spent_yuan"]
        for line in LINES:
            assert row[f"spend.{line}"] == pytest.approx(spent[line])


def test_spending_never_exceeds_the_budget():
    for model in runs(params=load_params(SCENARIOS / "more_funding.toml")) + runs(
            **{"budget.total_yuan": 5e6}):
        _check_budget(model)
    ledger = runs(seeds=[0], **{"budget.total_yuan": 5e6})[0].ledger()
    assert {"outcome", "outcome_count", "cost_per_outcome_yuan"} <= set(ledger.columns)


def test_zero_budget_funded_programmes_do_not_grow():
    for seed in SEEDS:
        m = SkillsModel(seed=seed, **SMALL, **{"budget.total_yuan": 0.0})
        # What the status quo built before the plan stays; only its unfinished bases are added.
        bases_at_start = m.schools.bases.sum() + len(m.programmes["training_bases"].projects)
        combos_at_start = m.partnerships.combo.sum()
        m.run()
        wide = m.datacollector.get_model_vars_dataframe()
        assert wide["spend.total_yuan"].sum() == 0
        assert wide["training_bases.started"].sum() == 0
        assert wide["training_bases.in_operation"].max() <= bases_at_start
        assert wide["certificates.pilots_opened"].sum() == 0
        assert wide["combos.certified_total"].max() == combos_at_start
        assert wide["retention.subsidies_paid"].sum() == 0
        assert wide["platform.on"].max() == 0  # it cannot be built without money


LATE = "2023-06"


def test_nothing_happens_before_launch():
    late = {f"{name}.launch": LATE for name in
            ("order_classes", "apprenticeship", "certificates", "training_bases", "combos",
             "social_training", "groups", "platform", "joint_meeting", "major_guidance")}
    late["retention.subsidy"] = {"enabled": True, "launch": LATE}
    late["retention.campaign"] = {"enabled": True, "launch": LATE}
    late["combos.min_years"] = 0  # so that combos can be certified within this short run
    model = SkillsModel(seed=1, **SMALL, **late).run()
    wide = model.datacollector.get_model_vars_dataframe()
    before = np.array([(y, m) < (2023, 6) for y, m in model.dates])
    flows = ["order_classes.opened", "apprentices.started_students", "apprentices.started_employees",
             "certificates.pilots_opened", "training_bases.started", "combos.certified",
             "social_training.person_times", "groups.formed", "mixed_colleges.formed",
             "retention.subsidies_paid", "spend.total_yuan", "platform.on"]
    for name in flows:
        assert wide.loc[before, name].sum() == 0, name
        assert wide.loc[~before, name].sum() > 0, name
    assert (wide.loc[before, "programme_execution"] == load_params().joint_meeting.execution_without).all()


def test_nothing_happens_after_the_horizon():
    model = SkillsModel(seed=2, **SMALL).run()
    totals = {y: dict(t) for y, t in model.year_totals.items()}
    n_students, n_rows = model.students.n, len(model.datacollector.get_model_vars_dataframe())
    for _ in range(3):
        model.step()
    assert model.students.n == n_students
    assert len(model.datacollector.get_model_vars_dataframe()) == n_rows
    assert {y: dict(t) for y, t in model.year_totals.items()} == totals


def test_every_target_row_has_its_threshold_and_a_correct_flag():
    thresholds = {"targets.T2_order_classes": 123.0, "targets.T9_local_employment_share": 0.5}
    model = SkillsModel(seed=3, **SMALL, **thresholds).run()
    annual = model.annual()
    p = model.p.targets
    expected = {"T1": p.T1_major_match_share, "T2": 123.0, "T3": p.T3_talent_delivered,
                "T4": p.T4_social_training, "T5": p.T5_apprentices, "T6": p.T6_pilot_majors,
                "T7": p.T7_training_bases, "T8": p.T8_demonstration_combos, "T9": 0.5}
    assert sorted(annual["target"].unique()) == sorted(expected)
    for target, threshold in expected.items():
        rows = annual[annual["target"] == target]
        assert len(rows) == model.p.run.years
        assert (rows["threshold"] == threshold).all()
        assert (rows["met"] == (rows["value"] >= threshold)).all()
