"""Parameter sweeps: a grid or sampled design of points x replicates, streamed to disk.

The sweep file (its ``[sweep]`` table, axes and design) is read by :mod:`sim.experiments.sweep_file`.

Replicate ``k`` runs with the same seed at every point (common random numbers), so differences
between points are the parameters' doing, not sampling noise; the seeds are derived from the
master seed as ``skills-sim forecast`` derives them.

Output folder (``--out``); every file is written to a temporary name and renamed::

    sweep.json, sweep.toml, points.csv   the resolved definition; a re-run compares against it
    parts/annual/p000012-r0003.parquet   one per finished run, written the moment it finishes
    parts/monthly/..., parts/failures/...  monthly tables (if asked) and failed runs
    parts/target_flows/...               each run's target_flows rows (written before its annual part)
    annual.parquet, target_flows.parquet, attainment.csv, failures.csv, manifest.json,
    sweep_T*.png                         at the end

A run exists exactly when its annual part exists, so a re-run (after a crash, ``kill -9`` or a
lost cluster) submits only the missing runs and can never write one twice.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.attainment import attainment, rounded
from sim.experiments.folders import (FolderLock, atomic_path, begin_update, canonical_json,
                                     manifest, now_iso, recorded_study, write_csv, write_json,
                                     write_manifest, write_parquet, write_text)
from sim.experiments.progress import Progress
from sim.experiments.sweep_file import Sweep
from sim.experiments.sweep_parts import part_name, scan, verified
from sim.experiments.shared_spinup import each_run, execute_group, spinup_groups
from sim.model.indicators import FLOW_COLUMNS
from sim.params import MISSING, ParamError, flatten

# Points of one seed that may share a spin-up run as one job; at most this many, so a sweep's
# jobs stay short enough to spread over the workers and to stream parts to disk.
SHARED_POINTS = 8
# The tables a finished sweep's manifest vouches for (monthly.parquet when asked for).
SWEEP_FILES = ["annual.parquet", "target_flows.parquet", "attainment.csv", "failures.csv",
               "points.csv", "sweep.json", "monthly.parquet"]


# ---------------------------------------------------------------------------------------------
# The resolved sweep


# ---------------------------------------------------------------------------------------------
# Running a sweep into a folder


@dataclass
class SweepOutcome:
    out: Path
    n_runs: int
    done_before: int
    ran: int
    failed: int


def check_sweep_folder(out: Path, sweep: Sweep) -> dict | None:
    """The folder's recorded definition if it holds this sweep; refuse anything else."""
    old = recorded_study(out, "sweep.json", None, "a sweep", "run of this sweep to resume it")
    if old is not None:
        new = sweep.definition()
        changes = definition_differences(old.get("definition", {}), new)
        if changes:
            raise ParamError(
                str(sweep.path), "<file>", MISSING,
                f"{out} holds a different sweep, so its runs cannot be resumed with this file "
                f"({'; '.join(changes)}). Use a new --out, or run the sweep file the folder was "
                f"started with (a copy is in {out / 'sweep.toml'}).")
    return old


def definition_differences(old: dict, new: dict) -> list[str]:
    changes = []
    for key, value in new.items():
        before = old.get(key, MISSING)
        if canonical_json(before) == canonical_json(value):
            continue
        if key == "base_parameters" and isinstance(before, dict):
            flat_old, flat_new = flatten(before), flatten(value)
            diff = [f"{k}: {flat_old.get(k, '<none>')!r} -> {flat_new.get(k, '<none>')!r}"
                    for k in sorted(set(flat_old) | set(flat_new))
                    if canonical_json(flat_old.get(k)) != canonical_json(flat_new.get(k))]
            changes.append("base parameters " + ", ".join(diff[:5]) + (" ..." if len(diff) > 5 else ""))
        elif key in ("points_sha256", "seeds", "n_points", "keys", "kinds"):
            continue  # follow from the other fields, which are reported
        elif key in ("axes", "set") and isinstance(before, dict):
            for k in [*before, *(k for k in value if k not in before)]:
                if canonical_json(before.get(k, MISSING)) != canonical_json(value.get(k, MISSING)):
                    was = json.dumps(before[k]) if k in before else "<none>"
                    now = json.dumps(value[k]) if k in value else "<none>"
                    changes.append(f"{key} \"{k}\": {was} -> {now}")
        else:
            shown = "<none>" if before is MISSING else json.dumps(before, default=str)
            changes.append(f"{key}: {shown} -> {json.dumps(value, default=str)}")
    if not changes and canonical_json(old) != canonical_json(new):
        changes.append("the design's points differ")
    return changes


class SweepError(RuntimeError):
    """The sweep cannot proceed for a reason other than its input (exit status 1)."""


def _labelled(df: pd.DataFrame, point: int, sweep: Sweep) -> pd.DataFrame:
    """Prefix a run's table with its point id and axis values."""
    n = len(df)
    front = {"point": np.full(n, point, dtype="int64")}
    dtypes = {"bool": "bool", "int": "int64", "float": "float64", "str": object}
    for key, kind, value in zip(sweep.keys, sweep.kinds, sweep.points[point]):
        front[key] = np.full(n, value, dtype=dtypes[kind])
    return pd.concat([pd.DataFrame(front, index=df.index), df], axis=1)


def _failure_row(sweep: Sweep, point: int, replicate: int, exc: BaseException) -> pd.DataFrame:
    row = {"point": point, **sweep.overrides(point), "replicate": replicate,
           "seed": sweep.seeds[replicate],
           "params": json.dumps(sweep.overrides(point), default=str),
           "error": f"{type(exc).__name__}: {exc}",
           "traceback": "".join(traceback.format_exception(exc))}
    return pd.DataFrame([row])


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    log=None,
    runner=None,
) -> SweepOutcome:
    """Run every missing run of ``sweep`` into ``out``, then write the summaries and figures.

    Each finished run is written at once as its own part; a folder started by an earlier
    call (with the same sweep) is resumed. Failed runs are recorded and retried next time.
    ``runner`` replaces :func:`sim.experiments.executors.execute` on the workers (``Job -> RunResult``).
    """
    from sim.experiments.executors import Job, run_jobs

    say = log or (lambda msg: None)
    out = Path(out)
    started = now_iso()
    check_sweep_folder(out, sweep)  # refuse before writing anything
    out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out, "sweep", SweepError):
        first_started = _claim_folder(out, sweep, started)
        begin_update(out)  # incomplete until the manifest is written again, last
        annual_dir, monthly_dir, fail_dir = _part_folders(out, sweep)
        done = _done_runs(annual_dir, monthly_dir, fail_dir, sweep, say)
        done_before = int(done.sum())
        say(f"sweep {sweep.name}: {sweep.n_points} points x {sweep.replicates} replicates = "
            f"{sweep.n_runs} runs, {done_before} already done, {sweep.n_runs - done_before} "
            f"to run -> {out}")

        def jobs() -> Iterator[Job]:
            """Missing runs, a few points at a time and replicate by replicate within them (so
            the points of one seed that spin up alike share it), made only as asked for."""
            for first in range(0, sweep.n_points, SHARED_POINTS):
                for r in range(sweep.replicates):
                    for p in range(first, min(first + SHARED_POINTS, sweep.n_points)):
                        if not done[p, r]:
                            yield Job(params=sweep.run_params(p, r), seed=sweep.seeds[r],
                                      scenario=sweep.name, replicate=r, monthly=sweep.monthly,
                                      labels={"point": p})

        ran = failed = 0
        common = dict(workers=workers, progress=progress, desc="sweep", total=sweep.n_runs,
                      initial=done_before, executor=executor, scheduler=scheduler,
                      return_exceptions=True)
        runs = (run_jobs(jobs(), fn=runner, **common) if runner is not None else
                each_run(run_jobs(spinup_groups(jobs(), SHARED_POINTS), fn=execute_group,
                                  **common), return_exceptions=True))
        for job, result in runs:
            if _write_run(sweep, job, result, annual_dir, monthly_dir, fail_dir):
                ran += 1
            else:
                failed += 1

        counts = finalize(out)
        write_manifest(manifest("sweep", sweep.base.to_dict(),
                            {"master": sweep.seed, "replicates": list(sweep.seeds)}, started,
                            first_started=first_started, sweep_file=str(sweep.path),
                            definition={k: v for k, v in sweep.definition().items()
                                        if k != "base_parameters"},
                            executor=executor, scheduler=scheduler, workers=workers,
                            runs={"total": sweep.n_runs, "succeeded": counts["succeeded"],
                                  "failed": counts["failed"], "this_session": ran + failed}),
                       out, SWEEP_FILES)
    return SweepOutcome(out=out, n_runs=sweep.n_runs, done_before=done_before, ran=ran,
                        failed=counts["failed"])


def _claim_folder(out: Path, sweep: Sweep, started: str) -> str:
    """Record the sweep's definition in ``out`` (under the lock); returns when it was first started."""
    old = check_sweep_folder(out, sweep)  # again: another sweep may have started it meanwhile
    if old is None:  # sweep.json first: it is what marks the folder as this sweep's
        write_json({"created": started, "definition": sweep.definition()}, out / "sweep.json")
    if not (out / "sweep.toml").exists():
        write_text(sweep.path.read_text(encoding="utf-8"), out / "sweep.toml")
    if not (out / "points.csv").exists():
        write_csv(_points_table(sweep), out / "points.csv")
    return old["created"] if old else started


def _part_folders(out: Path, sweep: Sweep) -> tuple[Path, Path, Path]:
    """parts/annual, parts/monthly and parts/failures, made and cleared of half-written files."""
    annual_dir, monthly_dir, fail_dir = (out / "parts" / d for d in ("annual", "monthly", "failures"))
    for d in (annual_dir, fail_dir, flows_dir(out), *([monthly_dir] if sweep.monthly else [])):
        d.mkdir(parents=True, exist_ok=True)
        for entry in os.scandir(d):  # leftovers of a run killed while writing
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                os.unlink(entry.path)
    return annual_dir, monthly_dir, fail_dir


def _done_runs(annual_dir: Path, monthly_dir: Path, fail_dir: Path, sweep: Sweep,
               say) -> np.ndarray:
    """(points, replicates) True where a run's annual part exists and reads back as that run
    (and so does its monthly part, if asked for); a part that does not is removed, with a
    warning naming it, so its run is run again."""
    n, reps = sweep.n_points, sweep.replicates
    done = verified(annual_dir, n, reps, say)
    if sweep.monthly:
        monthly = verified(monthly_dir, n, reps, say)
        for p, r in zip(*np.nonzero(done & ~monthly)):
            (annual_dir / part_name(p, r)).unlink(missing_ok=True)
        done &= monthly
    flows = verified(flows_dir(annual_dir.parent.parent), n, reps, say)
    for p, r in zip(*np.nonzero(done & ~flows)):  # a run without its flows is run again
        (annual_dir / part_name(p, r)).unlink(missing_ok=True)
    done &= flows
    verified(fail_dir, n, reps, say)
    stale = done & scan(fail_dir, n, reps)
    for p, r in zip(*np.nonzero(stale)):  # killed between writing a run and clearing its failure
        (fail_dir / part_name(p, r)).unlink(missing_ok=True)
    return done


def _write_run(sweep: Sweep, job, result, annual_dir: Path, monthly_dir: Path,
               fail_dir: Path) -> bool:
    """Write one finished run as its parts (or its failure); True if it succeeded."""
    point, rep = job.labels["point"], job.replicate
    name = part_name(point, rep)
    if isinstance(result, BaseException):
        write_parquet(_failure_row(sweep, point, rep, result), fail_dir / name)
        return False
    if sweep.monthly:  # before the annual part, whose presence marks the run done
        write_parquet(_labelled(result.monthly, point, sweep), monthly_dir / name)
    flows = (result.target_flows if result.target_flows is not None
             else pd.DataFrame(columns=FLOW_COLUMNS))  # a runner that reports none
    write_parquet(_labelled(flows, point, sweep), flows_dir(annual_dir.parent.parent) / name)
    write_parquet(_labelled(result.annual, point, sweep), annual_dir / name)
    (fail_dir / name).unlink(missing_ok=True)
    return True


def flows_dir(out: Path) -> Path:
    """Where a sweep keeps each run's ``target_flows`` rows until they are merged."""
    return out / "parts" / "target_flows"


def _points_table(sweep: Sweep) -> pd.DataFrame:
    df = pd.DataFrame(list(sweep.points), columns=list(sweep.keys))
    df.insert(0, "point", range(sweep.n_points))
    return df


def read_definition(out: Path) -> dict:
    return json.loads((out / "sweep.json").read_text(encoding="utf-8"))["definition"]


def finalize(out: str | Path) -> dict[str, int]:
    """Merge the parts into ``annual.parquet``, ``target_flows.parquet``, ``attainment.csv``
    and ``failures.csv``.

    Point by point, so memory holds one point's replicates however large the sweep is; rows
    come in (point, replicate) order, so the files do not depend on who ran what when.
    """
    import pyarrow.parquet as pq

    out = Path(out)
    d = read_definition(out)
    keys, n_points, replicates = d["keys"], d["n_points"], d["replicates"]
    annual_dir, monthly_dir, fail_dir = (out / "parts" / k for k in ("annual", "monthly", "failures"))
    have = scan(annual_dir, n_points, replicates)

    with atomic_path(out / "annual.parquet") as tmp_pq, atomic_path(out / "attainment.csv") as tmp_csv:
        writer = None
        with open(tmp_csv, "w", encoding="utf-8", newline="") as csv:
            header = True
            for p in range(n_points):
                if not have[p].any():
                    continue
                tables = [pq.read_table(annual_dir / part_name(p, r))
                          for r in np.flatnonzero(have[p])]
                if writer is None:
                    schema = tables[0].schema
                    writer = pq.ParquetWriter(tmp_pq, schema)
                for t in tables:
                    writer.write_table(t.cast(schema))
                annual = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
                att = _point_attainment(annual, keys)
                rounded(att).to_csv(csv, header=header, index=False)
                header = False
            if header:  # no finished run at all: still a readable, empty table
                pd.DataFrame(columns=["point", *keys, "scenario", "target", "year", "p_met",
                                      "median", "q05", "q25", "q75", "q95", "threshold", "n_runs"]
                             ).to_csv(csv, index=False)
        if writer is None:
            pq.write_table(_empty_annual(keys), tmp_pq)
        else:
            writer.close()

    if d.get("monthly"):
        _merge_parts(monthly_dir, scan(monthly_dir, n_points, replicates) & have,
                     out / "monthly.parquet")
    _merge_parts(flows_dir(out), scan(flows_dir(out), n_points, replicates) & have,
                 out / "target_flows.parquet")
    failed = scan(fail_dir, n_points, replicates) & ~have
    with atomic_path(out / "failures.csv") as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as csv:
            if not failed.any():
                pd.DataFrame(columns=["point", *keys, "replicate", "seed", "params", "error",
                                      "traceback"]).to_csv(csv, index=False)
            for i, (p, r) in enumerate(zip(*np.nonzero(failed))):
                pd.read_parquet(fail_dir / part_name(p, r)).to_csv(csv, header=i == 0, index=False)
    return {"succeeded": int(have.sum()), "failed": int(failed.sum())}


def _point_attainment(annual: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    att = attainment(annual, by=["point", "scenario"])
    first = annual.iloc[0]
    for i, key in enumerate(keys):
        att.insert(1 + i, key, first[key])
    return att


def _empty_annual(keys: list[str]):
    import pyarrow as pa

    cols = ["point", *keys, "scenario", "replicate", "seed", "year", "target", "value",
            "threshold", "met"]
    return pa.table({c: pa.array([], pa.null()) for c in cols})


def _merge_parts(folder: Path, which: np.ndarray, dest: Path) -> None:
    import pyarrow.parquet as pq

    with atomic_path(dest) as tmp:
        writer = None
        for p, r in zip(*np.nonzero(which)):
            t = pq.read_table(folder / part_name(p, r))
            if writer is None:
                schema = t.schema
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(t.cast(schema))
        if writer is not None:
            writer.close()
        else:
            pd.DataFrame().to_parquet(tmp)


# ---------------------------------------------------------------------------------------------
# Figures


# ---------------------------------------------------------------------------------------------
# Command line
