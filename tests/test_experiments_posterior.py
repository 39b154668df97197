"""A posterior calibration: known answers recovered (a planted model, then the city at coarse
scale), held-out statistics inside their predictive interval, unidentified keys named as such,
exact resume, and the posterior handed to the forecast checked and paired across scenarios."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.observed import Observed
from sim.experiments.posterior import (candidate_units, candidate_values, fit_posterior,
                                       identifiability_table, posterior_assumptions,
                                       read_posterior, temper, validation_table)
from sim.experiments.ranges import Factor
from sim.experiments.runner import run_one
from sim.params import ParamError, load_params

SMALL = {"run.persons_per_agent": 20, "run.years": 2}
SMALL_SET = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
KEY = "labour_market.further_study_secondary"
UNUSED = "combos.award_yuan"   # paid in December of years with certified combos: no statistic sees it
TRUE_VALUE = 2.0


# ---------------------------------------------------------------------------------------------
# A planted model: statistics are known functions of two keys; a third key does nothing


def _planted(values: list[dict], seeds: int, rng) -> np.ndarray:
    """candidates x seeds x 3 statistics: s1 = x + noise, s2 = x + y (noise), s3 = x * 2 (holdout)."""
    out = np.empty((len(values), seeds, 3))
    for i, v in enumerate(values):
        noise = rng.normal(0, 0.01, size=(seeds, 3))
        out[i] = np.column_stack([np.full(seeds, v["x"]), np.full(seeds, v["x"] + v["y"]),
                                  np.full(seeds, 2 * v["x"])]) + noise
    return out


def test_planted_posterior_recovers_truth_and_names_the_unidentified_key():
    fits = [Factor("x", "float", 0.0, 1.0), Factor("y", "float", 0.0, 1.0),
            Factor("z", "float", 0.0, 1.0)]
    truth = {"x": 0.3, "y": 0.5}
    rows = [Observed("s1", None, truth["x"], 0.05), Observed("s2", None, truth["x"] + truth["y"], 0.05),
            Observed("s3", None, 2 * truth["x"], 0.1)]
    values = candidate_values(fits, candidate_units(3, 600, 7))
    sims = _planted(values, 2, np.random.default_rng(1))
    post = fit_posterior(fits, values, sims, rows, {"s3"}, n_draws=200, min_ess=20, master_seed=7)
    ident = identifiability_table(post).set_index("key")
    for key in ("x", "y"):
        assert ident.at[key, "post_q05"] <= truth[key] <= ident.at[key, "post_q95"], ident
        assert ident.at[key, "identified"] and ident.at[key, "width_ratio"] < 0.5
    # z: no statistic depends on it, so it keeps (nearly) its prior width
    assert not ident.at["z", "identified"] and ident.at["z", "width_ratio"] > 0.8
    val = validation_table(post, rows, {"s3"}).set_index("indicator")
    assert val.at["s3", "role"] == "holdout" and val.at["s3", "inside"]
    assert val["role"].tolist().count("fit") == 2


def test_tempering_keeps_enough_distinct_candidates_and_is_one_when_data_allow():
    ll = np.concatenate([[0.0], np.full(99, -50.0)])  # one candidate dominates
    w, t, ess = temper(ll, 20)
    assert t > 1 and ess >= 20 - 1e-6
    w1, t1, _ = temper(np.zeros(100), 20)  # flat likelihood: no tempering
    assert t1 == 1.0 and np.allclose(w1, 0.01)


# ---------------------------------------------------------------------------------------------
# The posterior handed to the forecast


def _posterior_file(path: Path, draws: int = 5) -> Path:
    pd.DataFrame([(d, k, v) for d in range(draws)
                  for k, v in ((KEY, 1.0 + d), ("labour_market.outside_wage_premium", 0.1 * d))],
                 columns=["draw", "key", "value"]).to_parquet(path)
    return path


def test_assumptions_come_from_the_posterior_and_are_seeded(tmp_path):
    post = read_posterior(_posterior_file(tmp_path / "p.parquet"))
    a = posterior_assumptions(post, 12, master_seed=3)
    assert a.equals(posterior_assumptions(post, 12, master_seed=3))  # same in every scenario
    assert set(a["replicate"]) == set(range(12))
    wide = post.pivot(index="draw", columns="key", values="value")
    got = a.pivot(index="replicate", columns="key", values="value")
    drawn = {tuple(r) for r in got[wide.columns].to_numpy()}
    assert drawn <= {tuple(r) for r in wide.to_numpy()}   # only values present in the posterior
    assert len(drawn) == 5                                 # 12 replicates cover all 5 draws
    assert not a.equals(posterior_assumptions(post, 12, master_seed=4))


@pytest.mark.parametrize("frame, expected", [
    (pd.DataFrame({"draw": [0], "name": [KEY], "value": [1.0]}), "expected the columns"),
    (pd.DataFrame({"draw": [0, 0, 1], "key": [KEY, "labour_market.outside_wage_premium", KEY],
                   "value": [1.0, 0.2, 2.0]}), "every draw must give each key once"),
    (pd.DataFrame({"draw": [0], "key": [KEY], "value": [float("nan")]}), "finite"),
    (pd.DataFrame({"draw": [0], "key": ["no.such_key"], "value": [1.0]}), "not a parameter"),
])
def test_malformed_posterior_is_refused(tmp_path, frame, expected):
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    known = {KEY, "labour_market.outside_wage_premium"}
    with pytest.raises(ParamError, match=expected):
        read_posterior(path, known)
    with pytest.raises(ParamError, match="no such file"):
        read_posterior(tmp_path / "missing.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(ParamError, match="not a readable Parquet"):
        read_posterior(tmp_path / "junk.parquet")


# ---------------------------------------------------------------------------------------------
# The city at coarse scale


def _observed(path: Path) -> Path:
    """The model's own statistics at the true coefficient, on seeds unrelated to the study's."""
    params = load_params(overrides={**SMALL, KEY: TRUE_VALUE})
    stats = {"share.secondary.further_study": [], "share.secondary.employment_rate": []}
    for seed in (101, 102):
        obs = run_one(params, seed=seed, monthly=False).observables
        for name in stats:
            stats[name].append(obs.loc[obs.indicator == name, "value"].mean())
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["indicator", "year", "value", "tolerance"])
        w.writerow(["share.secondary.further_study", "", repr(float(np.mean(stats[
            "share.secondary.further_study"]))), 0.02])
        w.writerow(["share.secondary.employment_rate", "", repr(float(np.mean(stats[
            "share.secondary.employment_rate"]))), 0.02])
    return path


def _calibrate(observed: Path, out: Path, *extra: str) -> int:
    return main(["calibrate", str(observed), "--method", "posterior",
                 "--fit", f"{KEY}=0.5:3.5", "--fit", f"{UNUSED}=100000:600000",
                 "--holdout", "share.secondary.employment_rate", "--candidates", "40",
                 "--seeds", "1", "--draws", "100", "--workers", "2", "--out", str(out),
                 *SMALL_SET, *extra])


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("posterior")
    observed = _observed(folder / "observed.csv")
    out = folder / "out"
    assert _calibrate(observed, out) == 0
    return observed, out


def test_city_posterior_recovers_the_coefficient_and_validates_the_holdout(city):
    _, out = city
    ident = pd.read_csv(out / "identifiability.csv").set_index("key")
    assert ident.at[KEY, "post_q05"] <= TRUE_VALUE <= ident.at[KEY, "post_q95"], ident
    assert ident.at[KEY, "identified"]
    assert not ident.at[UNUSED, "identified"]
    val = pd.read_csv(out / "validation.csv").set_index("indicator")
    assert val.at["share.secondary.employment_rate", "role"] == "holdout"
    assert val.at["share.secondary.employment_rate", "inside"], val
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == ["draw", "key", "value"] and post["draw"].nunique() == 100
    for name in ("fitted.toml", "candidates.csv", "correlations.csv", "profile.csv",
                 "validation.png", "identifiability.png", "manifest.json"):
        assert (out / name).is_file(), name


def test_interrupted_posterior_resumes_to_the_same_answer(city, tmp_path, capsys):
    observed, out = city
    partial = tmp_path / "partial"
    partial.mkdir()
    # An interrupted study: the spec and 30 of 40 parts, one of them truncated mid-write.
    (partial / "spec.json").write_bytes((out / "spec.json").read_bytes())
    (partial / "candidates").mkdir()
    for p in sorted((out / "candidates").iterdir())[:30]:
        (partial / "candidates" / p.name).write_bytes(p.read_bytes())
    broken = partial / "candidates" / "c000003.json"
    broken.write_text(broken.read_text()[:40])
    capsys.readouterr()
    assert _calibrate(observed, partial) == 0
    said = capsys.readouterr().out
    assert "c000003.json" in said and "11 of 40 candidates to run" in said
    pd.testing.assert_frame_equal(pd.read_parquet(partial / "posterior.parquet"),
                                  pd.read_parquet(out / "posterior.parquet"))
    assert (partial / "validation.csv").read_text() == (out / "validation.csv").read_text()


def test_unknown_holdout_exits_2_and_writes_nothing(city, tmp_path, capsys):
    observed, _ = city
    out = tmp_path / "o"
    assert main(["calibrate", str(observed), "--fit", f"{KEY}=0.5:3.5", "--method", "posterior",
                 "--holdout", "share.nope", "--out", str(out), *SMALL_SET]) == 2
    err = capsys.readouterr().err
    assert "--holdout" in err and "share.nope" in err
    assert not out.exists()


def test_observed_file_role_column_holds_rows_out(tmp_path):
    from sim.experiments.posterior_study import validate_rows

    path = tmp_path / "o.csv"
    path.write_text("indicator,year,value,tolerance,role\nT4,,1,1,fit\nT9,,0.7,0.05,validate\n"
                    "T2,,1,1,\n")
    assert validate_rows(path) == {"T9"}
    path.write_text("indicator,year,value,tolerance,role\nT4,,1,1,maybe\n")
    with pytest.raises(ParamError, match="fit or validate"):
        validate_rows(path)
    shipped = validate_rows(Path(__file__).resolve().parent.parent / "params" / "calibration"
                            / "national_statistics.csv")
    assert "share.secondary.local_of_employed" in shipped  # T9's own metric is never fitted


# ---------------------------------------------------------------------------------------------
# skills-sim forecast --assumptions POSTERIOR


def test_forecast_draws_posterior_keys_from_the_posterior_in_every_scenario(tmp_path):
    from sim.params import BASELINE_PATH

    speed, lag = "major_adjustment.speed", "major_adjustment.elasticity"
    post = tmp_path / "posterior.parquet"
    pd.DataFrame([(d, k, v) for d in range(3) for k, v in ((speed, 0.1 + 0.1 * d), (lag, 0.2 + d * 0.1))],
                 columns=["draw", "key", "value"]).to_parquet(post)
    copy = tmp_path / "copy.toml"
    copy.write_text(f'base = "{BASELINE_PATH.as_posix()}"\n')
    out = tmp_path / "f"
    assert main(["forecast", str(BASELINE_PATH), str(copy), "--replicates", "4", "--workers", "1",
                 "--seed", "5", "--assumptions", str(post), "--out", str(out), *SMALL_SET,
                 "--set", "run.years=1"]) == 0
    a = pd.read_parquet(out / "assumptions.parquet")
    for key, allowed in ((speed, {0.1, 0.2, 0.3}), (lag, {0.2, 0.3, 0.4})):
        got = a[a["key"] == key]
        assert set(np.round(got["value"], 9)) <= allowed and got["value"].nunique() == 3
        by_scenario = got.pivot(index="replicate", columns="scenario", values="value")
        assert (by_scenario.nunique(axis=1) == 1).all()  # paired across scenarios
    # a key the posterior does not cover is still drawn from its prior range
    other = a[a["key"] == "school_choice.beta_interest"]
    assert other["value"].nunique() > 1
    meta = __import__("json").loads((out / "manifest.json").read_text())
    assert meta["assumptions"]["source"].startswith("posterior")


def test_forecast_refuses_a_missing_or_malformed_posterior(tmp_path, capsys):
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"draw": [0], "key": ["no.such_key"], "value": [1.0]}).to_parquet(bad)
    for path, expected in ((tmp_path / "missing.parquet", "no such file"),
                           (bad, "not a parameter")):
        out = tmp_path / "o"
        assert main(["forecast", "--replicates", "2", "--assumptions", str(path), "--out",
                     str(out), *SMALL_SET]) == 2
        err = capsys.readouterr().err
        assert expected in err and str(path) in err, err
        assert not out.exists()
