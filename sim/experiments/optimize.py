"""The cheapest plan that reaches the targets (``skills-sim optimize``).

An optimisation file names the levers with their ranges and the goal: chosen targets met with
probability >= p in year Y. Optuna's TPE sampler, with the goal as a constraint, searches the
levers for the cheapest setting meeting it::

    [optimize]
    base = "../params/baseline.toml"  # parameter file every candidate starts from
    replicates = 20                   # runs per candidate; the same seeds for every candidate
    trials = 60                       # candidates evaluated in total (raise it to extend a study)
    seed = 20220101                   # master seed of the candidates' replicates and the sampler
    # check_seed = 20220102           # master seed of the independent check (default seed + 1)
    # check_replicates = 50           # replicates of the independent check
    [optimize.set]                    # optional fixed overrides (e.g. "run.years" = 4)
    [optimize.goal]
    targets = ["T5", "T7"]
    probability = 0.8
    year = 2025
    [optimize.levers]                 # ranges as in sensitivity files (sim.experiments.sensitivity)
    "budget.total_yuan" = { low = 2e7, high = 2.4e8 }
    "budget.share_training_bases" = { low = 0.05, high = 0.7 }
    "platform.launch" = { low = "2022-01", high = "2024-12" }
    "retention.subsidy.enabled" = { low = false, high = true }

- **Cost** is the budget *allocated* to the plan's programmes from the first simulated year to
  Y (``budget.total_yuan`` with its growth, read from the runs' ledgers): what the city commits,
  whether or not a line spends it all (leftovers lapse). Shares, subsidies and timing move money
  within that budget, so the question answered is "the smallest budget that, well allocated,
  meets the goal". Money actually spent is reported beside it.
- **Budget shares** listed as levers are searched as weights and all shares renormalised to sum
  to 1 (:func:`sim.experiments.sensitivity.lever_overrides`); ``best.toml`` holds the resulting shares.
- **Met** means met in year Y itself (the targets are annual), each goal target separately with
  probability >= p, the probability being the share of replicates meeting it.
- **Common random numbers.** Every candidate runs the same replicate seeds (derived from ``seed``
  as ``skills-sim forecast`` derives them), so candidates differ by their levers, not by luck.
- **Resumable.** The study lives in ``study.db`` (SQLite); re-running the same command on the same
  folder continues it. The sampler is reseeded before each trial from the master seed and the
  number of finished trials, so a resumed study proposes what an uninterrupted one would have.
- **Independent check.** The chosen setting is the cheapest that passed on the optimiser's own
  seeds, so its probability is optimistic (it was selected for passing). ``best.toml`` is
  therefore forecast again with fresh seeds (``check_seed``) into ``forecast/``, and the answer
  quotes both.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.folders import (FolderLock, begin_update, canonical_json, manifest, now_iso,
                                     recorded_study, write_csv, write_json, write_manifest,
                                     write_text)
from sim.experiments.forecast import sort_by_scenario
from sim.experiments.optuna_study import (complete_trials, json_float, optuna_version,
                                          tpe_sampler)
from sim.experiments.optuna_study import open_study as open_optuna_study
from sim.experiments.assumptions import (ASSUMPTION_METHOD, replicate_overrides,
                                         with_assumptions)
from sim.experiments.ranges import lever_overrides, parse_uncertain
from sim.experiments.seeds import SEED_METHOD, keyed_seed, replicate_seeds
from sim.experiments.sweep import SweepError, definition_differences
from sim.experiments.optimize_file import Goal, Optimization
from sim.experiments.progress import Progress, track
from sim.experiments.optimize_report import best_toml, candidates_table, candidate, check_summary, header_lines, plain_answer
from sim.params import MISSING, ParamError, Params, load_params

STUDY_NAME = "skills-sim-optimize"
_SAMPLER_KEY = 0x0971  # spawn key of the sampler's seeds, apart from the replicates' (k,)


# ---------------------------------------------------------------------------------------------
# Evaluating candidates


@dataclass(frozen=True)
class Engine:
    """Where candidates run: ``workers`` processes of :func:`sim.experiments.executors.run_jobs` (whose fork
    server makes a pool per candidate cheap), each calling ``runner`` per job: by default
    :func:`sim.experiments.executors.execute`, in tests a cheap synthetic model with a known answer."""

    workers: int = 1
    runner: Any = None


def run_all(params: Params, seeds, engine: Engine, scenario: str, master: int):
    """Every seed's run of ``params``, in replicate order whatever order they finished in.
    Replicate k also takes its draw of the uncertain assumptions (from ``master``, the seeds'
    master seed), so a candidate is judged over their ranges, not at one point."""
    from sim.experiments.executors import Job, run_jobs

    draws = replicate_overrides(params, len(seeds), master, f"{scenario} (its [uncertain] table)")
    jobs = [Job(params=with_assumptions(params, draws[k], f"{scenario}, replicate {k}"), seed=s,
                scenario=scenario, replicate=k, monthly=False)
            for k, s in enumerate(seeds)]
    results = {job.replicate: r for job, r in run_jobs(jobs, workers=min(engine.workers, len(jobs)),
                                                        progress=False, fn=engine.runner)}
    return [results[k] for k in range(len(jobs))]


def evaluate(opt: Optimization, params: Params, engine: Engine) -> dict[str, Any]:
    """Cost and attainment of one candidate over the common seeds."""
    goal = opt.goal
    first = params.run.start_year
    results = run_all(params, opt.seeds, engine, opt.name, opt.spec.seed)
    met = np.zeros((len(results), len(goal.targets)), dtype=bool)
    values = np.full((len(results), len(goal.targets)), np.nan)
    allocated, spent = [], []
    for k, r in enumerate(results):
        a = r.annual[r.annual["year"] == goal.year].set_index("target")
        for j, t in enumerate(goal.targets):
            if t in a.index:  # a target the model did not produce counts as not met
                met[k, j] = bool(a.at[t, "met"])
                values[k, j] = float(a.at[t, "value"])
        ledger = r.ledger[(r.ledger["year"] >= first) & (r.ledger["year"] <= goal.year)]
        allocated.append(float(ledger["allocated_yuan"].sum()))
        spent.append(float(ledger["spent_yuan"].sum()))
    p = met.mean(axis=0)
    return {
        "cost": float(np.mean(allocated)),
        "spent": float(np.mean(spent)),
        "p_met": {t: float(p[j]) for j, t in enumerate(goal.targets)},
        "p_all": float(met.all(axis=1).mean()),
        "mean": {t: json_float(np.nanmean(values[:, j]) if not np.isnan(values[:, j]).all()
                                else np.nan) for j, t in enumerate(goal.targets)},
    }


def feasible(ev: dict[str, Any], goal: Goal) -> bool:
    return all(ev["p_met"][t] >= goal.probability - 1e-12 for t in goal.targets)


def constraints(trial) -> list[float]:
    """Optuna's constraint values (<= 0 is satisfied): how far each target falls short of p."""
    return trial.user_attrs["constraint"]


def _trial_constraints() -> bool:
    """Optuna >= 5 takes constraints per trial (``Trial.set_constraint``); 4.x through the
    sampler's ``constraints_func``. Both give the TPE sampler the same numbers."""
    from optuna.trial import Trial

    return hasattr(Trial, "set_constraint")


# ---------------------------------------------------------------------------------------------
# The study


def sampler_seed(master_seed: int, n_complete: int) -> int:
    return keyed_seed(master_seed, _SAMPLER_KEY, n_complete)


def _sampler(master_seed: int, n_complete: int, n_levers: int):
    # random start, then model-based
    return tpe_sampler(sampler_seed(master_seed, n_complete), min(10, 2 + 3 * n_levers),
                       constraints_func=None if _trial_constraints() else constraints)


def open_study(out: Path, digest: str):
    """The optimisation study in ``out/study.db`` (see :func:`sim.experiments.optuna_study.open_study`)."""
    return open_optuna_study(out, digest, study_name=STUDY_NAME)


def decode(opt: Optimization, trial_params: dict[str, Any]) -> dict[str, Any]:
    """Optuna's values (month indices, ...) as the parameters take them."""
    return {f.key: f.decode(trial_params[f.key]) for f in opt.levers}


def run_trials(study, opt: Optimization, engine: Engine, trials: int,
               progress: Progress | None) -> None:
    """Ask, evaluate and tell until ``trials`` finished trials exist."""
    from optuna.trial import TrialState

    dists = {f.key: f.distribution() for f in opt.levers}
    done = complete_trials(study)
    best = min((t.value for t in done if candidate(t)["feasible"]), default=math.inf)
    with track(progress, trials, "candidates", min(len(done), trials), unit="trial") as bar:
        while len(done) < trials:
            study.sampler = _sampler(opt.spec.seed, len(done), len(opt.levers))
            trial = study.ask(dists)
            try:
                values = decode(opt, trial.params)
                params = opt.params(values, f"{opt.path} (trial {trial.number})")
                ev = evaluate(opt, params, engine)
                ok = feasible(ev, opt.goal)
                # One attribute (a SQLite write each): levers, what they set, the evaluation.
                trial.set_user_attr("candidate", {"levers": values, "feasible": ok,
                                                  "overrides": lever_overrides(opt.base, values),
                                                  **ev})
                shortfall = {t: opt.goal.probability - ev["p_met"][t] for t in opt.goal.targets}
                trial.set_user_attr("constraint", list(shortfall.values()))
                if _trial_constraints():
                    for t, v in shortfall.items():
                        trial.set_constraint(t, v)
            except BaseException:
                study.tell(trial, state=TrialState.FAIL)
                raise
            study.tell(trial, ev["cost"])
            if ok:
                best = min(best, ev["cost"])
            done = complete_trials(study)
            bar.update(1)
            if math.isfinite(best):
                bar.note(f"cheapest meeting the goal {best:.4g} yuan")


def choose(done: list, goal: Goal):
    """The cheapest candidate meeting the goal (ties: higher probability, then earlier); if
    none does, the one closest to it (highest lowest probability, then cheapest)."""
    ok = [t for t in done if candidate(t)["feasible"]]
    if ok:
        return min(ok, key=lambda t: (t.value, -_p_min(t, goal), t.number)), True
    return min(done, key=lambda t: (-_p_min(t, goal), t.value, t.number)), False


def _p_min(trial, goal: Goal) -> float:
    return min(candidate(trial)["p_met"][t] for t in goal.targets)


# ---------------------------------------------------------------------------------------------
# Outputs


def check_forecast(opt: Optimization, params: Params, out: Path, engine: Engine,
                   started: str) -> pd.DataFrame:
    """Forecast the chosen setting with fresh seeds into ``out`` (a forecast folder that
    ``skills-sim plot`` redraws); returns its attainment table."""
    from sim.experiments.attainment import attainment, earliest_year

    seeds = replicate_seeds(opt.check_seed, opt.spec.check_replicates)
    results = run_all(params, seeds, engine, "best", opt.check_seed)
    annual = pd.concat([r.annual for r in results if not r.annual.empty], ignore_index=True)
    annual = sort_by_scenario(annual, ["best"], keys=("replicate", "year", "target"))
    att = attainment(annual, by=["scenario"])
    begin_update(out)
    write_parquet_csv(out, annual, att, earliest_year(att, by=["scenario"]))
    meta = manifest("forecast", {"best": params.to_dict()},
                    {"master_seed": opt.check_seed, "method": SEED_METHOD, "replicates": seeds},
                    started, scenarios=[{"name": "best", "params_file": "../best.toml"}],
                    replicates=opt.spec.check_replicates,
                    purpose="independent check of skills-sim optimize's chosen setting, "
                            "with seeds the optimiser never saw",
                    assumptions={"fixed": False, "method": ASSUMPTION_METHOD,
                                 "ranges": {"best": {f.key: f.spec() for f in
                                                     parse_uncertain(params, "best.toml")}}})
    meta["finished"] = now_iso()
    write_manifest(meta, out, ["annual.parquet", "attainment.csv", "earliest_year.csv"])
    return att


def write_parquet_csv(out: Path, annual, att, early) -> None:
    from sim.experiments.folders import write_parquet

    write_parquet(annual, out / "annual.parquet")
    write_csv(att, out / "attainment.csv")
    write_csv(early, out / "earliest_year.csv")


# ---------------------------------------------------------------------------------------------
# The folder


def check_folder(out: Path, opt: Optimization) -> bool:
    """True if ``out`` holds this optimisation; refuse a different one or a foreign folder."""
    old = recorded_study(out, "spec.json", "definition", "an optimisation", "run of this file")
    if old is not None:
        changes = definition_differences(old, opt.definition())
        if changes:
            raise ParamError(str(opt.path), "<file>", MISSING,
                             f"{out} holds a different optimisation, so it cannot be resumed with "
                             f"this file ({'; '.join(changes)}). Use a new --out, or the file it "
                             f"was started with (a copy is in {out / 'optimize.toml'}).")
        return True
    return False


def _digest(opt: Optimization) -> str:
    import hashlib

    return hashlib.sha256(canonical_json(opt.definition()).encode()).hexdigest()


@dataclass
class OptimizeOutcome:
    out: Path
    best: Any            # the chosen Optuna trial
    met_goal: bool
    candidates: pd.DataFrame
    check: dict[str, Any]
    answer: list[str]


def run_optimize(opt: Optimization, out: str | Path, workers: int | None = None,
                 progress: Progress | None = None, runner=None, log=None) -> OptimizeOutcome:
    """Run (or resume) the study in ``out``, then write the tables, ``best.toml``, the
    independent forecast and the manifest. ``runner`` replaces :func:`sim.experiments.executors.execute`."""
    from sim.experiments.executors import default_workers

    say = log or (lambda msg: None)
    out = Path(out)
    workers = default_workers() if workers is None else workers
    resuming = check_folder(out, opt)  # refuse before writing anything
    started, t0 = now_iso(), time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(out, "skills-sim optimize", SweepError).acquire()
    try:
        begin_update(out)  # incomplete until the manifest is written again, last
        digest = _digest(opt)
        if not resuming:
            write_json({"created": started, "sha256": digest, "definition": opt.definition()},
                       out / "spec.json")
            write_text(opt.path.read_text(encoding="utf-8"), out / "optimize.toml")
        study = open_study(out, digest)
        before = len(complete_trials(study))
        say(f"optimize {opt.name}: {len(opt.levers)} levers, {opt.spec.trials} candidates x "
            f"{opt.spec.replicates} replicates on {workers} worker(s) -> {out}"
            + (f" (resuming: {before} candidate(s) done)" if resuming else ""))
        engine = Engine(workers, runner)
        run_trials(study, opt, engine, opt.spec.trials, progress)
        done = complete_trials(study)
        best, met_goal = choose(done, opt.goal)
        overrides = candidate(best)["overrides"]
        header = header_lines(opt, best, met_goal, len(done))
        write_text(best_toml(opt, out, overrides, header), out / "best.toml")
        chosen = load_params(out / "best.toml")  # what an analyst gets is what ran
        if chosen.to_dict() != opt.params(candidate(best)["levers"], "best").to_dict():
            raise RuntimeError("best.toml does not reproduce the chosen candidate")
        say(f"independent check: {opt.spec.check_replicates} replicates of the chosen "
            f"setting with fresh seeds (master seed {opt.check_seed}) -> {out / 'forecast'}")
        att = check_forecast(opt, chosen, out / "forecast", engine, now_iso())
        check = check_summary(opt, best, att)
        table = candidates_table(study, opt)
        write_csv(table, out / "candidates.csv")
        answer = plain_answer(opt, best, met_goal, check, len(done))
        write_manifest(_manifest(opt, out, study, best, met_goal, overrides, check, answer,
                                 digest, started, before, len(done), workers, t0), out,
                       ["candidates.csv", "best.toml", "spec.json", "optimize.toml"])
    finally:
        lock.release()
    return OptimizeOutcome(out, best, met_goal, table, check, answer)


def _manifest(opt: Optimization, out: Path, study, best, met_goal: bool, overrides: dict[str, Any],
              check: dict[str, Any], answer: list[str], digest: str, started: str, before: int,
              n_done: int, workers: int, t0: float) -> dict[str, Any]:
    """What optimize's manifest.json records."""
    counts = pd.Series([t.state.name for t in study.get_trials(deepcopy=False)]).value_counts()
    return manifest(
        "optimize", opt.base.to_dict(),
        {"master": opt.spec.seed, "replicates": list(opt.seeds),
         "method": "the same seeds for every candidate (common random numbers), derived as "
                   "skills-sim forecast derives replicates",
         "sampler": "TPE (constraints: goal), reseeded before each trial from "
                    f"SeedSequence(master, spawn_key=({_SAMPLER_KEY}, finished trials))",
         "check_master": opt.check_seed,
         "check_replicates": replicate_seeds(opt.check_seed, opt.spec.check_replicates)},
        started, first_started=_created(out), optimize_file=str(opt.path),
        definition={k: v for k, v in opt.definition().items() if k != "base_parameters"},
        cost="budget allocated (ledger allocated_yuan) from the first simulated year to "
             "goal.year, mean over replicates",
        trials={"requested": opt.spec.trials, "this_session": n_done - before,
                **{k.lower(): int(v) for k, v in counts.items()}},
        best={"trial": best.number, "meets_goal": met_goal, "cost_yuan": best.value,
              "spent_yuan": candidate(best)["spent"], "levers": candidate(best)["levers"],
              "overrides": overrides, "p_met": candidate(best)["p_met"]},
        check=check, answer=answer, study={"storage": "study.db", "name": STUDY_NAME,
                                           "spec_sha256": digest},
        workers=workers, versions={"optuna": optuna_version()},
        elapsed_s=round(time.perf_counter() - t0, 1),
    )


def _created(out: Path) -> str | None:
    import json

    try:
        return json.loads((out / "spec.json").read_text(encoding="utf-8")).get("created")
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# The command
