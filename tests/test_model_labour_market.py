"""The labour market adjusts and families choose: unfilled posts respond to the graduate supply,
firms raise pay where posts stay unfilled, reserved sponsor posts stay out of the shortage,
graduates weigh several outside offers, the track split is a choice under the general-track
quota, and hometown attachment follows the home's district (docs/MODEL.md)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import SkillsModel, load_params
from sim.model.observables import annual_observables
from sim.params import PACKAGE_ROOT

SMALL = {"run.persons_per_agent": 20, "run.years": 3}
SEEDS = range(3)
STATUS_QUO = PACKAGE_ROOT / "params" / "scenarios" / "status_quo.toml"


def run(seed, params=None, **overrides):
    params = params if params is not None else load_params()
    return SkillsModel(params, seed=seed, **{**SMALL, **overrides}).run()


def observable(models, name, years=None):
    values = []
    for m in models:
        o = annual_observables(m)
        o = o[o["indicator"] == name]
        if years is not None:
            o = o[o["year"].isin(years)]
        values.append(o["value"].mean())
    return float(np.mean(values))


def supply(factor):
    """Cohorts and school places scaled by ``factor``: more or fewer graduates, same firms."""
    p = load_params()
    return {"demography.junior_high_graduates": p.demography.junior_high_graduates * factor,
            "demography.higher_entrants_from_general": p.demography.higher_entrants_from_general * factor,
            "schools.intake_secondary": p.schools.intake_secondary * factor,
            "schools.intake_technician": p.schools.intake_technician * factor,
            "schools.intake_higher": p.schools.intake_higher * factor}


@pytest.fixture(scope="module")
def by_supply():
    return {f: [run(s, **supply(f)) for s in SEEDS] for f in (0.6, 1.0, 1.6)}


def test_unfilled_vacancies_fall_when_graduates_are_plentiful(by_supply):
    unfilled = [observable(by_supply[f], "share.unfilled_vacancies") for f in (0.6, 1.0, 1.6)]
    assert unfilled[0] > unfilled[1] + 0.03 and unfilled[1] > unfilled[2] + 0.03, unfilled


def test_offered_pay_rises_where_posts_stay_unfilled(by_supply):
    # Across cities: scarce graduates, more unfilled posts, higher mean offered pay by the end.
    pay = [np.mean([m.indicators["wage.offered_mean_index"] for m in by_supply[f]])
           for f in (0.6, 1.0, 1.6)]
    assert pay[0] > pay[1] > pay[2], pay
    # Within a city: firms that left most of their posts unfilled pay more than the quarter of
    # firms that filled theirs best, and no firm pays beyond the bound.
    p = load_params().enterprises
    for m in by_supply[1.0]:
        ent = m.enterprises
        u = ent.unfilled_share_last
        short, filled = u >= 0.5, u <= np.quantile(u, 0.25)
        assert short.sum() > 10 and filled.sum() > 10
        assert ent.pay_premium[short].mean() > ent.pay_premium[filled].mean() + 0.02
        assert (ent.pay_premium <= p.max_pay_premium + 1e-12).all()
        assert ent.reach[short].mean() > ent.reach[filled].mean()
    # ... and wages are part of the state: the monthly series moves.
    series = by_supply[0.6][0].datacollector.get_model_vars_dataframe()["wage.offered_mean_index"]
    assert series.iloc[-1] > series.iloc[0]


def test_firms_post_fewer_posts_after_unfilled_ones():
    # From a cold start (no spin-up), so the first year has no unfilled posts on record.
    cold = {"run.spinup_years": 0}
    quick = [run(s, **cold, **{"enterprises.posting_cut_per_unfilled_share": 0.0}) for s in SEEDS]
    cut = [run(s, **cold, **{"enterprises.posting_cut_per_unfilled_share": 0.6}) for s in SEEDS]
    first, later = [2022], [2023, 2024]
    assert observable(cut, "vacancies.posted", first) == observable(quick, "vacancies.posted", first)
    assert observable(cut, "vacancies.posted", later) < 0.95 * observable(quick, "vacancies.posted", later)


def test_reserved_sponsor_posts_stay_out_of_the_shortage():
    for seed in SEEDS:
        m = run(seed)
        o = annual_observables(m).pivot(index="year", columns="indicator", values="value")
        # Reserved posts are their own account: taken by class graduates or left unused, never
        # part of the posted/unfilled shortage (which adds up on its own).
        assert (o["vacancies.reserved_filled"] + o["vacancies.reserved_unused"]
                == o["vacancies.reserved"]).all()
        assert (o["vacancies.filled"] + o["vacancies.unfilled"] == o["vacancies.posted"]).all()
        assert o["vacancies.reserved"].sum() > 0 and o["vacancies.reserved_filled"].sum() > 0
        for year in o.index:
            log = m.year_log[year]
            assert log["unfilled_by_group"].sum() * m.persons_per_agent == o.loc[year, "vacancies.unfilled"]


def test_a_sponsor_expects_to_hire_as_many_of_its_class_as_it_did_before():
    m = SkillsModel(seed=1, **SMALL, **{"run.spinup_years": 0})  # cold: no record yet
    oc, ent, lv = m.programmes.order_classes, m.enterprises, m.p.order_classes
    assert np.allclose(oc.hire_share(m), lv.expected_hire_share)  # no record yet: the prior
    ent.class_graduates[:2] = 300.0
    ent.class_hires[0], ent.class_hires[1] = 0.0, 300.0
    share = oc.hire_share(m)
    w = lv.hire_share_prior_persons
    assert share[0] == pytest.approx(lv.expected_hire_share * w / (w + 300))
    assert share[1] == pytest.approx((lv.expected_hire_share * w + 300) / (w + 300))
    assert share[0] < lv.expected_hire_share < share[1]
    # The record is booked from the model's own graduates: hires never exceed graduates.
    m.run()
    assert (m.enterprises.class_hires <= m.enterprises.class_graduates).all()
    assert m.enterprises.class_hires.sum() > 0


def test_more_outside_offers_lower_local_employment():
    t9 = []
    for k in (1, 3, 6):
        models = [run(s, **{"labour_market.outside_offers": k}) for s in SEEDS]
        t9.append(observable(models, "T9"))
    assert t9[0] > t9[1] + 0.02 and t9[1] > t9[2] + 0.02, t9


def test_track_split_is_a_choice_with_the_quota_as_a_limit():
    p = load_params()
    # Baseline: more families want the general track than it has seats; the quota binds.
    base = [run(s) for s in SEEDS]
    fill = observable(base, "share.general_quota_fill")
    assert fill < 0.95
    # A smaller quota sends more to the vocational track while it binds ...
    tight = [run(s, **{"demography.general_track_share": 0.45}) for s in SEEDS]
    assert observable(tight, "share.vocational_entrants") > observable(base, "share.vocational_entrants") + 0.03
    # ... and when vocational prospects are rated higher, fewer want the general track: the
    # quota stops binding and the vocational share rises above the quota's arithmetic.
    keen = [run(s, **{"demography.general_preference_log_odds": -1.0}) for s in SEEDS]
    assert observable(keen, "share.general_quota_fill") == pytest.approx(1.0)
    assert observable(keen, "share.vocational_entrants") > observable(base, "share.vocational_entrants") + 0.05
    assert p.demography.general_track_share == 0.55


def test_attachment_follows_the_home_district():
    m = run(1, **{"run.years": 1})
    st, district = m.students, m.city.district
    county = district[st.view("home")] > 0
    att = st.view("attachment")
    ps = m.p.students
    assert att[county].mean() == pytest.approx(ps.attachment_mean_county, abs=0.02)
    assert att[~county].mean() == pytest.approx(ps.attachment_mean_core, abs=0.02)


def home_district_share(models):
    """Share of local hires working in the district (core or county) of their home."""
    shares = []
    for m in models:
        st = m.students
        hired = np.flatnonzero(st.view("employer") >= 0)
        firm_district = m.city.district[m.enterprises.cell[st.employer[hired]]]
        shares.append(np.mean(firm_district == m.city.district[st.home[hired]]))
    return float(np.mean(shares))


def test_attachment_pulls_towards_jobs_in_the_home_district():
    whole_city = [run(s, **{"labour_market.attachment_other_district_share": 1.0}) for s in SEEDS]
    home_only = [run(s, **{"labour_market.attachment_other_district_share": 0.25}) for s in SEEDS]
    assert home_district_share(home_only) > home_district_share(whole_city) + 0.02


def mean_over_seeds(target, seeds, params, years=None, **overrides):
    values = []
    for s in seeds:
        a = SkillsModel(params, seed=s, **{"run.persons_per_agent": 10, "run.years": 3},
                        **overrides).run().annual()
        a = a[a["target"] == target]
        if years is not None:
            a = a[a["year"].isin(years)]
        values.append(a["value"].mean())
    return float(np.mean(values))


def test_order_class_subsidy_raises_order_classes_at_every_level():
    """Four levels rise strictly; past the level at which the order-class line binds (about
    100,000 yuan in this city) the rate paid stops rising, so more never buys fewer."""
    levels = (0, 25_000, 50_000, 100_000, 200_000)
    t2 = [mean_over_seeds("T2", range(3), load_params(),
                          **{"order_classes.subsidy_per_class_yuan": v}) for v in levels]
    assert all(b > a for a, b in zip(t2[:4], t2[1:4])), t2
    assert t2[4] >= t2[3], t2


def test_talent_subsidy_raises_local_employment_at_every_level():
    levels = (0, 5_000, 10_000, 20_000)
    on = {"retention.subsidy.enabled": True, "budget.share_retention": 0.30,
          "budget.share_training_bases": 0.20}
    t9 = [mean_over_seeds("T9", range(3), load_params(), **on,
                          **{"retention.talent_subsidy_yuan": v}) for v in levels]
    assert all(b > a for a, b in zip(t9, t9[1:])), t9
