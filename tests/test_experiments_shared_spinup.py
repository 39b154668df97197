"""One spin-up shared by the scenarios of a seed gives the tables of runs from scratch.

Forecasts and sweeps group the runs of one seed whose spin-ups are the same
(:mod:`sim.experiments.shared_spinup`): the city is spun up once and each scenario continues
from a copy (:class:`sim.model.warm_start.WarmStart`). Every table must be byte-identical to the
scenario's own run, including a lever set with ``--set`` and a launch moved, and a scenario whose
other parameters differ must get its own spin-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel, load_params
from sim.experiments.executors import Job
from sim.experiments.forecast import forecast_tables
from sim.experiments.runner import RunResult, batch_params, collect, run_one
from sim.experiments.shared_spinup import JobGroup, each_run, execute_group, spinup_groups
from sim.model.agents import Student
from sim.model.warm_start import WarmStart
from sim.params import spinup_key

SCENARIOS = Path(__file__).parent.parent / "params" / "scenarios"
COARSE = {"run.persons_per_agent": 20, "run.years": 2}
SEEDS = (11, 2024)
TABLES = ("annual", "monthly", "ledger", "observables", "districts", "target_flows")


def _scenarios() -> dict:
    return {
        "baseline": load_params(None, COARSE),
        "status_quo": load_params(SCENARIOS / "status_quo.toml", COARSE),
        "more_funding": load_params(SCENARIOS / "more_funding.toml", COARSE),
        # Programme keys set on the command line, and a launch moved: levers, from the plan year.
        "set_levers": load_params(None, {**COARSE, "order_classes.subsidy_per_class_yuan": 90000.0,
                                         "apprenticeship.launch": "2023-03"}),
        # Outside the levers: this city spins up differently and needs its own spin-up.
        "other_city": load_params(None, {**COARSE, "demography.general_track_share": 0.5}),
    }


def _jobs(scenarios: dict) -> list[Job]:
    return [Job(params, seed=seed, scenario=name, replicate=k, monthly=True)
            for k, seed in enumerate(SEEDS) for name, params in scenarios.items()]


def _assert_same(a: RunResult, b: RunResult, label: str) -> None:
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        assert x is not None and len(x) > 0, (label, name)
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f"{label} {name}")
        assert x.to_csv(index=False) == y.to_csv(index=False), (label, name)  # byte for byte


@pytest.fixture(scope="module")
def scenarios():
    return _scenarios()


@pytest.fixture(scope="module")
def from_scratch(scenarios):
    return {(job.scenario, job.seed): run_one(job.params, job.seed, job.scenario, job.replicate)
            for job in _jobs(scenarios)}


def test_scenarios_of_a_seed_are_grouped_by_their_spin_up(scenarios):
    groups = list(spinup_groups(_jobs(scenarios)))
    assert [(g.jobs[0].seed, [j.scenario for j in g.jobs]) for g in groups] == [
        (seed, names) for seed in SEEDS
        for names in (["baseline", "status_quo", "more_funding", "set_levers"], ["other_city"])]
    assert sum(g.runs for g in groups) == len(SEEDS) * len(scenarios)
    capped = list(spinup_groups(_jobs(scenarios), max_runs=3))
    assert [g.runs for g in capped] == [3, 1, 1] * len(SEEDS)


def test_a_shared_spin_up_gives_each_scenario_its_own_tables(scenarios, from_scratch):
    for group in spinup_groups(_jobs(scenarios)):
        results = execute_group(group)
        assert len(results) == group.runs
        for job, result in zip(group.jobs, results):
            assert isinstance(result, RunResult), result
            _assert_same(result, from_scratch[(job.scenario, job.seed)],
                         f"{job.scenario}, seed {job.seed}")
    # The lever sets do make a difference (the comparison above is not between equal runs).
    base, funded = (from_scratch[(n, SEEDS[0])].annual for n in ("baseline", "more_funding"))
    assert not base["value"].equals(funded["value"])


def test_a_scenario_that_spins_up_differently_is_refused(scenarios):
    warm = WarmStart(batch_params(scenarios["baseline"]), SEEDS[0])
    assert warm.fits(batch_params(scenarios["status_quo"]))
    assert not warm.fits(batch_params(scenarios["other_city"]))
    with pytest.raises(ValueError, match="spins up differently"):
        warm.start(batch_params(scenarios["other_city"]), "other_city")
    assert spinup_key(scenarios["baseline"]) != spinup_key(scenarios["other_city"])


def test_a_failed_run_stands_in_its_place_and_raises_unless_asked(scenarios):
    bad = Job(scenarios["baseline"], seed=SEEDS[0], scenario="bad")
    group = JobGroup((bad,))
    boom = ValueError("boom")
    outcomes = [(group, [boom])]
    assert list(each_run(outcomes, return_exceptions=True)) == [(bad, boom)]
    with pytest.raises(ValueError, match="boom"):
        list(each_run(outcomes))


def test_object_mode_continues_agent_numbers_and_tables():
    params = load_params(None, {**COARSE, "run.student_agents": True})
    scratch = SkillsModel(params, seed=SEEDS[0], scenario="plan").run()
    warm = WarmStart(params, SEEDS[0])
    itself = warm.start(params, "plan").run()  # the first gets the spun-up model, then copies
    copied = warm.start(params, "plan").run()
    assert copied is not itself
    numbers = sorted((a.unique_id, type(a).__name__, getattr(a, "idx", -1)) for a in scratch.agents)
    assert len(scratch.agents_by_type[Student]) > 0
    for model in (copied, itself):
        assert sorted((a.unique_id, type(a).__name__, getattr(a, "idx", -1))
                      for a in model.agents) == numbers
        _assert_same(collect(model, True), collect(scratch, True), "objects")


@pytest.mark.parametrize("workers", [1, 2])
def test_the_forecast_equals_runs_from_scratch_on_any_workers(scenarios, from_scratch, workers):
    chosen = {n: scenarios[n] for n in ("baseline", "status_quo", "other_city")}
    annual, by_district, flows = forecast_tables(chosen, replicates=2, workers=workers,
                                                 master_seed=7, progress=False)
    for (name, k), rows in annual.groupby(["scenario", "replicate"], sort=False):
        seed = int(rows["seed"].iloc[0])
        alone = run_one(chosen[name], seed, name, int(k), monthly=False)
        pd.testing.assert_frame_equal(rows.reset_index(drop=True), alone.annual, check_exact=True)
        mine = flows[(flows["scenario"] == name) & (flows["replicate"] == k)]
        np.testing.assert_array_equal(mine["value"].to_numpy(),
                                      alone.target_flows["value"].to_numpy())
    assert len(annual.groupby(["scenario", "replicate"])) == 6
    assert not by_district.empty


def test_a_sweep_over_levers_equals_its_runs_from_scratch(tmp_path):
    from sim.experiments.sweep import run_sweep
    from sim.experiments.sweep_file import load_sweep
    from sim.params import BASELINE_PATH

    path = tmp_path / "levers.toml"
    path.write_text("\n".join([
        "[sweep]", f'base = "{BASELINE_PATH}"', "replicates = 2", "seed = 5",
        "[sweep.set]", '"run.persons_per_agent" = 20', '"run.years" = 2',
        "[sweep.axes]", '"order_classes.subsidy_per_class_yuan" = [0.0, 90000.0]',
        '"platform.enabled" = [false, true]']) + "\n", encoding="utf-8")
    sweep = load_sweep(path)
    jobs = [Job(sweep.run_params(p, r), seed=sweep.seeds[r], labels={"point": p})
            for r in range(2) for p in range(sweep.n_points)]
    assert [g.runs for g in spinup_groups(jobs)] == [4, 4]  # every point of a seed shares it
    outcome = run_sweep(sweep, tmp_path / "out", workers=1, progress=False, log=lambda m: None)
    assert outcome.failed == 0 and outcome.ran == 8
    runs = pd.read_parquet(tmp_path / "out" / "annual.parquet")
    for (p, r), rows in runs.groupby(["point", "replicate"]):
        alone = run_one(sweep.run_params(p, r), sweep.seeds[r], sweep.name, r, monthly=False).annual
        got = rows[alone.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone, check_exact=True, check_dtype=False)
