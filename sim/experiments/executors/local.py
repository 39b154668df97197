"""The local backend: a process pool on this machine (or this process, for one worker)."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from sim.experiments.executors.base import Executor, Job, Outcome, default_workers, execute, tick
from sim.experiments.processes import (deaf_to_ctrl_c, fresh_context, start_server_deaf_to_ctrl_c,
                                       stop_idle_fork_server, worker_context)
from sim.experiments.runner import RunResult


class LocalExecutor(Executor):
    """``workers`` processes that live while the executor is entered (1 = in this process).

    At most ``2 * workers`` jobs are in flight, so a long job list is never all submitted at
    once and memory stays flat. One pool for a whole study pays the workers' start-up once.

    ``fresh``: the workers are not the fork server's but this process's own (see
    :func:`fresh_context`), and there is a pool even for one worker (its jobs run beside this
    process). An idle fork server is stopped first: for work after the simulation (the driver
    tables) its preloaded model would only hold memory."""

    def __init__(self, workers: int | None = None, fresh: bool = False):
        self.workers = workers or default_workers()
        self.fresh = fresh
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.fresh:
            stop_idle_fork_server()
            self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                            mp_context=fresh_context(),
                                            initializer=start_worker, initargs=(os.getpid(),))
        elif self.workers > 1:
            ctx = worker_context()
            start_server_deaf_to_ctrl_c(ctx)
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                            initializer=start_worker, initargs=(os.getpid(),))
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self.pool is not None:
            if exc_type is KeyboardInterrupt:  # workers ignore Ctrl-C: stop them, do not wait
                _terminate_workers(self.pool)
            self.pool.shutdown(wait=exc_type is not KeyboardInterrupt, cancel_futures=True)
            self.pool = None

    def submit(self, fn: Callable, *args) -> Future:
        """``fn(*args)`` on a worker (the executor must have a pool). A fresh worker is started
        here, when needed, deaf to Ctrl-C from its first instruction (`deaf_to_ctrl_c`)."""
        with deaf_to_ctrl_c():
            return self.pool.submit(fn, *args)

    def map(self, jobs: Iterable[Job], fn: Callable[[Job], RunResult] | None = None, bar=None,
            return_exceptions: bool = False) -> Iterator[Outcome]:
        fn = fn or execute
        if self.pool is None:
            yield from _in_process(jobs, fn, bar, return_exceptions)
            return
        pending: dict = {}
        try:
            for job in jobs:
                pending[self.submit(fn, job)] = job
                if len(pending) >= 2 * self.workers:
                    yield from _drain(pending, bar, return_exceptions)
            while pending:
                yield from _drain(pending, bar, return_exceptions)
        finally:
            for fut in pending:
                fut.cancel()


def _in_process(jobs, fn, bar, return_exceptions: bool) -> Iterator[Outcome]:
    for job in jobs:
        try:
            result = fn(job)
        except Exception as exc:
            if not return_exceptions:
                raise
            result = exc
        tick(bar, job)
        yield job, result


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    # The pool keeps its processes in a private dict; stopping them is how a Ctrl-C ends
    # runs in progress at once instead of waiting for them.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError):
            pass


def start_worker(parent: int) -> None:
    """Worker initializer: Ctrl-C and the parent's death (:func:`exit_with_parent`), and what
    the worker has imported set aside from the garbage collector (``gc.freeze``): the modules'
    objects (numpy, pandas, Mesa, the model: ~130,000) would otherwise be traversed again by
    every full collection during the runs (about 2 % of a run's CPU), and are never garbage."""
    exit_with_parent(parent)
    gc.freeze()


def exit_with_parent(parent: int) -> None:
    """Quit when the parent dies (e.g. ``kill -9``), never idle forever.

    Pool workers block on a queue whose write end they also hold, so they would not notice.
    (Under the fork server a worker's OS parent is the server, so watch the pid itself.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C (spawn workers too)

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


def _drain(pending: dict, bar, return_exceptions: bool = False) -> Iterator[Outcome]:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for fut in done:
        job = pending.pop(fut)
        tick(bar, job)
        exc = fut.exception()
        if exc is not None and not return_exceptions:
            raise exc
        yield job, exc if exc is not None else fut.result()
