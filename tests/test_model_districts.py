"""Answers by district: they add up to the city's indicators, and move when schools move."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel, load_params
from sim.model.observables import annual_observables
from tests.test_model_city_data import write_folder

SETTINGS = {"run.persons_per_agent": 20, "run.years": 4}


@pytest.fixture(scope="module")
def run():
    return SkillsModel(load_params(overrides=SETTINGS), seed=11).run()


def test_district_totals_add_up_to_the_city_every_year(run):
    by_district = run.districts()
    city = annual_observables(run).set_index(["year", "indicator"])["value"]
    years = run.reported_years  # the spin-up years are not reported
    assert sorted(by_district["year"].unique()) == years
    assert set(by_district["district"]) == set(run.city.district_names)
    sums = by_district.groupby(["year", "indicator"])["value"].sum()
    compared = 0
    for (year, indicator), total in sums.items():
        if indicator.startswith(("T", "share.", "local_employment")) or indicator == "hires":
            continue
        assert total == pytest.approx(city[(year, indicator)], rel=1e-9, abs=1e-9), (year, indicator)
        compared += 1
    # Counts by school, home and firm district: entrants, enrolled, graduates, 10 destinations,
    # unfilled vacancies, employees and 5 programme stocks, each in every year.
    assert compared >= 21 * len(years)
    for year in years:
        d = by_district[by_district["year"] == year].pivot(index="district", columns="indicator",
                                                            values="value")
        local = d["local_employment.secondary.city"]
        assert (local == d["destination.secondary.local_matched"]
                + d["destination.secondary.local_unmatched"]).all()
        assert (d["local_employment.secondary.home_county"] <= local).all()
        assert (d["local_employment.secondary.home_county"]
                + d["local_employment.secondary.elsewhere_in_city"] == local).all()
        employed = local.sum() + d["destination.secondary.outside"].sum()
        assert local.sum() / employed == pytest.approx(city[(year, "T9")], rel=1e-12)
        reserved = city.get((year, "vacancies.reserved_filled"), 0.0)
        assert d["hires"].sum() == pytest.approx(city[(year, "vacancies.filled")] + reserved,
                                                 rel=1e-9)
        t1 = (d["T1"] * d[["entrants.secondary", "entrants.higher"]].sum(axis=1)).sum()
        entrants = d[["entrants.secondary", "entrants.higher"]].to_numpy().sum()
        assert t1 / entrants == pytest.approx(city[(year, "T1")], rel=1e-9)


def relocate_schools(folder, source: str, target: str) -> int:
    """Move every secondary and technician school of ``source`` to ``target``'s centre."""
    districts = pd.read_csv(folder / "districts.csv").set_index("district")
    x, y = (int(round(districts.loc[target, c])) for c in ("x", "y"))
    schools = pd.read_csv(folder / "schools.csv", dtype=str)
    moving = (schools["district"] == source) & (schools["kind"] != "higher")
    schools.loc[moving, ["district", "x", "y"]] = [target, str(x), str(y)]
    schools.to_csv(folder / "schools.csv", index=False)
    return int(moving.sum())


def test_moving_a_countys_schools_moves_enrolment_and_local_employment(tmp_path):
    """All secondary and technician schools of county 2 move to county 5's centre.

    Enrolment follows the seats. Local employment of the counties' residents follows through
    school recommendation: a school recommends its graduates to posts near it
    (``recommendation_decay_km``), so county 2's residents, now at schools in county 5, are
    recommended to posts far from their family home (a long commute or a move): fewer of them
    work in the city, and fewer in county 2. County 5's side is not asserted: it has few firms
    and no park, and the recommended posts near it are now shared with the students from
    county 2, so its residents' local employment barely moved (home county 210 -> 207 persons
    a year over seeds 1-3) and in the whole city moved both ways between settings. The
    spin-up runs the moved city too (it keeps the scenario's ``[city]``), so every reported
    year's graduates studied at the moved schools. Before recommendations were local, job
    search ran from the family home alone and the school's place did not enter it: residents'
    local employment did not move (2022 values were even equal), which is why this part was
    not asserted then. Averaged over seeds: one run at this scale is too noisy."""
    settings = {**SETTINGS, "run.years": 2}
    seeds = (1, 2, 3)
    before, after = [], []
    for seed in seeds:
        base = write_folder(tmp_path / f"base{seed}", load_params(overrides=settings), seed)
        moved = write_folder(tmp_path / f"moved{seed}", load_params(overrides=settings), seed)
        assert relocate_schools(moved, "county 2", "county 5") > 0
        before.append(answers(base, settings, seed))
        after.append(answers(moved, settings, seed))
    for b, a in zip(before, after):
        for indicator in ("entrants.secondary", "enrolled.secondary"):
            assert (a.loc[indicator].loc["county 2"] < b.loc[indicator].loc["county 2"]).all()
            assert (a.loc[indicator].loc["county 5"] > b.loc[indicator].loc["county 5"]).all()
        # The city's total enrolment stays about the same: the seats moved, not vanished.
        total_b, total_a = (t.loc["enrolled.secondary"].sum() for t in (b, a))
        assert np.allclose(total_a, total_b, rtol=0.1)
    mean_b, mean_a = (sum(t) / len(seeds) for t in (before, after))
    b, a = ({k: t.loc[f"local_employment.secondary.{k}"].mean(axis=1) for k in ("city", "home_county")}
            for t in (mean_b, mean_a))
    assert a["city"]["county 2"] < b["city"]["county 2"], (a, b)
    assert a["home_county"]["county 2"] < b["home_county"]["county 2"], (a, b)


def answers(folder, settings, seed):
    params = load_params(overrides={**settings, "city.data": str(folder)})
    table = SkillsModel(params, seed=seed).run().districts()
    return table.pivot_table(index=["indicator", "district"], columns="year", values="value")
