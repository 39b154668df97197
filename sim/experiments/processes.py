"""Starting worker processes: the fork server the simulation's workers come from, the pools of
work after it, and Ctrl-C. Standard library only, so the command line can start the fork
server (:func:`start_fork_server_early`) before it imports the model itself.

The local executor (:mod:`sim.experiments.executors.local`) uses these; they live here, not in
the executors package, whose import brings the model.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from contextlib import contextmanager

# What the fork server imports once for all its workers: the executors' job runner, which
# brings the model, Mesa, numpy and pandas.
FORK_SERVER_PRELOAD = ["sim.experiments.executors.base"]


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def start_fork_server_early(workers: int | None) -> None:
    """Start the fork server now if a command is about to run its simulations on a local pool
    (``workers`` > 1, or None: one per core), so its import of the model overlaps this
    process's own start-up instead of following it (about 1.5 s of a forecast's wall time on
    two cores). The pool started later finds it running."""
    if (default_workers() if workers is None else workers) > 1:
        start_server_deaf_to_ctrl_c(worker_context())


def worker_context():
    """Start workers from a fork server that has imported the model once.

    Importing Mesa forces the "spawn" start method, under which every worker re-imports Mesa,
    pandas and the model (1-2.5 s of CPU each); a fork server pays that once and forks
    workers from a clean, single-threaded process."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(FORK_SERVER_PRELOAD)
    return ctx


def fresh_context():
    """How a fresh pool starts its workers: as forks of this process where forking is safe
    (Linux, and no thread here besides the main one), so a worker starts with what this
    process has imported (pandas, matplotlib, the plots: a second or two of CPU a worker
    saves) and its memory pages shared until written; elsewhere as new interpreters
    ("spawn") that import what their jobs need."""
    if (sys.platform.startswith("linux") and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


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
