"""What decides a target, on synthetic data with a known answer: PRIM (EMA Workbench) recovers a
planted box, the importance ranking and the value of information put the planted keys first,
and the assumptions' share of the variance is about what was planted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.drivers import (assumption_share, focus_year, forecast_drivers, importance,
                                     is_uncertain, met_box, value_of_information)


@pytest.fixture(scope="module")
def planted():
    """Six keys uniform on [0, 1); the target is met iff x > 0.6 and y < 0.3."""
    rng = np.random.default_rng(11)
    x = pd.DataFrame(rng.random((400, 6)), columns=["a", "x", "b", "y", "c", "d"])
    met = ((x["x"] > 0.6) & (x["y"] < 0.3)).to_numpy()
    return x, met


def test_prim_recovers_the_planted_box(planted):
    x, met = planted
    box = met_box(x, met)
    assert box is not None
    assert set(box.limits) == {"x", "y"}
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert box.limits["x"][0] == pytest.approx(0.6, abs=0.05)
    assert box.limits["y"][1] == pytest.approx(0.3, abs=0.05)


def prim_cases():
    """(x, met) as a forecast's cells have them (50 futures, dozens of keys, a few planted) and
    with ties: keys on a coarse grid, so quantiles fall on repeated values."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x = pd.DataFrame(rng.random((50, 24)), columns=[f"k{j:02d}" for j in range(24)])
        if seed % 2:
            x = (x * 4).round() / 4  # five values per key
        score = 2 * x["k03"] - x["k11"] + rng.normal(0, 0.4 + 0.1 * seed, len(x))
        yield x, (score > np.quantile(score, 0.3 + 0.1 * seed)).to_numpy()


def same_peeling(x: pd.DataFrame, met: np.ndarray) -> int:
    """Find PRIM's box with sim.experiments.ema.Prim and with EMA Workbench's own Prim, assert
    that every box of the trajectory, the trajectory's statistics and the indices inside the
    box are the same, and return the number of boxes."""
    from ema_workbench.analysis import prim as library

    from sim.experiments.ema import Prim

    ours = Prim(x, met, threshold=0.5).find_box()
    theirs = library.Prim(x, met, threshold=0.5).find_box()
    assert len(ours.box_lims) == len(theirs.box_lims)
    for a, b in zip(ours.box_lims, theirs.box_lims):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ours.peeling_trajectory, theirs.peeling_trajectory)
    np.testing.assert_array_equal(ours.yi, theirs.yi)
    return len(ours.box_lims)


@pytest.mark.parametrize("case", range(6))
def test_prim_peels_exactly_as_ema_workbench_does(case):
    """sim.experiments.ema.Prim rewrites only how PRIM's peeling step is computed: the boxes,
    their statistics and indices are the library's."""
    x, met = list(prim_cases())[case]
    assert same_peeling(x, met) > 2  # it peeled


def test_prim_with_an_integer_key_peels_as_the_library():
    x, met = next(prim_cases())
    assert same_peeling(x.assign(k00=(x["k00"] * 10).astype(int)), met) > 1


def test_importance_and_value_of_information_rank_the_planted_keys_first(planted):
    x, met = planted
    assert set(importance(x, met).index[:2]) == {"x", "y"}
    voi, noise = value_of_information(x, met)
    assert set(voi.index[:2]) == {"x", "y"}
    assert voi[["x", "y"]].min() > 2 * noise > 0
    assert voi.drop(["x", "y"]).max() < voi[["x", "y"]].min()


def test_importance_gives_ema_workbenchs_scores_without_the_out_of_bag_score(planted):
    """Skipping the out-of-bag score (which importance would throw away) keeps the trees."""
    from sim.experiments.drivers import FOREST_SEED, plain
    from sim.experiments.ema import feature_scoring

    x, met = planted
    for rows in (slice(None), slice(0, 50)):  # a forecast's 50 futures, and many
        xs, m = x.iloc[rows], met[rows]
        library, _ = feature_scoring.get_ex_feature_scores(plain(xs), m.astype(int),
                                                           random_state=FOREST_SEED)
        expected = library.iloc[:, 0].sort_values(ascending=False, kind="mergesort")
        pd.testing.assert_series_equal(importance(xs, m), expected, check_names=False)


def test_assumption_share_is_near_the_planted_share():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.random((400, 5)), columns=list("abcde"))
    signal = 3 * x["a"]                              # variance 0.75
    value = signal + rng.normal(0, 0.5, len(x))      # chance: variance 0.25 -> share 0.75
    assert 0.55 <= assumption_share(x, value) <= 0.85
    assert assumption_share(x, rng.normal(0, 1, len(x))) < 0.1  # nothing to explain


def test_settled_verdicts_get_no_drivers_and_the_focus_year_is_the_first_likely_one():
    assert not is_uncertain(np.array([True] * 49 + [False]))
    assert not is_uncertain(np.array([False] * 48 + [True] * 2))
    assert is_uncertain(np.array([True] * 10 + [False] * 40))
    att = pd.DataFrame({"year": [2022, 2023, 2024], "p_met": [0.2, 0.6, 0.9]})
    assert focus_year(att) == 2023
    assert focus_year(att.assign(p_met=[0.1, 0.3, 0.3])) == 2024


def test_forecast_drivers_write_one_row_per_key_of_each_uncertain_cell(planted):
    x, met = planted
    n = len(x)
    annual = pd.DataFrame({"scenario": "s", "target": "T1", "year": 2025, "replicate": range(n),
                           "value": met.astype(float) + x["x"].to_numpy(), "met": met})
    att = pd.DataFrame({"scenario": ["s"], "target": ["T1"], "year": [2025],
                        "p_met": [met.mean()]})
    tables = forecast_drivers(annual, {"s": x}, att)
    d = tables["drivers"]
    assert list(d.columns) == ["scenario", "target", "year", "key", "importance", "low", "high",
                               "coverage", "density"]
    assert set(d.dropna(subset=["low"])["key"]) == {"x", "y"}   # empty bounds: not in the box
    assert set(d["key"].head(2)) == {"x", "y"}
    assert tables["value_of_information"]["key"].nunique() == 6
    assert tables["chance_vs_assumptions"]["share_assumptions"].iloc[0] > 0.5


def test_forecast_drivers_are_the_same_on_two_workers(planted):
    """Undecided cells run on a process pool; each cell is seeded, so the tables do not depend
    on the number of workers (three years: three cells, one of them flipped)."""
    x, met = planted
    n = len(x)
    years = {2024: met, 2025: ~met, 2026: met}
    annual = pd.concat([pd.DataFrame({"scenario": "s", "target": "T1", "year": y,
                                      "replicate": range(n), "value": m.astype(float), "met": m})
                        for y, m in years.items()])
    att = pd.DataFrame({"scenario": "s", "target": "T1", "year": list(years),
                        "p_met": [m.mean() for m in years.values()]})
    one = forecast_drivers(annual, {"s": x}, att, workers=1)
    two = forecast_drivers(annual, {"s": x}, att, workers=2)
    assert set(one["drivers"]["year"]) == set(years)
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])


def test_a_targets_drivers_rows_come_before_the_tables_and_match_them(planted):
    """DriverTables hands out one target's drivers rows as soon as its cells are done (for its
    figure, while the workers go on): the same rows the whole table holds for it, on one worker
    or two, asked for in any order."""
    from sim.experiments.drivers import DriverTables

    x, met = planted
    n = len(x)
    annual = pd.concat([pd.DataFrame({"scenario": "s", "target": t, "year": 2025,
                                      "replicate": range(n), "value": m.astype(float), "met": m})
                        for t, m in (("T1", met), ("T2", ~met))])
    att = pd.DataFrame({"scenario": "s", "target": ["T1", "T2"], "year": 2025,
                        "p_met": [met.mean(), (~met).mean()]})
    tables = {}
    for workers in (1, 2):
        with DriverTables(annual, {"s": x}, att, workers, targets=["T2", "T1"]) as pending:
            rows = {t: pending.drivers_of(t) for t in ("T2", "T1")}
            tables[workers] = pending.result()
        assert pending.seconds >= 0
        d = tables[workers]["drivers"]
        for t in ("T1", "T2"):
            assert not rows[t].empty
            pd.testing.assert_frame_equal(rows[t], d[d["target"] == t].reset_index(drop=True))
    for name in tables[1]:
        pd.testing.assert_frame_equal(tables[1][name], tables[2][name])
    assert len(tables[1]["chance_vs_assumptions"]) == 2


def test_this_process_shares_the_jobs_with_the_worker_while_it_waits(planted):
    """Two workers are one fresh worker process beside this one: the jobs no worker has started
    when this process asks are run here (the last first), the tables the same as on one."""
    from sim.experiments.drivers import DriverTables

    x, met = planted
    n = len(x)
    annual = pd.concat([pd.DataFrame({"scenario": "s", "target": f"T{k}", "year": 2025,
                                      "replicate": range(n), "value": m.astype(float), "met": m})
                        for k, m in enumerate([met, ~met, met, ~met], start=1)])
    att = (annual.groupby(["scenario", "target", "year"], as_index=False)["met"].mean()
           .rename(columns={"met": "p_met"}))
    with DriverTables(annual, {"s": x}, att, 1) as alone:
        one = alone.result()
    with DriverTables(annual, {"s": x}, att, 2) as pending:
        assert len(pending.jobs) == 8 and pending.shared.jobs_here == 0
        two = pending.result()
    # the worker (a new interpreter, seconds to start) had taken the first jobs; this process
    # took the rest from the end
    assert 0 < pending.shared.jobs_here < len(pending.jobs)
    assert alone.shared.jobs_here == 8
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])
