"""What every executor shares: the job, the function a worker runs, and the interface.

A :class:`Job` is everything one run needs (parameters, seed, labels); an :class:`Executor`
yields ``(job, RunResult)`` in completion order. Because every run draws only from its own
seeded generator, the numbers do not depend on the executor, the number of workers or the order
of completion; callers sort by the job's labels before writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sim.experiments.processes import default_workers
from sim.experiments.runner import RunResult, run_one
from sim.params import Params

__all__ = ["Job", "execute", "default_workers", "ExecutorError", "Outcome", "Executor", "tick"]


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


class ExecutorError(RuntimeError):
    """The executor itself cannot be used (e.g. the Dask scheduler is unreachable)."""


Outcome = tuple[Job, "RunResult | BaseException"]


class Executor:
    """One interface, several backends (as EMA Workbench's evaluators).

    Use as a context manager; between ``__enter__`` and ``__exit__`` the backend's workers
    (a process pool, a cluster client) live, so several ``map`` calls share them (a
    calibration's trials). ``map`` submits jobs until an in-flight bound and yields whichever
    finishes first."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, jobs: Iterable[Job], fn: Callable[[Job], RunResult] | None = None, bar=None,
            return_exceptions: bool = False) -> Iterator[Outcome]:
        raise NotImplementedError


def tick(bar, job=None) -> None:
    """The job's runs done (one, or a group's: ``job.runs``), for the caller's progress tracker
    (:mod:`sim.experiments.progress`)."""
    if bar is not None:
        bar.update(getattr(job, "runs", 1))
