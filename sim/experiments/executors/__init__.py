"""Running many independent simulations: one :class:`Executor` interface, two backends.

``"local"`` (:class:`LocalExecutor`, a process pool on this machine) and ``"dask"``
(:class:`DaskExecutor`, an existing ``dask.distributed`` cluster) share one loop shape: submit
until the in-flight bound, then take whichever finishes first. :func:`run_jobs` is the one-shot
form with a progress tracker; a study that runs many small batches (a calibration's trials) enters
one executor and calls ``map`` per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sim.experiments.executors.base import (Executor, ExecutorError, Job, Outcome, default_workers,
                                            execute)
from sim.experiments.executors.dask_cluster import DaskExecutor
from sim.experiments.executors.local import LocalExecutor
from sim.experiments.progress import Progress, track
from sim.experiments.runner import RunResult

__all__ = ["Job", "execute", "default_workers", "ExecutorError", "Executor", "LocalExecutor",
           "DaskExecutor", "make_executor", "run_jobs"]


def make_executor(executor: str = "local", workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """The backend named ``executor`` ("local" or "dask")."""
    if executor == "dask":
        return DaskExecutor(scheduler, workers)
    if executor != "local":
        raise ExecutorError(f"unknown executor {executor!r}; use 'local' or 'dask'")
    return LocalExecutor(workers)


def run_jobs(
    jobs: Iterable[Job],
    workers: int | None = None,
    progress: Progress | None = None,
    desc: str = "runs",
    total: int | None = None,
    *,
    executor: str = "local",
    scheduler: str | None = None,
    initial: int = 0,
    return_exceptions: bool = False,
    fn: Callable[[Job], RunResult] | None = None,
) -> Iterator[Outcome]:
    """Yield ``(job, result)`` as runs finish, on ``workers`` processes (1 = in this process).

    ``executor="dask"`` sends the jobs to the cluster whose scheduler listens at ``scheduler``.
    ``initial`` runs count as already done (a resumed sweep) for ``progress``, the caller's
    tracker (:mod:`sim.experiments.progress`; None: nothing is reported). With
    ``return_exceptions`` a job that raised yields ``(job, exception)`` instead of stopping the
    whole batch, so one bad point does not cost the others. ``fn`` replaces :func:`execute` as
    what a worker calls per job (a module-level function, so workers can import it).
    """
    jobs = iter(jobs)
    with track(progress, total, desc, initial) as bar:
        with make_executor(executor, workers, scheduler) as ex:
            yield from ex.map(jobs, fn, bar, return_exceptions)
