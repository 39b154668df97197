"""Warm start: the plan year begins from the city as the status quo left it.

The status quo runs for ``run.spinup_years`` before the plan year (unreported), the same for every
scenario of one seed, so that order classes in progress, sponsors, last year's hosts, bases and
combos are in place when the outputs start."""

from __future__ import annotations

import numpy as np

from sim import SkillsModel, load_params
from sim.params import PACKAGE_ROOT

SCENARIOS = PACKAGE_ROOT / "params" / "scenarios"
SEEDS = range(4)
SMALL = {"run.persons_per_agent": 10, "run.years": 5}


def yearly(model, name):
    a = model.annual()
    if name.startswith("T") and "." not in name:
        return a[a["target"] == name].set_index("year")["value"]
    f = model.target_flows()
    return f[f["indicator"] == name].set_index("year")["value"]


def first_and_later(spinup_years, names, seeds=SEEDS):
    """(year-1 values, mean of years 3-5) per seed; ``spinup_years`` None = the baseline's."""
    spin = {} if spinup_years is None else {"run.spinup_years": spinup_years}
    p = load_params(SCENARIOS / "status_quo.toml", {**SMALL, **spin})
    models = [SkillsModel(p, seed=s).run() for s in seeds]
    start = p.run.start_year
    out = {}
    for name in names:
        series = np.array([yearly(m, name).loc[start:start + 4].to_numpy() for m in models])
        out[name] = (series[:, 0], series[:, 2:5].mean(axis=1))  # year 1, mean of years 3-5
    return out


def test_no_start_up_transient_in_the_status_quo():
    """T2, T3, T5 in the first plan year within 20 % of their mean over years 3-5 (mean over
    seeds); T8, a cumulative stock, through its yearly flow, within twice its sampling error.
    Eight seeds: T8.flow counts 0-4 a year, and four seeds can agree by chance (a spread of 0)."""
    got = first_and_later(None, ["T2", "T3", "T5", "T8.flow"], seeds=range(8))
    for name in ("T2", "T3", "T5"):
        first, later = got[name][0].mean(), got[name][1].mean()
        assert abs(first - later) <= 0.2 * later, (name, first, later)
    first, later = got["T8.flow"]
    se = np.sqrt(first.var(ddof=1) / len(first) + later.var(ddof=1) / len(later)) + 0.5
    assert abs(first.mean() - later.mean()) <= 2 * se, (first, later)


def test_a_cold_start_shows_the_transient_the_spin_up_removes():
    got = first_and_later(0, ["T3"])
    first, later = got["T3"][0].mean(), got["T3"][1].mean()
    assert first < 0.2 * later  # no order-class graduate can exist in the first year


def test_the_spin_up_is_the_same_for_every_scenario_and_unreported():
    small = {"run.persons_per_agent": 20, "run.years": 1}
    sq = SkillsModel(load_params(SCENARIOS / "status_quo.toml", small), seed=5)
    plan = SkillsModel(load_params(SCENARIOS / "plan.toml", small), seed=5)
    assert (sq.year, sq.month) == (plan.year, plan.month) == (sq.p.run.start_year, 1)
    assert sq.students.n == plan.students.n
    for column in ("state", "school", "group", "sponsor", "apprentice_firm"):
        assert np.array_equal(sq.students.view(column), plan.students.view(column)), column
    assert np.array_equal(sq.partnerships.since_year, plan.partnerships.since_year)
    assert np.array_equal(sq.schools.bases, plan.schools.bases)
    # What the status quo built is in place at the plan year: sponsors, hosts, partnerships.
    assert (plan.students.view("sponsor") >= 0).any()
    assert (plan.students.view("apprentice_firm") >= 0).any()
    assert plan.programmes.apprenticeship.hosted_last_year.any()
    # The plan's settings are in force from the plan year; nothing before it is reported.
    assert plan.p is plan.plan_params and plan.budget.p == plan.p.budget
    assert plan.programmes.order_classes.levers == plan.p.order_classes
    plan.run()
    assert plan.dates[0] == (plan.p.run.start_year, 1)
    assert set(plan.annual()["year"]) == {plan.p.run.start_year}
    assert set(plan.ledger()["year"]) == {plan.p.run.start_year}


def test_a_track_change_ends_the_sponsor_link():
    model = SkillsModel(seed=2, **{"run.persons_per_agent": 10, "run.years": 2}).run()
    st = model.students
    moved = st.view("was_secondary")
    assert moved.any()
    # This year's college entrants (first year: too early for a class or an apprenticeship of
    # their own) carry no sponsor or host from their secondary years.
    recent = moved & (st.view("entry_year") == model.year)
    assert recent.any()
    assert (st.view("sponsor")[recent] < 0).all()
    assert (st.view("apprentice_firm")[recent] < 0).all()
