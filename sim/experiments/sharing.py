"""Jobs shared between a pool's workers and this process.

Every job goes to the workers as it is added; whoever gets to it first runs it. Asking for
results runs here those no worker has started yet (``Future.cancel()`` succeeds only for a job no
worker holds, so none runs twice), the last first, since the workers take them from the front;
while a worker is still on one that was asked for, this process takes over jobs from the end of
the queue instead of waiting idle. So a pool of ``n`` workers and this process are ``n + 1``
workers, and this process can do other work (draw figures) in between. Without a pool every job
runs here when first asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (a worker imports this module: not the executors, which import the model)
    from sim.experiments.executors.local import LocalExecutor


class SharedJobs:
    """A queue of jobs for ``executor``'s workers (None, or one without a pool: this process
    alone) and this process; :meth:`add` a job, :meth:`results` to have them."""

    def __init__(self, executor: LocalExecutor | None = None):
        self._executor = executor if executor is not None and executor.pool is not None else None
        self._jobs: list[tuple[Callable, tuple]] = []
        self._futures: list[Future | None] = []
        self._here: dict[int, tuple] = {}  # (result, end time) of the jobs run in this process

    def add(self, fn: Callable, *args) -> int:
        """Queue ``fn(*args)`` (picklable, for a worker); returns its handle."""
        self._jobs.append((fn, args))
        self._futures.append(None if self._executor is None
                             else self._executor.submit(timed, fn, *args))
        return len(self._jobs) - 1

    def results(self, wanted: list[int]) -> list[tuple]:
        """``(result, end time)`` of the jobs ``wanted`` (the end on the wall clock, which the
        workers share), in that order; runs here what no worker has started (see the module)."""
        for i in reversed(wanted):
            self._claim(i)
        running = [self._futures[i] for i in wanted if i not in self._here]
        for i in reversed(range(len(self._jobs))):
            if all(fut.done() for fut in running):
                break
            self._claim(i)
        return [self._here[i] if i in self._here else self._futures[i].result() for i in wanted]

    @property
    def jobs_here(self) -> int:
        """How many jobs this process has run itself (so far)."""
        return len(self._here)

    def _claim(self, i: int) -> None:
        """Run job ``i`` here, unless it has run here or a worker has started it."""
        if i not in self._here and (self._futures[i] is None or self._futures[i].cancel()):
            fn, args = self._jobs[i]
            self._here[i] = timed(fn, *args)


def timed(fn: Callable, *args) -> tuple[object, float]:
    """``fn(*args)`` and the wall-clock time it ended (in whatever process this is called)."""
    return fn(*args), time.time()
