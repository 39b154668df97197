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
sharper still because of common random numbers. A full-scale run costs about 2.5 s of CPU (its
spin-up included; the scenarios of a replicate share one spin-up), so R = 50 of one scenario
takes about 2 minutes on two otherwise idle cores, report included (longer on a busy machine);
``--replicates 200`` halves the error for a final report.

A parameter file's ``[uncertain]`` ranges add what nobody knows: each replicate then runs with its
own draw of those assumptions (:mod:`sim.experiments.assumptions`), the same draw in every
scenario, so P(met) covers the assumptions as well as chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.experiments.assumptions import drawn_overrides
from sim.experiments.executors import Job, run_jobs
from sim.experiments.progress import Progress
from sim.experiments.limits import check_replicates, check_seed, check_workers
from sim.experiments.ranges import Factor
from sim.experiments.seeds import replicate_seed
from sim.experiments.shared_spinup import each_run, execute_group, spinup_groups
from sim.model.districts import DISTRICT_COLUMNS
from sim.model.indicators import ANNUAL_COLUMNS, FLOW_COLUMNS
from sim.params import DEFAULT_MASTER_SEED, Params

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
    progress: Progress | None = None,
    draws: pd.DataFrame | None = None,
    ranged: dict[str, list[Factor]] | None = None,
) -> pd.DataFrame:
    """Run ``replicates`` replicates of every scenario; return the tidy annual table of all runs.

    ``draws`` (``scenario, replicate, key, value``, from
    :func:`sim.experiments.assumptions.draw_assumptions` over the ``ranged`` factors) gives each
    replicate its own assumption values; without it every replicate uses the point values.

    Rows are ordered by scenario (in the given order), replicate, year and target, whatever the
    order in which the workers finished. Importing Mesa switches multiprocessing to "spawn", so a
    script calling this with ``workers > 1`` needs the ``if __name__ == "__main__":`` guard.
    """
    return forecast_tables(scenarios, replicates, workers, master_seed, progress, draws,
                           ranged)[0]


def forecast_tables(
    scenarios: dict[str, Params],
    replicates: int,
    workers: int | None = None,
    master_seed: int = DEFAULT_MASTER_SEED,
    progress: Progress | None = None,
    draws: pd.DataFrame | None = None,
    ranged: dict[str, list[Factor]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """As :func:`forecast`, and the runs' ``districts.parquet`` and ``target_flows.parquet``
    tables (same order)."""
    check_replicates(replicates)
    check_workers(workers)
    check_seed(master_seed)
    drawn = drawn_overrides(draws, ranged or {}) if draws is not None else {}

    def params_of(name: str, params: Params, k: int) -> Params:
        values = drawn.get((name, k))
        return params.override(values, source=f"scenario {name}, replicate {k}'s assumptions") \
            if values else params

    # Replicate-major order, so an interrupted or slow run has advanced every scenario alike;
    # made as the executor asks for them, so memory does not grow with the replicates. A job
    # is one replicate's scenarios that spin up alike: one spin-up, continued per scenario.
    jobs = (Job(params_of(name, params, k), seed=replicate_seed(master_seed, k), scenario=name,
                replicate=k)
            for k in range(replicates) for name, params in scenarios.items())
    total = replicates * len(scenarios)
    frames, parts, flows = [], [], []  # keep only these tables of each run, not the whole result
    for _job, result in each_run(run_jobs(spinup_groups(jobs), workers=workers, progress=progress,
                                          desc="replicates", total=total, fn=execute_group)):
        frames += [] if result.annual.empty else [result.annual]
        parts += [] if result.districts is None or result.districts.empty else [result.districts]
        flows += [] if result.target_flows is None or result.target_flows.empty else [result.target_flows]
    annual = pd.concat(frames, ignore_index=True) if frames else _empty_annual()
    by_district = (pd.concat(parts, ignore_index=True) if parts
                   else pd.DataFrame(columns=DISTRICT_COLUMNS))
    by_flow = pd.concat(flows, ignore_index=True) if flows else pd.DataFrame(columns=FLOW_COLUMNS)
    # Within a run, the model's own order (year, then target; year, indicator, district).
    return (sort_by_scenario(annual, list(scenarios), keys=("replicate", "year", "target")),
            sort_by_scenario(by_district, list(scenarios), keys=("replicate", "year")),
            sort_by_scenario(by_flow, list(scenarios), keys=("replicate", "year")))


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


# ---------------------------------------------------------------------------------------------
# The command
