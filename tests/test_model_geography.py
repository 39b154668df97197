"""Geography in the graduates' and firms' decisions (docs/MODEL.md): a local job is in the home
district or elsewhere in the city, taken by commuting or by moving away from the family home;
firms in industrial parks recruit over a wider reach; each district's junior-high graduates
live in that district."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel, load_params
from sim.model.observables import annual_observables
from tests.test_model_city_data import write_folder

SMALL = {"run.persons_per_agent": 20, "run.years": 2}
SEEDS = range(3)


def run(seed, **overrides):
    return SkillsModel(load_params(overrides={**SMALL, **overrides}), seed=seed).run()


def totals(models, name):
    """Mean over runs of an observable summed over the reported years."""
    out = []
    for m in models:
        o = annual_observables(m)
        out.append(o.loc[o["indicator"] == name, "value"].sum())
    return float(np.mean(out))


@pytest.fixture(scope="module")
def status_quo():
    return [run(s) for s in SEEDS]


def test_local_jobs_split_into_home_district_and_elsewhere_in_the_city(status_quo):
    for m in status_quo:
        o = annual_observables(m).set_index(["year", "indicator"])["value"]
        for year in m.reported_years:
            for t in ("secondary", "higher"):
                local = (o[(year, f"destination.{t}.local_matched")]
                         + o[(year, f"destination.{t}.local_unmatched")])
                home = o[(year, f"local_employment.{t}.home_county")]
                away = o[(year, f"local_employment.{t}.elsewhere_in_city")]
                moved = o[(year, f"local_employment.{t}.moved_within_city")]
                assert home + away == pytest.approx(local)
                assert 0 <= moved <= local
                grads = o[(year, f"graduates.{t}")]
                assert o[(year, f"share.{t}.local_elsewhere_in_city")] == pytest.approx(away / grads)
        # The city's flows are the district table's sums (by the graduate's home district).
        d = m.districts().groupby(["year", "indicator"])["value"].sum()
        for year in m.reported_years:
            for name in ("home_county", "elsewhere_in_city", "moved_within_city"):
                key = f"local_employment.secondary.{name}"
                assert d[(year, key)] == pytest.approx(o[(year, key)])
    # Both destinations occur: leaving the county but staying in the city is a real choice.
    assert totals(status_quo, "local_employment.secondary.elsewhere_in_city") > 0
    assert totals(status_quo, "local_employment.secondary.home_county") > 0


def test_dearer_moves_mean_fewer_moves_and_fewer_jobs_elsewhere_in_the_city(status_quo):
    """Rent and the family home are the cost of moving within the city: dearer moves, fewer
    graduates leave the family home; a dearer commute, fewer take jobs in another district."""
    cheap = [run(s, **{"labour_market.within_city_rent_share": 0.0,
                       "labour_market.beta_family_home": 0.0}) for s in SEEDS]
    moved = "local_employment.secondary.moved_within_city"
    assert totals(cheap, moved) > totals(status_quo, moved) * 1.5 + 20
    far = [run(s, **{"labour_market.beta_commute_per_km": -0.06}) for s in SEEDS]
    away = "local_employment.secondary.elsewhere_in_city"
    assert totals(far, away) < totals(status_quo, away) * 0.9


def park_hire_km(models):
    """Mean km from home to employer of graduates hired by firms in industrial parks."""
    km = []
    for m in models:
        st, ent = m.students, m.enterprises
        hired = np.flatnonzero(st.view("employer") >= 0)
        firm = st.employer[hired]
        in_park = ent.park[firm] >= 0
        km.append(m.city.km(st.home[hired[in_park]], ent.cell[firm[in_park]]).mean())
    return float(np.mean(km))


def test_park_job_fairs_widen_where_park_firms_recruit(status_quo):
    """Posts at park job fairs are seen farther, so park firms hire from farther homes."""
    assert any((m.enterprises.park >= 0).mean() > 0.5 for m in status_quo)
    no_fairs = [run(s, **{"labour_market.park_fair_reach_factor": 1.0}) for s in SEEDS]
    wide = [run(s, **{"labour_market.park_fair_reach_factor": 2.5}) for s in SEEDS]
    assert park_hire_km(wide) > park_hire_km(no_fairs) + 1.0


def home_share(model, district: str) -> float:
    """Share of students who entered after the start whose home is in ``district``."""
    st = model.students
    rows = np.flatnonzero(st.view("entry_year") >= model.first_year)
    d = model.city.district[st.home[rows]]
    return float(np.mean(d == model.city.district_names.index(district)))


def test_a_districts_junior_high_graduates_live_in_that_district(tmp_path):
    p = load_params(overrides=SMALL)
    base = write_folder(tmp_path / "base", p, 3)
    tilted = write_folder(tmp_path / "tilted", p, 3)
    districts = pd.read_csv(tilted / "districts.csv")
    districts["junior_high_graduates"] = districts["junior_high_graduates"].astype(float)
    at = districts["district"] == "county 1"
    before = float(districts.loc[at, "junior_high_graduates"].iloc[0])
    # Three times county 1's graduates, the others scaled so the city's cohort is unchanged.
    total = districts["junior_high_graduates"].sum()
    districts.loc[at, "junior_high_graduates"] = 3 * before
    rest = ~at
    districts.loc[rest, "junior_high_graduates"] *= (total - 3 * before) / (total - before)
    districts.to_csv(tilted / "districts.csv", index=False)

    def model(folder):
        return SkillsModel(load_params(overrides={**SMALL, "city.data": str(folder)}), seed=3).run()

    share_base, share_tilted = home_share(model(base), "county 1"), home_share(model(tilted), "county 1")
    # Not exactly 3x: admission, seats near home and drop-out stand between homes and rows.
    assert share_tilted > 2.0 * share_base


def test_posts_outside_a_firms_group_go_to_related_groups_first():
    """A firm's posts outside its own group: a group of the same family of the major catalogue
    weighs ``related_group_weight`` against an unrelated one; weight 1 spreads them evenly."""
    from sim.model.labour_demand import post_vacancies, sector_mix

    p = load_params(overrides=SMALL)
    groups = list(p.sectors)
    eq, nev, svc = (groups.index(g) for g in ("equipment", "new_energy_vehicles", "services"))
    mix = sector_mix(p)
    assert np.allclose(mix.sum(axis=1), 1.0)
    assert np.allclose(np.diag(mix), p.enterprises.own_group_share)
    assert mix[eq, nev] == pytest.approx(p.enterprises.related_group_weight * mix[eq, svc])
    even = sector_mix(load_params(overrides={**SMALL, "enterprises.related_group_weight": 1.0}))
    off = even[~np.eye(len(groups), dtype=bool)]
    assert np.allclose(off, (1 - p.enterprises.own_group_share) / (len(groups) - 1))
    # Posted by the firms of a city: equipment firms post more in new-energy vehicles than in
    # services (both other groups; only the former is related).
    m = SkillsModel(load_params(overrides={**SMALL, "run.spinup_years": 0,
                                           "run.persons_per_agent": 2}), seed=1)
    post_vacancies(m)
    of_eq = m.enterprises.vacancies[m.enterprises.sector == eq]
    assert of_eq[:, nev].sum() > 2 * of_eq[:, svc].sum()
