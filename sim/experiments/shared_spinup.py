"""Runs that share a spin-up: the scenarios (or sweep points) of one seed that spin up alike.

Replicate ``k`` of every scenario runs with the same seed, and the spin-up runs the status quo
whatever the scenario's levers, so those runs reach the plan year in the same state. A
:class:`JobGroup` is such a set of jobs: a worker spins the city up once
(:class:`sim.model.warm_start.WarmStart`) and continues each job from a copy, which gives the
tables a run from scratch gives (``tests/test_experiments_shared_spinup.py``). A job whose other
parameters differ lands in a group of its own. Groups are made from consecutive jobs of one
seed, so a caller lists its jobs seed-major; the tables are sorted afterwards as before, so
they do not depend on the grouping or the number of workers.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from sim.experiments.executors.base import Job, Outcome, execute
from sim.experiments.runner import RunResult, batch_params, collect
from sim.model.warm_start import WarmStart
from sim.params import spinup_key


@dataclass(frozen=True)
class JobGroup:
    """Jobs of one seed whose spin-ups are the same; run by :func:`execute_group`."""

    jobs: tuple[Job, ...]

    @property
    def runs(self) -> int:
        """How many runs the group holds (progress bars count runs, not groups)."""
        return len(self.jobs)


def spinup_groups(jobs: Iterable[Job], max_runs: int | None = None) -> Iterator[JobGroup]:
    """Consecutive jobs of one seed grouped by what their spin-up depends on, at most
    ``max_runs`` to a group (so a long sweep still spreads over the workers); in order of
    first appearance, made as the executor asks for them."""
    for _seed, block in groupby(jobs, key=lambda job: job.seed):
        by_key: dict[str, list[Job]] = {}
        for job in block:
            by_key.setdefault(spinup_key(batch_params(job.params)), []).append(job)
        for members in by_key.values():
            step = max_runs or len(members)
            for i in range(0, len(members), step):
                yield JobGroup(tuple(members[i:i + step]))


def execute_group(group: JobGroup) -> list[RunResult | Exception]:
    """Run a group in this process: one spin-up, then each job from a copy of it. A job that
    fails gives its exception in its place, so the others still count."""
    if len(group.jobs) == 1:
        return [_guarded(execute, group.jobs[0])]
    warm = _guarded(lambda job: WarmStart(batch_params(job.params), job.seed), group.jobs[0])
    if isinstance(warm, Exception):  # the spin-up itself failed: every run of the group fails
        return [warm] * len(group.jobs)

    def run(job: Job) -> RunResult:
        model = warm.start(batch_params(job.params), job.scenario, job.replicate)
        return collect(model.run(), job.monthly)

    try:
        return [_guarded(run, job) for job in group.jobs]
    finally:
        warm.close()


def _guarded(fn, job: Job) -> RunResult | Exception:
    try:
        return fn(job)
    except Exception as exc:
        if multiprocessing.parent_process() is not None:  # a worker: its traceback would be lost
            exc.add_note("".join(traceback.format_exception(exc)).rstrip())
        return exc


def each_run(outcomes: Iterable[Outcome], return_exceptions: bool = False) -> Iterator[Outcome]:
    """``(job, result)`` per run from an executor's ``(group, results)``: a failed run raises
    (or, with ``return_exceptions``, is yielded as its exception, as the executors do)."""
    for group, results in outcomes:
        if isinstance(results, BaseException):  # the worker itself failed
            results = [results] * len(group.jobs)
        for job, result in zip(group.jobs, results):
            if isinstance(result, BaseException) and not return_exceptions:
                raise result
            yield job, result
