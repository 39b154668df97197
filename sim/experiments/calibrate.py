"""Calibration: fit chosen coefficients to a city's observed statistics (``skills-sim calibrate``).

The user gives observed values with tolerances (a CSV: ``indicator, year, value, tolerance``)
and the coefficients to fit with their ranges (``--fit KEY=LOW:HIGH``). Each Optuna trial runs the
model on the same S seeds (common random numbers, so trials differ by their parameters, not by
noise), averages every observable over seeds (and over years where the CSV leaves the year
empty) and scores ``mean over rows of ((simulated - observed) / tolerance)^2``.

The study lives in ``<out>/study.db`` (SQLite), so re-running the same command on the same folder
continues it. The TPE sampler is reseeded before every trial from the master seed and the number
of finished trials, so a resumed study proposes exactly what an uninterrupted one would have.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.params import BASELINE_PATH, Params, load_params, parse_set_options
from sim.experiments.executors import Executor, LocalExecutor
from sim.experiments.folders import FolderLock
from sim.experiments.limits import MAX_TRIALS, check_count, check_replicates, check_seed, check_workers
from sim.experiments.optuna_study import (complete_trials, json_float, open_study, optuna_version,
                                          tpe_sampler)
from sim.experiments.seeds import keyed_seed, replicate_seeds
from sim.experiments.observed import Observed, parse_fit, read_observed, row_values
from sim.experiments.progress import Progress, track
from sim.experiments.ranges import Factor
from sim.experiments.calibration_spec import check_folder, spec_definition, spec_hash
from sim.experiments.toml_out import toml_assign, toml_value

DEFAULT_TRIALS = 30
DEFAULT_SEEDS = 3
STUDY_NAME = "skills-sim-calibrate"
# Spawn key of the sampler's seeds: apart from the model seeds (SeedSequence(master).spawn(S)).
_SAMPLER_KEY = 0xCA11B


# ---------------------------------------------------------------------------------------------
# Inputs


def simulated_years(params: Params) -> range:
    return range(params.run.start_year, params.run.start_year + params.run.years)


def model_seeds(master_seed: int, n: int) -> list[int]:
    """The S seeds every trial uses, derived as ``skills-sim forecast`` derives replicates."""
    return replicate_seeds(master_seed, n)


def sampler_seed(master_seed: int, n_complete: int) -> int:
    """The TPE sampler's seed for the trial after ``n_complete`` finished ones."""
    return keyed_seed(master_seed, _SAMPLER_KEY, n_complete)


# ---------------------------------------------------------------------------------------------
# The objective


@dataclass
class Evaluation:
    """One parameter set scored on the seeds: ``sim`` is seeds x rows (NaN = not produced)."""

    sim: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    z: np.ndarray
    score: float


def evaluate(params: Params, rows: list[Observed], seeds: list[int],
             runner: Executor | int = 1) -> Evaluation:
    """Run ``params`` on every seed (in parallel) and score it against the observed rows."""
    from sim.experiments.executors import Job

    if isinstance(runner, int):
        with LocalExecutor(min(runner, len(seeds))) as r:
            return evaluate(params, rows, seeds, r)
    jobs = [Job(params=params, seed=s, scenario="calibrate", replicate=k)
            for k, s in enumerate(seeds)]
    sim = np.full((len(seeds), len(rows)), np.nan)
    for job, result in runner.map(jobs):
        sim[job.replicate] = row_values(result.observables, rows)
    return score(sim, rows)


def score(sim: np.ndarray, rows: list[Observed]) -> Evaluation:
    """Mean squared z over rows; a row no seed produced makes the score infinite."""
    obs = np.array([r.value for r in rows])
    tol = np.array([r.tolerance for r in rows])
    have = ~np.isnan(sim)
    n = have.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(sim, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(have, sim - mean, 0.0)
        sd = np.where(n > 1, np.sqrt((dev ** 2).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)
    z = (mean - obs) / tol
    total = float(np.mean(z ** 2)) if not np.isnan(z).any() else math.inf
    return Evaluation(sim, mean, sd, z, total)


def trial_params(base: Params, fits: list[Factor], values: dict[str, Any], source: str) -> Params:
    return base.override({f.key: values[f.key] for f in fits}, source=source)


# ---------------------------------------------------------------------------------------------
# The folder: spec, lock, study


class CalibrationError(RuntimeError):
    """The calibration cannot proceed for a reason other than its input (exit status 1)."""


def _sampler(master_seed: int, n_complete: int, n_fit: int):
    # random start: 5 for one key, 10 from three
    return tpe_sampler(sampler_seed(master_seed, n_complete), min(10, 2 + 3 * n_fit))


def run_trials(study, base: Params, rows: list[Observed], fits: list[Factor], seeds: list[int],
              workers: int, trials: int, master_seed: int, progress: Progress | None) -> None:
    """Ask, evaluate and tell until ``trials`` finished trials exist."""
    from optuna.trial import TrialState

    dists = {f.key: f.distribution() for f in fits}
    done = complete_trials(study)
    if len(done) >= trials:
        return
    best = min((t.value for t in done), default=math.inf)
    with track(progress, trials, "trials", len(done), unit="trial") as bar, \
            LocalExecutor(min(workers, len(seeds))) as runner:
        while len(done) < trials:
            study.sampler = _sampler(master_seed, len(done), len(fits))
            trial = study.ask(dists)
            try:
                values = {f.key: trial.params[f.key] for f in fits}
                ev = evaluate(trial_params(base, fits, values, f"trial {trial.number}"),
                              rows, seeds, runner)
                trial.set_user_attr("sim", [[json_float(x) for x in r] for r in ev.sim])
            except BaseException:
                study.tell(trial, state=TrialState.FAIL)
                raise
            study.tell(trial, ev.score)
            best = min(best, ev.score)
            done = complete_trials(study)
            bar.update(1)
            bar.note(f"best score {best:.4g}")


def best_evaluation(trial, rows: list[Observed]) -> Evaluation:
    sim = np.array([[np.nan if v is None else v for v in r] for r in trial.user_attrs["sim"]],
                   dtype=float)
    return score(sim, rows)


# ---------------------------------------------------------------------------------------------
# Outputs


def trials_table(study, fits: list[Factor]) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        row = {"trial": t.number, "state": t.state.name, "score": t.value}
        for f in fits:
            row[f.key] = t.params.get(f.key)
        start = t.datetime_start
        row["started"] = start.isoformat(timespec="seconds") if start else None
        row["duration_s"] = round(t.duration.total_seconds(), 3) if t.duration else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["trial", "state", "score", *[f.key for f in fits],
                                       "started", "duration_s"])


def fit_table(rows: list[Observed], ev: Evaluation) -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": [r.indicator for r in rows],
        "year": pd.array([r.year for r in rows], dtype="Int64"),
        "observed": [r.value for r in rows],
        "tolerance": [r.tolerance for r in rows],
        "simulated_mean": ev.mean,
        "simulated_sd": ev.sd,
        "z": ev.z,
    })


def fitted_toml(params_path: Path, out: Path, fixed: dict[str, Any], best: dict[str, Any],
                header: list[str]) -> str:
    """The fitted parameter file: ``base`` = the user's file, their --set values, fitted values.

    ``run.*`` --set values (scale, horizon) are run settings chosen for speed, not part of the
    city, so they are written commented out.
    """
    target, folder = params_path.resolve(), out.resolve()
    try:  # relative when both are in one tree (a moved project keeps working), else absolute
        shared = Path(os.path.commonpath([target, folder]))
        base = str(target) if shared == Path(shared.anchor) else os.path.relpath(target, folder)
    except ValueError:  # another drive (Windows)
        base = str(target)
    lines = [f"# {h}" for h in header]
    lines += [f"base = {toml_value(Path(base).as_posix())}", ""]
    run_set = {k: v for k, v in fixed.items() if k.replace("__", ".").startswith("run.")}
    city_set = {k: v for k, v in fixed.items() if k not in run_set}
    if run_set:
        lines.append("# run settings the calibration used (uncomment to reproduce its runs):")
        lines += [f"# {toml_assign(k, v)}" for k, v in run_set.items()]
        lines.append("")
    if city_set:
        lines.append("# --set values the calibration used:")
        lines += [toml_assign(k, v) for k, v in city_set.items()]
        lines.append("")
    lines.append("# fitted:")
    lines += [toml_assign(k, v) for k, v in best.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The command


# ---------------------------------------------------------------------------------------------
# The study: inputs checked before any work, then run (or resumed) and written


@dataclass
class Calibration:
    """A calibration's inputs, every one checked (bad input raises :class:`ParamError`)."""

    observed_file: str
    params_path: Path
    set_items: list[str]
    fixed: dict[str, Any]
    base: Params
    fits: list[Factor]
    rows: list[Observed]
    trials: int
    n_seeds: int
    workers: int
    master_seed: int
    out: Path
    spec: dict[str, Any]
    digest: str
    resuming: bool
    seeds: list[int]


@dataclass
class CalibrationOutcome:
    out: Path
    best: Any                 # the best Optuna trial
    evaluation: Evaluation    # its simulated statistics
    best_values: dict[str, Any]
    n_done: int
    n_new: int


def prepare_calibration(observed: str, fit: list[str] | None, params: str | None,
                        set_items: list[str] | None, trials: int | None, seeds: int | None,
                        workers: int | None, master_seed: int, out: Path,
                        overwrite: bool = False) -> Calibration:
    """Validate every input before any work or any file (with ``overwrite``, ``out``'s earlier
    contents are not read: the caller replaces them)."""
    from sim.experiments.executors import default_workers

    trials = DEFAULT_TRIALS if trials is None else trials
    n_seeds = DEFAULT_SEEDS if seeds is None else seeds
    check_count("--trials", trials, maximum=MAX_TRIALS)
    check_replicates(n_seeds, "--seeds")
    workers = min(n_seeds, default_workers()) if workers is None else workers
    check_workers(workers)
    check_seed(master_seed)
    params_path = Path(params) if params else BASELINE_PATH
    fixed = parse_set_options(set_items)
    base = load_params(params_path, fixed)
    fits = parse_fit(fit, base, fixed)
    rows = read_observed(observed, simulated_years(base))
    spec = spec_definition(rows, fits, n_seeds, master_seed, base)
    resuming = False if overwrite else check_folder(out, spec)
    return Calibration(str(observed), params_path, list(set_items or []), fixed, base, fits, rows,
                       trials, n_seeds, workers, master_seed, out, spec, spec_hash(spec), resuming,
                       model_seeds(master_seed, n_seeds))


def run_calibration(cal: Calibration, log=None, progress: Progress | None = None) -> CalibrationOutcome:
    """Run (or resume) the study in ``cal.out`` and write its files (figures are the caller's).

    Raises :class:`CalibrationError` if another calibration is writing the folder."""
    from sim.experiments.folders import (begin_update, manifest, now_iso, write_csv, write_json,
                                         write_manifest, write_text)

    say = log or (lambda msg: None)
    out = cal.out
    started, t0 = now_iso(), time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(out, "calibration", CalibrationError).acquire()
    try:
        begin_update(out)  # incomplete until the manifest is written again, last
        if not cal.resuming:
            write_json({"spec": cal.spec, "sha256": cal.digest, "observed_file": cal.observed_file,
                        "params_file": str(cal.params_path), "set": cal.set_items},
                       out / "spec.json")
        study = open_study(out, cal.digest, STUDY_NAME)
        before = len(complete_trials(study))
        say(f"calibrate: {len(cal.fits)} coefficient(s) against {len(cal.rows)} observed "
            f"statistic(s); {cal.trials} trials x {cal.n_seeds} seeds on "
            f"{min(cal.workers, cal.n_seeds)} worker(s) -> {out}"
            + (f" (resuming: {before} trial(s) done)" if cal.resuming else ""))
        run_trials(study, cal.base, cal.rows, cal.fits, cal.seeds, cal.workers, cal.trials,
                   cal.master_seed, progress=progress)

        # -- write: the manifest goes first and comes back last ---------------------------------
        done = complete_trials(study)
        best = min(done, key=lambda t: (t.value, t.number))
        ev = best_evaluation(best, cal.rows)
        best_values = {f.key: best.params[f.key] for f in cal.fits}
        write_csv(trials_table(study, cal.fits), out / "trials.csv")
        write_csv(fit_table(cal.rows, ev), out / "fit.csv")
        write_text(fitted_toml(cal.params_path, out, cal.fixed, best_values,
                               _fitted_header(cal, best, len(done), now_iso())),
                   out / "fitted.toml")
        write_manifest(manifest("calibrate", cal.base.to_dict(), _seed_record(cal), started,
                                **_manifest_fields(cal, study, best, best_values),
                                elapsed_s=round(time.perf_counter() - t0, 1)),
                       out, ["trials.csv", "fit.csv", "fitted.toml", "spec.json"])
    finally:
        lock.release()
    return CalibrationOutcome(out, best, ev, best_values, len(done), len(done) - before)


def _fitted_header(cal: Calibration, best, n_done: int, now: str) -> list[str]:
    return [
        (f"Fitted by skills-sim calibrate on {now}: best of {n_done} trials "
         f"(trial {best.number}), score {best.value:.6g}"),
        (f"(mean over {len(cal.rows)} observed statistics of ((simulated - observed) / "
         f"tolerance)^2, {cal.n_seeds} seeds from master seed {cal.master_seed})."),
        f"Observed: {cal.observed_file}. Fitted keys and ranges: "
        + ", ".join(f"{f.key} {f.low}:{f.high}" for f in cal.fits) + ".",
    ]


def _seed_record(cal: Calibration) -> dict[str, Any]:
    return {"master": cal.master_seed, "replicates": cal.seeds,
            "method": "the same seeds for every trial, as skills-sim forecast derives replicates",
            "sampler": "TPE reseeded before each trial from SeedSequence(master, "
                       f"spawn_key=({_SAMPLER_KEY}, finished trials))"}


def _manifest_fields(cal: Calibration, study, best, best_values: dict[str, Any]) -> dict[str, Any]:
    counts = pd.Series([t.state.name for t in study.get_trials(deepcopy=False)]).value_counts()
    return dict(
        params_file=str(cal.params_path), overrides=cal.set_items,
        observed_file=cal.observed_file, observed=[r.definition() for r in cal.rows],
        fit={f.key: f.definition() for f in cal.fits},
        trials={"requested": cal.trials, **{k.lower(): int(v) for k, v in counts.items()}},
        best={"trial": best.number, "score": best.value, "params": best_values},
        study={"storage": "study.db", "name": STUDY_NAME, "spec_sha256": cal.digest},
        workers=min(cal.workers, cal.n_seeds), optuna_version=optuna_version(),
    )
