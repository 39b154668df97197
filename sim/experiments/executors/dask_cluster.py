"""The Dask backend: an existing ``dask.distributed`` cluster reached by its scheduler address
(``tcp://host:8786``), which is how a sweep scales out over many machines (e.g. dask-jobqueue
on Slurm). The same bounded loop as the local pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sim.experiments.executors.base import Executor, ExecutorError, Job, Outcome, execute, tick
from sim.experiments.runner import RunResult


class DaskExecutor(Executor):
    """Jobs go to the cluster at ``scheduler``; ``workers`` (if given) caps the in-flight bound,
    otherwise it follows the cluster's current thread count, so an adaptive cluster that grows
    gets more work."""

    def __init__(self, scheduler: str | None, workers: int | None = None):
        if not scheduler:
            raise ExecutorError("the dask executor needs a scheduler address (tcp://host:8786)")
        self.scheduler = scheduler
        self.workers = workers
        self.client = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise ExecutorError(f"the dask executor needs dask[distributed]: {exc}") from None
        try:
            self.client = Client(self.scheduler, timeout="30s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _bound(self) -> int:
        if self.workers:
            return 2 * self.workers
        return 2 * max(1, sum(self.client.nthreads().values()))

    def map(self, jobs: Iterable[Job], fn: Callable[[Job], RunResult] | None = None, bar=None,
            return_exceptions: bool = False) -> Iterator[Outcome]:
        from distributed import as_completed

        fn = fn or execute
        pending: dict = {}
        finished = as_completed(loop=self.client.loop)
        limit = self._bound()
        for job in jobs:
            # pure=False: never let Dask merge two submissions as "the same task".
            fut = self.client.submit(fn, job, pure=False)
            pending[fut] = job
            finished.add(fut)
            if len(pending) >= limit:
                yield _take(next(finished), pending, bar, return_exceptions)
                limit = self._bound()
        while pending:
            yield _take(next(finished), pending, bar, return_exceptions)


def _take(fut, pending: dict, bar, return_exceptions: bool) -> Outcome:
    job = pending.pop(fut)
    tick(bar, job)
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
