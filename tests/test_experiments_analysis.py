"""Policy analysis: sensitivity ranking and the cheapest plan, checked against known answers.

A synthetic model stands in for the city where the answer must be known exactly: it produces the
annual table and the budget ledger from the parameters and the seed, with T5 = budget/10^5 +
talent subsidy/10^3 + noise (the budget matters, the subsidy barely) and T9 driven by the subsidy
and the platform's launch month, not the budget. It runs through the real engines (sweep parts,
Optuna study, forecast folder), plugged in where ``sim.experiments.executors.execute`` would run the model.
The real model then runs each command once at a tiny scale (20 persons per agent, 2 years).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.seeds import replicate_seeds
from sim.experiments.optimize import run_optimize
from sim.experiments.optimize_file import load_optimize
from sim.experiments.executors import Job
from sim.params import BASELINE_PATH, ParamError, load_params
from sim.experiments.runner import RunResult
from sim.experiments.ranges import lever_overrides
from sim.experiments.sensitivity import load_sensitivity, run_sensitivity
from sim.interfaces.plots.optimize import draw_optimize
from sim.interfaces.plots.sensitivity import plot_sensitivity

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"progress": False, "log": lambda msg: None}
A_LOW, A_HIGH = 4e7, 2.4e8          # budget.total_yuan: the lever that matters
B_HIGH = 20_000                     # retention.talent_subsidy_yuan: the one that barely does
NOISE_SD = 150.0


def synthetic_run(job: Job) -> RunResult:
    """T5 = A/1e5 + B/1e3 + N(0, 150) per year; T9 = 0.6 + B/1e5 - 0.002 x launch delay in months
    + N(0, 0.01); ledger = the budget's lines as the real Budget allocates them."""
    p = job.params
    a, b = p.budget.total_yuan, p.retention.talent_subsidy_yuan
    y0, n = p.run.start_year, p.run.years
    launch = int(p.platform.launch[:4]) * 12 + int(p.platform.launch[5:]) - 1
    rng = np.random.default_rng(job.seed)
    eps5, eps9 = rng.normal(0, NOISE_SD, n), rng.normal(0, 0.01, n)
    rows, ledger = [], []
    for k in range(n):
        t5 = a / 1e5 + b / 1e3 + eps5[k]
        t9 = 0.6 + b / 1e5 - 0.002 * (launch - 12 * y0) + eps9[k]
        for target, value, threshold in (("T5", t5, p.targets.T5_apprentices),
                                         ("T9", t9, p.targets.T9_local_employment_share)):
            rows.append((job.scenario, job.replicate, job.seed, y0 + k, target, float(value),
                         float(threshold), bool(value >= threshold)))
        total = a * (1 + p.budget.growth_per_year) ** k
        for line, share in p.budget.shares.items():
            ledger.append((y0 + k, line, total * share, 0.9 * total * share))
    annual = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "year", "target",
                                         "value", "threshold", "met"])
    return RunResult(annual, None, pd.DataFrame(
        ledger, columns=["year", "programme", "allocated_yuan", "spent_yuan"]))


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, Path)):
        return json.dumps(str(v))
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def write_study(path: Path, table: str, fields: dict, fixed: dict, ranges: dict,
                ranges_name: str, goal: dict | None = None) -> Path:
    lines = [f"[{table}]", f"base = {_value(BASELINE_PATH)}"]
    lines += [f"{k} = {_value(v)}" for k, v in fields.items()]
    lines += [f"[{table}.set]"] + [f'"{k}" = {_value(v)}' for k, v in fixed.items()]
    if goal is not None:
        lines += [f"[{table}.goal]"] + [f"{k} = {_value(v)}" for k, v in goal.items()]
    lines += [f"[{table}.{ranges_name}]"] + [f'"{k}" = {_value(v)}' for k, v in ranges.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SYNTH_SET = {"run.years": 4, "budget.growth_per_year": 0.0}
FACTORS = {"budget.total_yuan": {"low": A_LOW, "high": A_HIGH},
           "retention.talent_subsidy_yuan": {"low": 0, "high": B_HIGH, "integer": True},
           "platform.launch": {"low": "2022-01", "high": "2024-12"}}


def sensitivity_file(path: Path, method: str = "morris", n: int = 10, replicates: int = 3,
                     factors: dict | None = None, **fields) -> Path:
    return write_study(path, "sensitivity",
                       {"method": method, "n": n, "replicates": replicates, "seed": 11,
                        "year": 2025, "targets": ["T5", "T9"], **fields},
                       SYNTH_SET, factors or FACTORS, "factors")


def indices(table: pd.DataFrame, target: str, measure: str = "value") -> pd.DataFrame:
    return table[(table["target"] == target) & (table["measure"] == measure)].set_index("factor")


# ---------------------------------------------------------------------------------------------
# Sensitivity: known answers


def test_morris_ranks_the_lever_that_matters_far_above_the_one_that_does_not(tmp_path):
    sens = load_sensitivity(sensitivity_file(tmp_path / "m.toml"))
    out = tmp_path / "out"
    result = run_sensitivity(sens, out, workers=1, runner=synthetic_run, **QUIET)
    plot_sensitivity(out, result.table, sens.spec.method)  # the command line draws
    assert (result.n_runs, result.ran, result.failed) == (10 * 4 * 3, 120, 0)
    t5 = indices(result.table, "T5")
    # T5 = A/1e5 + B/1e3 + noise; common random numbers cancel the noise in each elementary
    # effect, so mu* is the change over the whole range: 2,000 for A, 20 for B, 0 for the launch.
    assert t5.loc["budget.total_yuan", "rank"] == 1
    assert t5.loc["budget.total_yuan", "mu_star"] == pytest.approx(2000, rel=1e-6)
    assert t5.loc["retention.talent_subsidy_yuan", "mu_star"] == pytest.approx(20, rel=1e-3)
    assert t5.loc["budget.total_yuan", "mu_star"] > 10 * t5.loc["retention.talent_subsidy_yuan",
                                                                 "mu_star"]
    assert t5.loc["platform.launch", "mu_star"] < 1e-6
    assert indices(result.table, "T5", "p_met").loc["budget.total_yuan", "rank"] == 1
    # T9 is the subsidy's and the launch month's, not the budget's: the ranking follows the target.
    t9 = indices(result.table, "T9")
    assert list(t9.sort_values("rank").index) == ["retention.talent_subsidy_yuan",
                                                  "platform.launch", "budget.total_yuan"]
    assert t9.loc["platform.launch", "mu_star"] == pytest.approx(0.002 * 35, rel=0.02)
    assert t9.loc["budget.total_yuan", "mu_star"] < 1e-9
    # Beside the indices, what replicate noise (sd 150 for T5) alone could show.
    assert (t5["noise"] > 0).all() and t5["noise"].nunique() == 1

    # Files: the ranked table, a figure per target, a manifest with inputs, seeds and versions.
    csv = pd.read_csv(out / "sensitivity.csv")
    assert {"target", "measure", "year", "factor", "mu_star", "mu_star_conf", "sigma",
            "rank"} <= set(csv.columns) and len(csv) == 2 * 2 * 3
    assert sorted(p.name for p in out.glob("sensitivity_*.png")) == ["sensitivity_T5.png",
                                                                    "sensitivity_T9.png"]
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["command"] == "sensitivity" and meta["package_version"]
    assert meta["versions"]["SALib"] and meta["seeds"]["master"] == 11
    assert meta["seeds"]["replicates"] == replicate_seeds(11, 3)
    assert meta["definition"]["factors"]["platform.launch"] == {"low": "2022-01",
                                                                "high": "2024-12", "kind": "month"}
    runs = pd.read_parquet(out / "sweep" / "annual.parquet")
    assert set(runs["platform.launch"]) <= {f"{y}-{m:02d}" for y in (2022, 2023, 2024)
                                            for m in range(1, 13)}
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()  # common random numbers

    # Resumable: the same file runs nothing again; a new year is re-analysed from the same runs.
    again = run_sensitivity(load_sensitivity(sensitivity_file(tmp_path / "m.toml")), out,
                            workers=1, runner=synthetic_run, **QUIET)
    assert again.ran == 0
    pd.testing.assert_frame_equal(again.table, result.table)
    other_year = run_sensitivity(load_sensitivity(sensitivity_file(tmp_path / "m.toml",
                                                                   year=2023)),
                                 out, workers=1, runner=synthetic_run, **QUIET)
    assert other_year.ran == 0 and set(other_year.table["year"]) == {2023}
    only_t5 = run_sensitivity(load_sensitivity(sensitivity_file(tmp_path / "m.toml",
                                                                targets=["T5"])),
                              out, workers=1, runner=synthetic_run, **QUIET)
    plot_sensitivity(out, only_t5.table, "morris")
    assert only_t5.ran == 0 and set(only_t5.table["target"]) == {"T5"}
    assert [p.name for p in out.glob("sensitivity_*.png")] == ["sensitivity_T5.png"]


def test_sobol_total_index_of_the_idle_lever_is_near_zero(tmp_path):
    two = {k: FACTORS[k] for k in ("budget.total_yuan", "retention.talent_subsidy_yuan")}
    sens = load_sensitivity(sensitivity_file(tmp_path / "s.toml", method="sobol", n=64,
                                             replicates=1, factors=two))
    assert sens.sweep.n_points == 64 * (2 + 2)
    result = run_sensitivity(sens, tmp_path / "out", workers=1, runner=synthetic_run, **QUIET)
    t5 = indices(result.table, "T5")
    # Variance shares of A/1e5 (range 2,000) and B/1e3 (range 20): 0.9999 and 0.0001.
    assert t5.loc["budget.total_yuan", "ST"] > 0.9
    assert t5.loc["budget.total_yuan", "S1"] > 0.9
    assert abs(t5.loc["retention.talent_subsidy_yuan", "ST"]) < 0.01
    assert t5.loc["budget.total_yuan", "rank"] == 1
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(result.table.columns)


def test_listed_budget_shares_are_renormalised_with_the_others():
    base = load_params(BASELINE_PATH)
    out = lever_overrides(base, {"budget.share_apprenticeship": 0.5, "budget.total_yuan": 1e8})
    shares = {k: v for k, v in out.items() if k.startswith("budget.share_")}
    assert len(shares) == 8 and sum(shares.values()) == pytest.approx(1)
    old = base.budget.shares
    # The others keep their proportions to each other; the listed one is its weight / the sum.
    assert shares["budget.share_retention"] / shares["budget.share_platform"] == pytest.approx(
        old["retention"] / old["platform"])
    assert shares["budget.share_apprenticeship"] == pytest.approx(
        0.5 / (0.5 + 1 - old["apprenticeship"]))
    assert out["budget.total_yuan"] == 1e8
    base.override(out)  # a valid parameter set


# ---------------------------------------------------------------------------------------------
# Optimiser: known answer, and the independent check


OPT_TARGET_P = 0.8


def optimize_file(path: Path, trials: int = 40, replicates: int = 20, **fields) -> Path:
    return write_study(path, "optimize",
                       {"replicates": replicates, "trials": trials, "seed": 5,
                        "check_replicates": 100, **fields},
                       SYNTH_SET,
                       {"budget.total_yuan": {"low": A_LOW, "high": A_HIGH},
                        "retention.talent_subsidy_yuan": {"low": 0, "high": B_HIGH}},
                       "levers", goal={"targets": ["T5"], "probability": OPT_TARGET_P,
                                       "year": 2025})


def synthetic_noise(params, seeds, year_index: int) -> np.ndarray:
    """Each seed's T5 noise in the goal year, read back from the synthetic model itself."""
    zero = params.override({"budget.total_yuan": 0.0, "retention.talent_subsidy_yuan": 0.0})
    return np.array([synthetic_run(Job(zero, seed=s)).annual.query("target == 'T5'")
                     ["value"].iloc[year_index] for s in seeds])


def test_optimiser_finds_the_known_cheapest_setting_and_a_fresh_forecast_confirms_it(tmp_path):
    opt = load_optimize(optimize_file(tmp_path / "o.toml"))
    out = tmp_path / "out"
    result = run_optimize(opt, out, workers=1, runner=synthetic_run, **QUIET)
    draw_optimize(opt, result)  # the command line draws
    assert result.met_goal
    chosen = result.best.user_attrs["candidate"]
    a, b = chosen["levers"]["budget.total_yuan"], chosen["levers"]["retention.talent_subsidy_yuan"]

    # The known answer on the optimiser's seeds: T5 met in replicate r iff
    # A/1e5 + B/1e3 + eps_r >= 2000, so the cheapest A meeting p >= 0.8 at subsidy B is
    # 1e5 (2000 - B/1e3 - the ceil(0.8 R)-th largest eps); cheapest of all at B = max.
    threshold = opt.base.targets.T5_apprentices
    eps = synthetic_noise(opt.base, opt.seeds, year_index=3)
    k = math.ceil(OPT_TARGET_P * len(eps))
    q = np.sort(eps)[::-1][k - 1]
    a_star = 1e5 * (threshold - B_HIGH / 1e3 - q)
    assert a >= 1e5 * (threshold - b / 1e3 - q) - 1e-3  # the chosen setting really meets the goal
    assert a - a_star <= 0.05 * (A_HIGH - A_LOW), f"chosen {a:.4g}, cheapest possible {a_star:.4g}"
    p_known = float(np.mean(a / 1e5 + b / 1e3 + eps >= threshold))
    assert chosen["p_met"]["T5"] == pytest.approx(p_known) and p_known >= OPT_TARGET_P
    assert result.best.value == pytest.approx(4 * a)  # cost: budget allocated 2022-2025
    assert chosen["spent"] == pytest.approx(0.9 * 4 * a)

    # The independent forecast: fresh seeds, the chosen file, the same probability within
    # binomial sampling error of both estimates.
    check = result.check["T5"]
    n1, n2 = opt.spec.replicates, opt.spec.check_replicates
    p_opt, p_check = check["p_optimiser"], check["p_check"]
    pooled = (p_opt * n1 + p_check * n2) / (n1 + n2)
    assert abs(p_opt - p_check) <= 3 * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) + 0.02
    p_true = 0.5 * math.erfc((threshold - a / 1e5 - b / 1e3) / (NOISE_SD * math.sqrt(2)))
    assert abs(p_check - p_true) <= 3 * math.sqrt(p_true * (1 - p_true) / n2) + 0.02
    fc = json.loads((out / "forecast" / "manifest.json").read_text())
    assert fc["command"] == "forecast" and fc["seeds"]["master_seed"] == opt.check_seed
    assert not set(fc["seeds"]["replicates"]) & set(opt.seeds)
    att = pd.read_csv(out / "forecast" / "attainment.csv")
    assert att.query("target == 'T5' and year == 2025")["p_met"].iloc[0] == pytest.approx(p_check)
    assert (out / "forecast" / "fan_T5_best.png").is_file()
    assert main(["plot", str(out / "forecast")]) == 0  # a forecast folder like any other

    # Outputs: candidates, trade-off, a loadable best.toml holding what ran, the manifest.
    cand = pd.read_csv(out / "candidates.csv")
    assert len(cand) == 40 and {"cost_yuan", "p_met_T5", "feasible", "budget.total_yuan"} <= set(
        cand.columns)
    assert (out / "tradeoff.png").stat().st_size > 10_000
    best = load_params(out / "best.toml")
    assert best.budget.total_yuan == a and best.run.years == 4
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["command"] == "optimize" and meta["seeds"]["replicates"] == list(opt.seeds)
    assert meta["versions"]["optuna"] and meta["best"]["trial"] == result.best.number
    assert any("T5 is met with p ≥ 0.8 in 2025" in line for line in result.answer)

    # Resuming a finished study runs no candidate again and chooses the same one.
    again = run_optimize(load_optimize(optimize_file(tmp_path / "o.toml")), out, workers=1,
                         runner=synthetic_run, **QUIET)
    assert again.best.number == result.best.number
    assert json.loads((out / "manifest.json").read_text())["trials"]["this_session"] == 0


def test_a_stopped_and_extended_study_proposes_what_a_straight_one_does(tmp_path):
    straight = run_optimize(load_optimize(optimize_file(tmp_path / "a.toml", trials=12,
                                                        replicates=5)),
                            tmp_path / "straight", workers=1, runner=synthetic_run, **QUIET)
    out = tmp_path / "resumed"
    run_optimize(load_optimize(optimize_file(tmp_path / "b.toml", trials=7, replicates=5)), out,
                 workers=1, runner=synthetic_run, **QUIET)
    resumed = run_optimize(load_optimize(optimize_file(tmp_path / "b.toml", trials=12,
                                                       replicates=5)),
                           out, workers=1, runner=synthetic_run, **QUIET)
    cols = ["trial", "budget.total_yuan", "retention.talent_subsidy_yuan", "cost_yuan",
            "p_met_T5"]
    pd.testing.assert_frame_equal(resumed.candidates[cols], straight.candidates[cols])


# ---------------------------------------------------------------------------------------------
# The real model, tiny


TINY = {"run.persons_per_agent": 20, "run.years": 2}


def test_sensitivity_command_on_the_real_model(tmp_path, capsys):
    path = write_study(tmp_path / "s.toml", "sensitivity",
                       {"method": "morris", "n": 2, "replicates": 2, "seed": 3, "year": 2023,
                        "targets": ["T5", "T7", "T9"]}, TINY,
                       {"budget.total_yuan": {"low": 4e7, "high": 2.4e8},
                        "platform.launch": {"low": "2022-01", "high": "2023-12"},
                        "budget.share_training_bases": {"low": 0.1, "high": 0.6}}, "factors")
    assert main(["check", str(path)]) == 0
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "T7 value in 2023: driven by" in printed
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["target"]) == {"T5", "T7", "T9"} and len(table) == 3 * 2 * 3
    # Training bases (T7) follow the money: the budget or the bases' share leads their ranking.
    t7 = table[(table["target"] == "T7") & (table["measure"] == "value")].set_index("factor")
    assert t7["rank"].idxmin() in ("budget.total_yuan", "budget.share_training_bases")
    assert sorted(p.name for p in out.glob("sensitivity_*.png")) == [
        "sensitivity_T5.png", "sensitivity_T7.png", "sensitivity_T9.png"]
    runs = pd.read_parquet(out / "sweep" / "annual.parquet")
    assert runs.groupby(["point", "replicate"]).ngroups == 2 * 4 * 2
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["sensitivity_file"] == str(path) and meta["parameters"]["run"]["years"] == 2
    # `skills-sim plot` redraws the figures from the files alone.
    for png in out.glob("sensitivity_*.png"):
        png.unlink()
    assert main(["plot", str(out)]) == 0
    assert len(list(out.glob("sensitivity_*.png"))) == 3


def test_optimize_command_on_the_real_model(tmp_path, capsys):
    path = write_study(tmp_path / "o.toml", "optimize",
                       {"replicates": 2, "trials": 3, "seed": 3, "check_replicates": 3}, TINY,
                       {"budget.total_yuan": {"low": 4e7, "high": 2.4e8},
                        "budget.share_training_bases": {"low": 0.1, "high": 0.6},
                        "platform.launch": {"low": "2022-01", "high": "2023-12"},
                        "retention.subsidy.enabled": {"low": False, "high": True}},
                       "levers", goal={"targets": ["T5", "T7"], "probability": 0.5,
                                       "year": 2023})
    assert main(["check", str(path)]) == 0
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--workers", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"T5 and T7 are met with p ≥ 0.5 in 2023|No candidate of 3 met", printed)
    assert "independent forecast of 3 fresh replicates" in printed
    for name in ("candidates.csv", "tradeoff.png", "best.toml", "study.db", "manifest.json",
                 "forecast/annual.parquet", "forecast/fan_T7_best.png", "forecast/summary.md"):
        assert (out / name).is_file(), name
    cand = pd.read_csv(out / "candidates.csv")
    assert len(cand) == 3 and (cand["cost_yuan"] > 0).all()
    shares = cand[[c for c in cand.columns if c.startswith("budget.share_")
                   and "(weight)" not in c]]
    assert np.allclose(shares.sum(axis=1), 1)
    best = load_params(out / "best.toml")
    assert best.run.persons_per_agent == 20
    assert abs(sum(best.budget.shares.values()) - 1) < 1e-9
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["optimize_file"] == str(path) and meta["seeds"]["check_master"] == 4
    assert meta["package_version"] and meta["versions"]["optuna"]
    (out / "forecast/fan_T7_best.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "forecast/fan_T7_best.png").is_file()


# ---------------------------------------------------------------------------------------------
# Bad input: exit 2, nothing written


BAD_SENSITIVITY = [
    ({"n": 12, "method": "sobol"}, None, "power of 2"),
    ({"year": 2031}, None, "the runs simulate 2022-2025"),
    ({"targets": ["T5", "T10"]}, None, "expected distinct targets"),
    ({"replicate": 3}, None, "unknown key"),
    ({}, {"budget.total_yuen": {"low": 1, "high": 2}}, "did you mean"),
    ({}, {"budget.total_yuan": {"low": 2e8, "high": 1e8}}, "high must be above low"),
    ({}, {"run.years": {"low": 1, "high": 3}}, "run settings"),
    ({}, {"platform.launch": {"low": 2022, "high": 2024}}, "YYYY-MM"),
    ({}, {"budget.share_combos": {"low": -0.1, "high": 0.2}}, "cannot be negative"),
    ({}, {"labour_market.outside_wage_premium": {"low": 0, "high": 9}}, "less than or equal to 5"),
]


@pytest.mark.parametrize("fields, factors, message", BAD_SENSITIVITY,
                         ids=[m for *_, m in BAD_SENSITIVITY])
def test_bad_sensitivity_file_exits_2_and_writes_nothing(tmp_path, capsys, fields, factors,
                                                         message):
    path = sensitivity_file(tmp_path / "bad.toml", factors=factors, **fields)
    with pytest.raises(ParamError) as info:
        load_sensitivity(path)
    assert message in str(info.value) and str(path) in str(info.value)
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out)]) == 2
    assert main(["check", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


BAD_OPTIMIZE = [
    ({"check_seed": 5}, "fresh seeds"),
    ({"trials": 0}, "greater than or equal to 1"),
    ({"goal_typo": 1}, "unknown key"),
]


@pytest.mark.parametrize("fields, message", BAD_OPTIMIZE, ids=[m for _, m in BAD_OPTIMIZE])
def test_bad_optimize_file_exits_2_and_writes_nothing(tmp_path, capsys, fields, message):
    path = optimize_file(tmp_path / "bad.toml", **fields)
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--out", str(out)]) == 2
    assert main(["check", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_changed_file_on_an_existing_folder_is_refused_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    run_optimize(load_optimize(optimize_file(tmp_path / "o.toml", trials=2, replicates=2)), out,
                 workers=1, runner=synthetic_run, **QUIET)
    sens_out = tmp_path / "sens"
    run_sensitivity(load_sensitivity(sensitivity_file(tmp_path / "s.toml", n=2, replicates=1)),
                    sens_out, workers=1, runner=synthetic_run, **QUIET)
    before = {p: p.stat().st_mtime_ns for d in (out, sens_out) for p in d.rglob("*")}
    changed = optimize_file(tmp_path / "o.toml", trials=2, replicates=3)
    assert main(["optimize", str(changed), "--out", str(out)]) == 2
    assert "replicates: 2 -> 3" in capsys.readouterr().err
    changed = sensitivity_file(tmp_path / "s.toml", n=2, replicates=2)
    assert main(["sensitivity", str(changed), "--out", str(sens_out)]) == 2
    assert "replicates: 1 -> 2" in capsys.readouterr().err
    other = optimize_file(tmp_path / "o2.toml", trials=2, replicates=2)
    assert main(["optimize", str(other), "--out", str(sens_out)]) == 2  # not an optimize folder
    assert "holds a result of skills-sim sensitivity" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for d in (out, sens_out) for p in d.rglob("*")} == before


# ---------------------------------------------------------------------------------------------
# Shipped examples


@pytest.mark.parametrize("name, command", [("sensitivity_levers.toml", "sensitivity"),
                                           ("optimize_budget.toml", "optimize")])
def test_shipped_analysis_files_pass_check_and_are_documented(name, command, capsys):
    assert main(["check", str(ROOT / "experiments" / name)]) == 0, capsys.readouterr().err
    readme = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    assert f"skills-sim {command} experiments/{name}" in readme
