"""Running many independent simulations on worker processes or a Dask cluster.

A :class:`Job` is everything one run needs (parameters, seed, labels); results come back as
``(job, RunResult)`` in completion order. Because every run draws only from its own seeded
generator, the numbers do not depend on the executor, the number of workers or the order of
completion; callers sort by the job's labels before writing.

Two executors share one loop shape (submit until the in-flight bound, then take whichever
finishes first): ``"local"``, a process pool on this machine, and ``"dask"``, an existing
``dask.distributed`` cluster reached by its scheduler address (``tcp://host:8786``), which is
how a sweep scales out over many machines (e.g. dask-jobqueue on Slurm).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
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


class ExecutorError(RuntimeError):
    """The executor itself cannot be used (e.g. the Dask scheduler is unreachable)."""


def run_jobs(
    jobs: Iterable[Job],
    workers: int | None = None,
    progress: bool | None = None,
    desc: str = "runs",
    total: int | None = None,
    *,
    executor: str = "local",
    scheduler: str | None = None,
    initial: int = 0,
    return_exceptions: bool = False,
    fn: Callable[[Job], RunResult] | None = None,
) -> Iterator[tuple[Job, RunResult | BaseException]]:
    """Yield ``(job, result)`` as runs finish, on ``workers`` processes (1 = in this process).

    At most ``2 * workers`` jobs are in flight, so a long job list is never all submitted at
    once and memory stays flat. ``executor="dask"`` sends the jobs to the cluster whose
    scheduler listens at ``scheduler``; there ``workers`` (if given) caps the in-flight bound,
    otherwise it follows the cluster's current thread count, so an adaptive cluster that grows
    gets more work. ``initial`` runs count as already done on the progress bar (a resumed
    sweep). With ``return_exceptions`` a job that raised yields ``(job, exception)`` instead of
    stopping the whole batch, so one bad point does not cost the others. ``fn`` replaces
    :func:`execute` as what a worker calls per job (a module-level function, so workers can
    import it).
    """
    jobs = iter(jobs)
    fn = fn or execute
    if progress is None:
        progress = sys.stderr.isatty()
    with tqdm(total=total, initial=initial, desc=desc, unit="run", disable=not progress,
              file=sys.stderr, smoothing=0.1) as bar:
        if executor == "dask":
            if not scheduler:
                raise ExecutorError("the dask executor needs a scheduler address (tcp://host:8786)")
            yield from _run_dask(jobs, fn, scheduler, workers, bar, return_exceptions)
            return
        if executor != "local":
            raise ExecutorError(f"unknown executor {executor!r}; use 'local' or 'dask'")
        workers = workers or default_workers()
        if workers == 1:
            for job in jobs:
                try:
                    result = fn(job)
                except Exception as exc:
                    if not return_exceptions:
                        raise
                    result = exc
                _tick(bar)
                yield job, result
            return
        with ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(),
                                 initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            pending = {}
            for job in jobs:
                pending[pool.submit(fn, job)] = job
                if len(pending) >= 2 * workers:
                    yield from _drain(pending, bar, first_only=True, return_exceptions=return_exceptions)
            while pending:
                yield from _drain(pending, bar, first_only=True, return_exceptions=return_exceptions)


def _worker_context():
    """Start workers from a fork server that has imported the model once.

    Importing Mesa forces the "spawn" start method, under which every worker re-imports Mesa,
    pandas and the model (1-2.5 s of CPU each); a fork server pays that once and forks
    workers from a clean, single-threaded process."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.parallel"])
    return ctx


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: quit when the parent dies (e.g. ``kill -9``), never idle forever.

    Pool workers block on a queue whose write end they also hold, so they would not notice.
    (Under the fork server a worker's OS parent is the server, so watch the pid itself.)
    """
    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            time.sleep(1.0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _tick(bar) -> None:
    """Advance the bar and show how many runs are still to go beside the time left."""
    if bar.total:  # set before the update, which redraws the line
        bar.set_postfix_str(f"{bar.total - bar.n - 1} to go", refresh=False)
    bar.update(1)


def _drain(pending: dict, bar, first_only: bool,
           return_exceptions: bool = False) -> Iterator[tuple[Job, RunResult | BaseException]]:
    done, _ = wait(pending, return_when=FIRST_COMPLETED if first_only else "ALL_COMPLETED")
    for fut in done:
        job = pending.pop(fut)
        _tick(bar)
        exc = fut.exception()
        if exc is not None and not return_exceptions:
            raise exc
        yield job, exc if exc is not None else fut.result()


def _run_dask(jobs: Iterator[Job], fn, scheduler: str, workers: int | None, bar,
              return_exceptions: bool) -> Iterator[tuple[Job, RunResult | BaseException]]:
    """The same bounded loop as the process pool, on a ``dask.distributed`` cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise ExecutorError(f"the dask executor needs dask[distributed]: {exc}") from None
    try:
        client = Client(scheduler, timeout="30s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None

    def bound() -> int:
        if workers:
            return 2 * workers
        return 2 * max(1, sum(client.nthreads().values()))

    with client:
        pending: dict = {}
        finished = as_completed(loop=client.loop)
        limit = bound()
        for job in jobs:
            # pure=False: never let Dask merge two submissions as "the same task".
            fut = client.submit(fn, job, pure=False)
            pending[fut] = job
            finished.add(fut)
            if len(pending) >= limit:
                yield _take(next(finished), pending, bar, return_exceptions)
                limit = bound()
        while pending:
            yield _take(next(finished), pending, bar, return_exceptions)


def _take(fut, pending: dict, bar, return_exceptions: bool) -> tuple[Job, RunResult | BaseException]:
    job = pending.pop(fut)
    _tick(bar)
    if fut.status == "finished":
        result = fut.result()
    else:
        if fut.status == "error":
            exc = fut.exception().with_traceback(fut.traceback())
        else:  # cancelled or lost: the cluster dropped the task
            exc = ExecutorError(f"task {fut.key} was {fut.status} on the cluster")
        if not return_exceptions:
            fut.release()
            raise exc
        result = exc
    fut.release()  # let the cluster forget the finished task's result at once
    return job, result
