"""The local backend: a process pool on this machine (or this process, for one worker)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager

from sim.experiments.executors.base import Executor, Job, Outcome, default_workers, execute, tick
from sim.experiments.runner import RunResult


class LocalExecutor(Executor):
    """``workers`` processes that live while the executor is entered (1 = in this process).

    At most ``2 * workers`` jobs are in flight, so a long job list is never all submitted at
    once and memory stays flat. One pool for a whole study pays the workers' start-up once.

    ``fresh``: the workers are new interpreters (started by "spawn") that import only what
    their jobs need, not the model the fork server preloads, and there is a pool even for one
    worker (its jobs run beside this process). An idle fork server is stopped first: for work
    after the simulation (the driver tables) its preloaded model would only hold memory."""

    def __init__(self, workers: int | None = None, fresh: bool = False):
        self.workers = workers or default_workers()
        self.fresh = fresh
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.fresh:
            stop_idle_fork_server()
            self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=exit_with_parent, initargs=(os.getpid(),))
        elif self.workers > 1:
            ctx = worker_context()
            start_server_deaf_to_ctrl_c(ctx)
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                            initializer=exit_with_parent, initargs=(os.getpid(),))
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


def worker_context():
    """Start workers from a fork server that has imported the model once.

    Importing Mesa forces the "spawn" start method, under which every worker re-imports Mesa,
    pandas and the model (1-2.5 s of CPU each); a fork server pays that once and forks
    workers from a clean, single-threaded process."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.experiments.executors.base"])
    return ctx


def start_server_deaf_to_ctrl_c(ctx) -> None:
    """Start the fork server deaf to SIGINT, so it and the workers it forks ignore Ctrl-C
    (which the terminal sends the whole process group): only this process handles it, and a
    Ctrl-C that lands while the server is still importing prints no traceback."""
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with deaf_to_ctrl_c():
        forkserver.ensure_running()


@contextmanager
def deaf_to_ctrl_c():
    """Processes started in this block never see Ctrl-C; this process does not lose one.

    On POSIX, SIGINT is *blocked* on the main thread for the block: a child inherits the
    blocked signal (through fork and exec) and never receives it, while a Ctrl-C that lands
    here during the block stays pending and is raised as soon as the block ends. (Ignoring
    it instead, as the children should, would drop a Ctrl-C that arrives in the block: a pool
    starts its workers in ``submit``, right after a run finishes and the progress bar ticks,
    which is just when a user reading the bar presses Ctrl-C.) Without signal masks (Windows)
    SIGINT is ignored for the block. Elsewhere than the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if hasattr(signal, "pthread_sigmask"):
        # The resource tracker unblocks SIGINT when it starts (CPython's guard for its own
        # start-up), which inside the block would expose whatever starts after it: start it first.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_idle_fork_server() -> None:
    """Stop the fork server when no process it forked is alive (the next pool that needs one
    starts it again). Its preloaded model (~150 MB resident) is of no use to work done after
    the simulation. Python offers no public way to stop it: without the private ``_stop`` (in
    CPython since 3.8) it simply stays."""
    if ("forkserver" not in multiprocessing.get_all_start_methods()
            or multiprocessing.active_children()):
        return
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if getattr(server, "_forkserver_pid", None) is not None and hasattr(server, "_stop"):
        server._stop()


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    # The pool keeps its processes in a private dict; stopping them is how a Ctrl-C ends
    # runs in progress at once instead of waiting for them.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError):
            pass


def exit_with_parent(parent: int) -> None:
    """Worker initializer: quit when the parent dies (e.g. ``kill -9``), never idle forever.

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
