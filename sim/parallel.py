"""Running many independent simulations on worker processes.

A :class:`Job` is everything one run needs (parameters, seed, labels); results come back as
``(job, RunResult)`` in completion order. Because every run draws only from its own seeded
generator, the numbers do not depend on the number of workers or the order of completion;
callers sort by the job's labels before writing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from .params import Params
from .runner import RunResult, run_one


@dataclass(frozen=True)
class Job:
    params: Params
    seed: int
    scenario: str = "baseline"
    replicate: int = 0
    monthly: bool = False
    labels: dict[str, Any] = field(default_factory=dict)  # e.g. a sweep point's id


def execute(job: Job) -> RunResult:
    """Run one job (in whatever process this is called)."""
    return run_one(job.params, seed=job.seed, scenario=job.scenario,
                   replicate=job.replicate, monthly=job.monthly)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def run_jobs(
    jobs: Iterable[Job],
    workers: int | None = None,
    progress: bool | None = None,
    desc: str = "runs",
    total: int | None = None,
) -> Iterator[tuple[Job, RunResult]]:
    """Yield ``(job, result)`` as runs finish, on ``workers`` processes (1 = in this process).

    At most ``2 * workers`` jobs are in flight, so a long job list is never all submitted at
    once and memory stays flat.
    """
    jobs = iter(jobs)
    workers = workers or default_workers()
    if progress is None:
        progress = sys.stderr.isatty()
    with tqdm(total=total, desc=desc, unit="run", disable=not progress, file=sys.stderr,
              smoothing=0.1) as bar:
        if workers == 1:
            for job in jobs:
                result = execute(job)
                bar.update(1)
                yield job, result
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending = {}
            for job in jobs:
                pending[pool.submit(execute, job)] = job
                if len(pending) >= 2 * workers:
                    yield from _drain(pending, bar, first_only=True)
            while pending:
                yield from _drain(pending, bar, first_only=True)


def _drain(pending: dict, bar, first_only: bool) -> Iterator[tuple[Job, RunResult]]:
    done, _ = wait(pending, return_when=FIRST_COMPLETED if first_only else "ALL_COMPLETED")
    for fut in done:
        job = pending.pop(fut)
        bar.update(1)
        yield job, fut.result()
