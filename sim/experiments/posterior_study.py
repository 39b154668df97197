"""Running a posterior calibration (``skills-sim calibrate`` over ranges): candidates evaluated on
common seeds, streamed to ``candidates/`` so an interrupted study resumes where it stopped, then
the posterior, its validation and identifiability tables written (see :mod:`sim.experiments.posterior`).

Folder::

    spec.json                 the definition (observed rows, ranges, seeds, candidates, parameters)
    candidates/c000012.json   one evaluated candidate: its values and per-seed statistics
    posterior.parquet         draw, key, value (equal-weight draws)
    candidates.csv            every candidate: values, log-likelihood, weight, draws
    validation.csv            observed vs posterior predictive, role fit | holdout
    identifiability.csv       prior vs posterior 90 % intervals per key, identified or not
    correlations.csv          posterior correlation of every pair of keys (trade-offs flagged)
    profile.csv               best log-likelihood in slices of each key's range
    fitted.toml               the most likely candidate as a parameter file
    manifest.json             written last
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.calibrate import CalibrationError, check_count, fitted_toml, simulated_years
from sim.experiments.calibration_spec import check_folder, spec_definition, spec_hash
from sim.experiments.executors import Job, run_jobs
from sim.experiments.folders import (FolderLock, manifest, now_iso, write_csv, write_json,
                                     write_parquet, write_text)
from sim.experiments.observed import Observed, read_observed, row_values
from sim.experiments.posterior import (IDENTIFIED_WIDTH, Posterior, candidate_units,
                                       candidate_values, candidates_table, correlation_table,
                                       fit_posterior, identifiability_table, posterior_table,
                                       profile_table, validation_table)
from sim.experiments.progress import Progress
from sim.experiments.ranges import Factor
from sim.experiments.seeds import replicate_seeds
from sim.params import MISSING, ParamError, Params

DEFAULT_CANDIDATES = 200
DEFAULT_DRAWS = 200
DEFAULT_SEEDS = 2
MIN_DRAWS = 100


@dataclass
class PosteriorStudy:
    """A posterior calibration's inputs, every one checked before any work."""

    base: Params
    params_path: Path
    fixed: dict[str, Any]
    fits: list[Factor]
    rows: list[Observed]
    holdout: set[str]
    n_candidates: int
    n_draws: int
    min_ess: float
    seeds: list[int]
    master_seed: int
    workers: int | None
    out: Path
    spec: dict[str, Any]
    resuming: bool
    observed_file: str = ""


def prepare_posterior(observed: str | Path, fits: list[Factor], base: Params, params_path: Path,
                      fixed: dict[str, Any], out: Path, holdout: list[str] | None = None,
                      candidates: int | None = None, draws: int | None = None,
                      seeds: int | None = None, master_seed: int = 20220101,
                      workers: int | None = None, overwrite: bool = False) -> PosteriorStudy:
    """Check every input (bad input raises :class:`ParamError`) before anything is written."""
    n_candidates = DEFAULT_CANDIDATES if candidates is None else candidates
    n_draws = DEFAULT_DRAWS if draws is None else draws
    n_seeds = DEFAULT_SEEDS if seeds is None else seeds
    check_count("--candidates", n_candidates, minimum=10)
    check_count("--draws", n_draws, minimum=MIN_DRAWS)
    check_count("--seeds", n_seeds)
    check_count("--seed", master_seed, minimum=0)
    if workers is not None:
        check_count("--workers", workers)
    if not fits:
        raise ParamError(str(params_path), "[uncertain]", MISSING,
                         "nothing to fit: give ranges in the parameter file's [uncertain] table "
                         "or with --fit KEY=LOW:HIGH")
    rows = read_observed(observed, simulated_years(base))
    names = {r.indicator for r in rows}
    hold = set(holdout or []) | validate_rows(observed)
    unknown = sorted(hold - names)
    if unknown:
        raise ParamError("--holdout", unknown[0], unknown[0], "not a statistic of the observed "
                         "file; one of: " + ", ".join(sorted(names)))
    if hold >= names:
        raise ParamError("--holdout", ",".join(sorted(hold)), MISSING,
                         "every statistic is held out; keep at least one for the fit")
    spec = spec_definition(rows, fits, n_seeds, master_seed, base)
    spec |= {"method": "posterior", "candidates": n_candidates}
    resuming = False if overwrite else check_folder(out, spec)
    return PosteriorStudy(base, Path(params_path), dict(fixed), list(fits), rows, hold,
                          n_candidates, n_draws, max(20.0, n_draws / 5.0),
                          replicate_seeds(master_seed, n_seeds), master_seed, workers, out, spec,
                          resuming, str(observed))


def validate_rows(observed: str | Path) -> set[str]:
    """Indicators the observed file itself keeps out of the fit: an optional ``role`` column
    with ``fit`` or ``validate`` (e.g. statistics of an older period, or a target's own metric)."""
    import pandas as pd

    table = pd.read_csv(observed, dtype=str, keep_default_na=False)
    table.columns = [c.strip().lower() for c in table.columns]
    if "role" not in table.columns:
        return set()
    roles = table["role"].str.strip().str.lower()
    bad = sorted(set(roles) - {"fit", "validate", ""})
    if bad:
        raise ParamError(str(observed), "role", bad[0], "fit or validate (empty = fit)")
    return set(table.loc[roles == "validate", "indicator"].str.strip())


# ---------------------------------------------------------------------------------------------
# Candidates: evaluated once, kept as parts


def part_path(out: Path, i: int) -> Path:
    return out / "candidates" / f"c{i:06d}.json"


def read_part(path: Path, i: int, values: dict, n_seeds: int, n_rows: int) -> np.ndarray | None:
    """A part's per-seed statistics, or None if it is unreadable or belongs to another
    candidate (then the candidate runs again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sim = np.array([[np.nan if v is None else v for v in r] for r in data["sim"]], dtype=float)
        ok = (data["candidate"] == i and data["values"] == json.loads(json.dumps(values))
              and sim.shape == (n_seeds, n_rows))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sim if ok else None


def evaluate_candidates(study: PosteriorStudy, values: list[dict], log,
                        progress: Progress | None) -> np.ndarray:
    """Every candidate's per-seed statistics (candidates x seeds x rows), running only those
    without a valid part."""
    n, s, r = len(values), len(study.seeds), len(study.rows)
    sims = np.full((n, s, r), np.nan)
    todo = []
    for i in range(n):
        path = part_path(study.out, i)
        got = read_part(path, i, values[i], s, r) if path.exists() else None
        if got is None:
            if path.exists():
                log(f"warning: {path} is unreadable or not candidate {i}'s; running it again")
            todo.append(i)
        else:
            sims[i] = got
    if todo:
        log(f"calibrate: {len(todo)} of {n} candidates to run ({len(todo) * s} runs)")
    pending: dict[int, int] = {i: s for i in todo}
    jobs = (Job(params=study.base.override(values[i], source=f"candidate {i}"), seed=seed,
                scenario="calibrate", replicate=k, labels={"candidate": i})
            for i in todo for k, seed in enumerate(study.seeds))
    for job, result in run_jobs(jobs, study.workers, progress, desc="candidate runs",
                                total=n * s, initial=(n - len(todo)) * s):
        i = job.labels["candidate"]
        sims[i, job.replicate] = row_values(result.observables, study.rows)
        pending[i] -= 1
        if pending[i] == 0:
            write_json({"candidate": i, "values": values[i],
                        "sim": [[None if np.isnan(v) else float(v) for v in row]
                                for row in sims[i]]}, part_path(study.out, i))
    return sims


# ---------------------------------------------------------------------------------------------
# The study


@dataclass
class PosteriorOutcome:
    """A finished posterior calibration: the posterior and the tables its folder holds."""

    posterior: Posterior
    draws: pd.DataFrame             # posterior.parquet
    candidates: pd.DataFrame        # candidates.csv
    validation: pd.DataFrame        # validation.csv
    identifiability: pd.DataFrame   # identifiability.csv
    correlations: pd.DataFrame      # correlations.csv
    profile: pd.DataFrame           # profile.csv


def run_posterior(study: PosteriorStudy, log=None,
                  progress: Progress | None = None) -> PosteriorOutcome:
    """Run (or resume) the candidates in ``study.out``, then write the posterior's files."""
    say = log or (lambda msg: None)
    out, started, t0 = study.out, now_iso(), time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out, "calibration", CalibrationError):
        if not study.resuming:
            write_json({"spec": study.spec, "sha256": spec_hash(study.spec),
                        "observed_file": study.observed_file,
                        "params_file": str(study.params_path)}, out / "spec.json")
        units = candidate_units(len(study.fits), study.n_candidates, study.master_seed)
        values = candidate_values(study.fits, units)
        sims = evaluate_candidates(study, values, say, progress)
        post = fit_posterior(study.fits, values, sims, study.rows, study.holdout, study.n_draws,
                             study.min_ess, study.master_seed)
        outcome = PosteriorOutcome(
            post, posterior_table(post), candidates_table(post),
            validation_table(post, study.rows, study.holdout), identifiability_table(post),
            correlation_table(post), profile_table(post))
        write_outputs(study, outcome, started, t0)
    return outcome


def write_outputs(study: PosteriorStudy, outcome: PosteriorOutcome, started: str,
                  t0: float) -> None:
    out, post = study.out, outcome.posterior
    (out / "manifest.json").unlink(missing_ok=True)  # back last: a folder with it is complete
    write_parquet(outcome.draws, out / "posterior.parquet")
    for name in ("candidates", "validation", "identifiability", "correlations", "profile"):
        write_csv(getattr(outcome, name), out / f"{name}.csv")
    best = post.values[post.best]
    header = [f"The most likely of {len(post.values)} candidates (candidate {post.best}, "
              f"log-likelihood {post.loglik[post.best]:.4g}) of a posterior calibration by "
              f"skills-sim calibrate on {now_iso()}.",
              "The full posterior is posterior.parquet beside this file; "
              "skills-sim forecast --assumptions uses it."]
    write_text(fitted_toml(study.params_path, out, study.fixed, best, header), out / "fitted.toml")
    write_json(manifest(
        "calibrate", study.base.to_dict(),
        {"master": study.master_seed, "replicates": study.seeds,
         "method": "the same seeds for every candidate, as skills-sim forecast derives them"},
        started, method=posterior_method(post), observed_file=study.observed_file,
        observed=[r.definition() for r in study.rows], holdout=sorted(study.holdout),
        fit={f.key: f.definition() for f in study.fits}, candidates=len(post.values),
        draws=len(post.draws), elapsed_s=round(time.perf_counter() - t0, 1)),
        out / "manifest.json")


def posterior_method(post: Posterior) -> dict[str, Any]:
    return {
        "name": "importance sampling from the prior (one-generation ABC, Gaussian kernel of "
                "each statistic's tolerance), systematic resampling",
        "temperature": post.temperature,
        "tempered": post.temperature > 1.0,
        "effective_sample_size": post.ess,
        "note": ("temperature > 1: the likelihood was flattened to keep enough distinct "
                 "candidates, so the posterior is wider than the data alone make it; more "
                 "--candidates lowers it") if post.temperature > 1.0 else "untempered",
        "identified_when": f"posterior 90 % width <= {IDENTIFIED_WIDTH} x prior 90 % width",
    }
