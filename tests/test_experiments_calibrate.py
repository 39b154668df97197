"""``skills-sim calibrate``: a known answer is recovered, studies resume exactly, bad input
writes nothing, and the fitted file reproduces its score.

Small city (20 persons per agent, 2 years) so the file runs in about a minute on two cores.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import optuna
import pandas as pd
import pytest

from sim.experiments.calibrate import evaluate, model_seeds, simulated_years
from sim.experiments.observed import read_observed
from sim.cli import main
from sim.params import PACKAGE_ROOT, load_params
from sim.experiments.runner import run_one

SMALL = {"run.persons_per_agent": 20, "run.years": 2}
SMALL_SET = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
KEY = "labour_market.further_study_secondary"
NATIONAL = str(PACKAGE_ROOT / "params" / "calibration" / "national_statistics.csv")
STATUS_QUO = str(PACKAGE_ROOT / "params" / "scenarios" / "status_quo.toml")
TRUE_VALUE = 2.0


def _calibrate(observed, out, *extra, fit=f"{KEY}=0.5:3.5", trials=3, seeds=2, workers=2) -> int:
    return main(["calibrate", str(observed), "--fit", fit, "--trials", str(trials),
                 "--seeds", str(seeds), "--workers", str(workers), "--out", str(out),
                 *SMALL_SET, *extra])


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def _write_csv(path: Path, rows: list[dict], columns=("indicator", "year", "value", "tolerance")):
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


# ---------------------------------------------------------------------------------------------
# (1) known answer and (4) the fitted file


@pytest.fixture(scope="module")
def known_answer(tmp_path_factory):
    """"Observed" = the model's own further-study share at the true coefficient, on 4 seeds
    unrelated to the calibration's; then fit the coefficient over [0.5, 3.5].

    The observed mean is computed here with run_one and pandas, not with sim.experiments.calibrate, so an
    error in how calibrate reads observables cannot cancel out.
    """
    folder = tmp_path_factory.mktemp("known")
    params = load_params(overrides={**SMALL, KEY: TRUE_VALUE})
    per_seed = []
    for seed in (101, 102, 103, 104):
        obs = run_one(params, seed=seed, monthly=False).observables
        per_seed.append(obs.loc[obs.indicator == "share.secondary.further_study", "value"].mean())
    observed = _write_csv(folder / "observed.csv", [
        {"indicator": "share.secondary.further_study", "year": "",
         "value": repr(float(pd.Series(per_seed).mean())), "tolerance": 0.02}])
    out = folder / "out"
    assert _calibrate(observed, out, trials=12) == 0
    return observed, out, pd.Series(per_seed)


def test_known_answer_is_recovered(known_answer):
    """The fitted coefficient lands near the value that generated the data.

    Noise budget (measured): one seed's 2-year further-study share has sd 0.02, so the observed
    mean (4 seeds) is off by ~0.010 and the simulated mean (2 seeds) by ~0.014, together ~0.017;
    the share rises ~0.18 per unit of the coefficient (0.22 at 0.5, 0.77 at 3.5), so the best
    value is uncertain by ~0.1 (sd). 0.3 allows 3 sd; a calibration that ignored the coefficient
    would put it anywhere in [0.5, 3.5] and its score at the range's ends is > 100.
    """
    _, out, per_seed = known_answer
    assert per_seed.std() < 0.04  # the noise budget above still holds
    trials = pd.read_csv(out / "trials.csv")
    assert (trials.state == "COMPLETE").sum() == 12
    best = trials.loc[trials.score.idxmin()]
    fitted = load_params(out / "fitted.toml", SMALL)
    assert fitted.labour_market.further_study_secondary == best[KEY]
    assert abs(best[KEY] - TRUE_VALUE) < 0.3, best[KEY]
    # Within 1.5 tolerances at the best trial; the range's ends are 10+ tolerances away.
    assert best.score < 1.5 ** 2
    assert trials.score.max() > 50
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit.columns) == ["indicator", "year", "observed", "tolerance", "simulated_mean",
                                 "simulated_sd", "z"]
    assert fit.z.iloc[0] == pytest.approx((fit.simulated_mean - fit.observed).iloc[0] / 0.02)
    assert fit.z.iloc[0] ** 2 == pytest.approx(best.score)
    assert (out / "fit.png").stat().st_size > 10_000
    assert (out / "manifest.json").is_file()


def test_fitted_file_reproduces_best_score(known_answer):
    """fitted.toml is a real parameter file (base = the user's file) whose values give back the
    best trial's score on the same seeds, here in one process instead of the worker pool."""
    observed, out, _ = known_answer
    lines = (out / "fitted.toml").read_text().splitlines()
    assert next(l for l in lines if not l.startswith("#")).startswith("base = ")
    params = load_params(out / "fitted.toml", SMALL)
    assert params.to_dict() != load_params(overrides=SMALL).to_dict()  # the fit is applied
    rows = read_observed(observed, simulated_years(params))
    ev = evaluate(params, rows, model_seeds(20220101, 2), 1)
    best = pd.read_csv(out / "trials.csv").score.min()
    assert ev.score == pytest.approx(best, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (2) resuming


def _complete(out: Path) -> pd.DataFrame:
    t = pd.read_csv(out / "trials.csv")
    return t[t.state == "COMPLETE"][["score", KEY]].reset_index(drop=True)


def test_resume_continues_and_never_redoes(tmp_path, capsys):
    """3 trials, a killed 4th (left RUNNING), then --trials 5: the same 5 finished trials as an
    uninterrupted run, the first 3 untouched; a changed spec is refused and changes nothing.

    One seed in this process keeps it quick; the pool is exercised by the known-answer test.
    """
    args = {"fit": f"{KEY}=1:3", "seeds": 1, "workers": 1}
    national = ["--params", STATUS_QUO]
    out = tmp_path / "resumed"
    assert _calibrate(NATIONAL, out, *national, trials=3, **args) == 0
    first = _complete(out)
    assert len(first) == 3
    # Simulate `kill -9` mid-trial: a trial asked for and never told.
    study = optuna.load_study(study_name="skills-sim-calibrate",
                              storage=f"sqlite:///{out / 'study.db'}")
    study.ask()
    del study

    assert _calibrate(NATIONAL, out, *national, trials=5, **args) == 0
    assert "resuming: 3 trial(s) done" in capsys.readouterr().out
    states = pd.read_csv(out / "trials.csv").state.value_counts().to_dict()
    assert states == {"COMPLETE": 5, "FAIL": 1}
    resumed = _complete(out)
    pd.testing.assert_frame_equal(resumed.iloc[:3], first)

    fresh = tmp_path / "fresh"
    assert _calibrate(NATIONAL, fresh, *national, trials=5, **args) == 0
    pd.testing.assert_frame_equal(_complete(fresh), resumed)

    # Asking for no more trials than exist runs nothing new.
    assert _calibrate(NATIONAL, out, *national, trials=4, **args) == 0
    pd.testing.assert_frame_equal(_complete(out), resumed)

    snap = _snapshot(out)
    assert _calibrate(NATIONAL, out, *national, trials=6, fit=f"{KEY}=1:4", seeds=1) == 2
    err = capsys.readouterr().err
    assert "different definition" in err and f"--fit {KEY}: 1.0:3.0 -> 1.0:4.0" in err
    changed = _write_csv(tmp_path / "changed.csv", [
        {"indicator": "share.secondary.further_study", "year": "", "value": 0.55,
         "tolerance": 0.05}])
    assert _calibrate(changed, out, *national, trials=6, **args) == 2
    assert "observed row share.higher.further_study (all years) removed" in capsys.readouterr().err
    assert _calibrate(NATIONAL, out, trials=6, **args) == 2  # the baseline instead of status quo
    assert "parameters budget." in capsys.readouterr().err
    assert _snapshot(out) == snap


# ---------------------------------------------------------------------------------------------
# (3) bad input: exit 2, a message naming what is wrong, nothing written


BAD_FIT = [
    (f"{KEY}y=1:3", ["--fit", f"{KEY}y", f"did you mean '{KEY}'"]),
    ("labour_market.search_months=1:3", ["--fit", "search_months", "not a numeric parameter"]),
    (f"{KEY}=3:1", ["--fit", KEY, "LOW must be less than HIGH"]),
    (f"{KEY}=2:2", ["LOW must be less than HIGH"]),
    (f"{KEY}=1..3", ["--fit", "expected KEY=LOW:HIGH"]),
    ("labour_market.outside_wage_premium=-2:1", ["--fit", "outside_wage_premium", "-2.0",
                                                 "greater than or equal to -0.9"]),
    ("labour_market.candidates_seen=2.5:9", ["candidates_seen", "whole numbers"]),
    ("run.years=1:3", ["--fit", "run.years", "not coefficients"]),
]


@pytest.mark.parametrize("fit, expected", BAD_FIT, ids=[f for f, _ in BAD_FIT])
def test_bad_fit_spec_exits_2_and_writes_nothing(tmp_path, capsys, fit, expected):
    out = tmp_path / "out"
    assert _calibrate(NATIONAL, out, fit=fit) == 2
    err = capsys.readouterr().err
    for piece in expected:
        assert piece in err, err
    assert not out.exists()


ROW = {"indicator": "share.secondary.further_study", "year": "", "value": 0.5, "tolerance": 0.05}
BAD_CSV = [
    ("unknown indicator", [{**ROW, "indicator": "share.secondary.further_studies"}],
     ["line 2: indicator", "'share.secondary.further_studies'",
      "did you mean 'share.secondary.further_study'"]),
    ("zero tolerance", [{**ROW, "tolerance": 0}], ["line 2: tolerance", "must be positive"]),
    ("negative tolerance", [ROW, {**ROW, "indicator": "T9", "tolerance": -0.1}],
     ["line 3: tolerance", "-0.1"]),
    ("year outside the run", [{**ROW, "year": 2030}], ["line 2: year", "2030", "2022-2023"]),
    ("not a number", [{**ROW, "value": "half"}], ["line 2: value", "'half'", "expected a number"]),
    ("repeated row", [ROW, ROW], ["line 3", "already on line 2"]),
]


@pytest.mark.parametrize("rows, expected", [(r, e) for _, r, e in BAD_CSV],
                         ids=[i for i, _, _ in BAD_CSV])
def test_bad_observed_rows_exit_2_and_write_nothing(tmp_path, capsys, rows, expected):
    observed = _write_csv(tmp_path / "obs.csv", rows)
    out = tmp_path / "out"
    assert _calibrate(observed, out) == 2
    err = capsys.readouterr().err
    assert str(observed) in err
    for piece in expected:
        assert piece in err, err
    assert not out.exists()


@pytest.mark.parametrize("text, expected", [
    ("indicator,value,tolerance\nT9,0.7,0.05\n", "missing column(s) year"),
    ('indicator,year,value,tolerance\n"T9,,0.7,0.05\n', "malformed CSV"),
    ("indicator,year,value,tolerance\nT9,,0.7,0.05,extra\n", "5 fields, the header has 4"),
    ("indicator,year,value,tolerance\n", "no observed rows"),
    ("", "empty file"),
])
def test_malformed_csv_exits_2(tmp_path, capsys, text, expected):
    observed = tmp_path / "obs.csv"
    observed.write_text(text)
    out = tmp_path / "out"
    assert _calibrate(observed, out) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_extra_columns_are_ignored_and_missing_file_is_exit_2(tmp_path, capsys):
    """The shipped file has a ``source`` column; it parses. A missing file is bad input."""
    rows = read_observed(NATIONAL, range(2022, 2024))
    assert len(rows) == 9 and all(r.year is None and r.tolerance > 0 for r in rows)
    out = tmp_path / "out"
    assert _calibrate(tmp_path / "nope.csv", out) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert not out.exists()


def test_score_is_mean_squared_z_and_missing_is_infinite():
    """The objective: mean over rows of ((sim - obs)/tol)^2; an unproduced statistic cannot fit."""
    import numpy as np

    from sim.experiments.calibrate import score
    from sim.experiments.observed import Observed

    rows = [Observed("T9", None, 0.5, 0.1), Observed("T1", 2022, 10.0, 2.0)]
    ev = score(np.array([[0.6, 12.0], [0.8, 16.0]]), rows)  # means 0.7 and 14
    assert ev.z.tolist() == pytest.approx([2.0, 2.0])
    assert ev.score == pytest.approx(4.0)
    assert ev.sd.tolist() == pytest.approx([math.sqrt(0.02), math.sqrt(8.0)])
    assert score(np.array([[0.6, np.nan]]), rows).score == math.inf
