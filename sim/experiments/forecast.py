"""The Monte Carlo forecast: every target's attainment probability, per scenario and year.

One master seed gives every replicate its seed (``numpy.random.SeedSequence``), and replicate
``k`` of every scenario uses the same seed (common random numbers), so a difference between
scenarios is the scenarios' difference and not sampling noise. Runs go to worker processes
(:mod:`sim.experiments.executors`) and are sorted before writing, so the files are identical for any number
of workers.

Why the default of 50 replicates is enough: ``p_met`` is a share of independent replicates, so
its Monte Carlo standard error is ``sqrt(p (1 - p) / R) <= sqrt(0.25 / R)`` = 0.071 at R = 50
(at worst, p = 0.5; 0.042 at p = 0.1 or 0.9, and 0 when every replicate agrees). The questions
the forecast answers are coarse (is a target met with probability >= 0.5, >= 0.8?), which that
precision settles except for years sitting right at the cut-off, and scenario comparisons are
sharper still because of common random numbers. A full-scale run costs about 9-10 s of CPU, so
R = 50 takes about 4 minutes on two otherwise idle cores (longer on a busy machine);
``--replicates 200`` halves the error for a final report.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.executors import Job, default_workers, run_jobs
from sim.experiments.seeds import SEED_METHOD, replicate_seeds
from sim.model.indicators import ANNUAL_COLUMNS
from sim.params import (
    BASELINE_PATH,
    DEFAULT_MASTER_SEED,
    ParamError,
    Params,
    load_params,
    parse_set_options,
)

DEFAULT_REPLICATES = 50


def scenario_names(paths: Sequence[str | Path]) -> list[str]:
    """Scenario names from file stems; a repeated stem gets ``-2``, ``-3`` ... in given order."""
    names: list[str] = []
    for path in paths:
        stem = Path(path).stem or "scenario"
        name, k = stem, 1
        while name in names:
            k += 1
            name = f"{stem}-{k}"
        names.append(name)
    return names


def forecast(
    scenarios: dict[str, Params],
    replicates: int,
    workers: int | None = None,
    master_seed: int = DEFAULT_MASTER_SEED,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run ``replicates`` replicates of every scenario; return the tidy annual table of all runs.

    Rows are ordered by scenario (in the given order), replicate, year and target, whatever the
    order in which the workers finished. Importing Mesa switches multiprocessing to "spawn", so a
    script calling this with ``workers > 1`` needs the ``if __name__ == "__main__":`` guard.
    """
    _check_count("--replicates", replicates)
    if workers is not None:
        _check_count("--workers", workers)
    _check_master_seed(master_seed)
    seeds = replicate_seeds(master_seed, replicates)
    # Replicate-major order, so an interrupted or slow run has advanced every scenario alike.
    jobs = [Job(params, seed=seeds[k], scenario=name, replicate=k)
            for k in range(replicates) for name, params in scenarios.items()]
    frames = [result.annual for _job, result in
              run_jobs(jobs, workers=workers, progress=progress, desc="replicates", total=len(jobs))]
    frames = [f for f in frames if not f.empty]
    annual = pd.concat(frames, ignore_index=True) if frames else _empty_annual()
    # Within a run, the model's own order (year, then target).
    return sort_by_scenario(annual, list(scenarios), keys=("replicate", "year", "target"))


def _empty_annual() -> pd.DataFrame:
    """No target observed in any run: an empty table that still has the schema's dtypes."""
    dtypes = {"replicate": "int64", "seed": "int64", "year": "int64", "value": "float64",
              "threshold": "float64", "met": "bool"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in ANNUAL_COLUMNS})


def sort_by_scenario(df: pd.DataFrame, order: list[str],
                     keys: tuple[str, ...] = ("target", "year")) -> pd.DataFrame:
    """Rows in the given scenario order, then by ``keys`` (stable, so reproducible)."""
    keys = [c for c in keys if c in df.columns]
    rank = {name: i for i, name in enumerate(order)}
    out = df.assign(_rank=df["scenario"].map(rank)).sort_values(["_rank", *keys], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)


def _check_count(option: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ParamError("command line", option, value, "must be a whole number of at least 1")


def _check_master_seed(seed) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ParamError("command line", "--seed", seed, "must be a whole number of at least 0")


# ---------------------------------------------------------------------------------------------
# The command


def forecast_command(args) -> int:
    """``skills-sim forecast``: validate everything, simulate, then write the folder.

    Nothing is written before every run has finished; ``manifest.json`` is removed first and
    written last, so a folder holding a manifest is a complete forecast and an interrupted one
    is recognisably incomplete (every file that is present is itself complete: atomic writes).
    """
    from sim.experiments.folders import default_out, manifest, now_iso, write_csv, write_json, write_parquet
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.experiments.attainment import attainment, earliest_year

    # -- validate every input before any work or any file ---------------------------------------
    replicates = DEFAULT_REPLICATES if args.replicates is None else args.replicates
    _check_count("--replicates", replicates)
    workers = default_workers() if args.workers is None else args.workers
    _check_count("--workers", workers)
    _check_master_seed(args.seed)
    paths = list(args.params) or [str(BASELINE_PATH)]
    overrides = parse_set_options(args.set)
    names = scenario_names(paths)
    scenarios = {name: load_params(path, overrides) for name, path in zip(names, paths)}
    out = Path(args.out) if args.out else default_out("forecast")
    if out.exists() and not out.is_dir():
        raise ParamError("command line", "--out", str(out), "exists and is not a folder")

    started, t0 = now_iso(), time.perf_counter()
    print(f"forecast: {len(scenarios)} scenario(s) x {replicates} replicates on {workers} "
          f"worker(s) -> {out}", flush=True)
    annual = forecast(scenarios, replicates, workers, args.seed)
    elapsed = time.perf_counter() - t0

    # -- write: the manifest goes first and comes back last -------------------------------------
    order = list(scenarios)
    att = sort_by_scenario(attainment(annual, by=["scenario"]), order)
    early = sort_by_scenario(earliest_year(att, by=["scenario"]), order)
    (out / "manifest.json").unlink(missing_ok=True)
    write_parquet(annual, out / "annual.parquet")
    write_csv(att, out / "attainment.csv")
    write_csv(early, out / "earliest_year.csv")
    meta = manifest(
        "forecast",
        {name: p.to_dict() for name, p in scenarios.items()},
        {"master_seed": args.seed, "method": SEED_METHOD,
         "replicates": replicate_seeds(args.seed, replicates)},
        started,
        scenarios=[{"name": n, "params_file": str(p)} for n, p in zip(names, paths)],
        overrides=args.set or [],
        replicates=replicates,
        workers=workers,
        simulation_seconds=round(elapsed, 1),
    )
    figures = draw_forecast(out, annual, meta)
    meta["finished"] = now_iso()
    write_json(meta, out / "manifest.json")

    _print_earliest(early)
    print(f"wrote {out}/: annual.parquet, attainment.csv, earliest_year.csv, summary.md, "
          f"{len(figures)} figures, manifest.json ({elapsed:.0f} s of simulation)")
    return 0


def _print_earliest(early: pd.DataFrame) -> None:
    if early.empty:
        print("no target values within the horizon")
        return
    shown = early.astype({"year_p50": "string", "year_p80": "string"}).fillna("never")
    print("first year met with probability >= 0.5 / >= 0.8:")
    print(shown.to_string(index=False))
