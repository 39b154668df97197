"""The local executor's processes: the fork server the simulation's workers come from is
stopped once idle (its preloaded model would only hold memory beside the work that follows),
never while a worker it forked is alive; a fresh pool has a worker even when asked for one;
jobs shared between a pool and this process run once each, wherever they run; processes
started while workers start never see Ctrl-C, and this process never loses one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from multiprocessing import forkserver

import pytest

from sim.experiments.executors.local import (LocalExecutor, deaf_to_ctrl_c,
                                             stop_idle_fork_server)
from sim.experiments.sharing import SharedJobs


def test_an_idle_fork_server_is_stopped_and_a_busy_one_is_not():
    with LocalExecutor(2) as ex:
        assert ex.submit(os.getpid).result() != os.getpid()
        server = forkserver._forkserver._forkserver_pid
        assert server is not None
        stop_idle_fork_server()  # its workers are alive: it stays, and they go on working
        assert forkserver._forkserver._forkserver_pid == server
        assert ex.submit(os.getpid).result() != os.getpid()
    stop_idle_fork_server()
    assert forkserver._forkserver._forkserver_pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)  # gone (and reaped)
    with LocalExecutor(2) as ex:  # the next pool starts a new one
        assert ex.submit(os.getpid).result() != os.getpid()
    assert forkserver._forkserver._forkserver_pid not in (None, server)


def test_a_fresh_pool_of_one_runs_its_jobs_in_another_process():
    with LocalExecutor(1) as ex:
        assert ex.pool is None  # one worker: in this process
    with LocalExecutor(1, fresh=True) as ex:
        assert ex.submit(os.getpid).result() != os.getpid()


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_shared_jobs_run_once_each_here_or_on_the_worker_and_come_back_in_order():
    """This process runs the jobs no worker has started (the last first); the worker (a new
    interpreter, seconds to start) runs those it took at once; results come in queue order."""
    with LocalExecutor(1, fresh=True) as ex:
        shared = SharedJobs(ex)
        handles = [shared.add(_pid_after, 0.05 * k) for k in range(6)]
        got = shared.results(handles)
    here = [pid == os.getpid() for pid, _ in got]
    assert 0 < sum(here) == shared.jobs_here < 6
    assert here[-1] and not here[0]  # the worker took the first job, this process the last
    assert all(end > 0 for _, end in got)
    alone = SharedJobs()  # no pool: every job here, when asked for
    assert [pid for pid, _ in alone.results([alone.add(_pid_after, 0.0)])] == [os.getpid()]


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_a_ctrl_c_while_a_worker_starts_reaches_this_process_and_not_the_worker():
    """A pool starts its workers in ``submit``, right after a run ends and the bar ticks: a
    Ctrl-C landing then must still stop this process (it once was dropped, and a forecast went
    on with its 400 runs), and the process started meanwhile must not see it."""
    # As in a terminal, whatever started pytest (a background job ignores Ctrl-C).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), deaf_to_ctrl_c():
            child = subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(1.0); print('slept')"],
                stdout=subprocess.PIPE, text=True)
            os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C while the worker starts
            time.sleep(0.2)
    finally:
        signal.signal(signal.SIGINT, previous)
    child.send_signal(signal.SIGINT)  # the terminal's Ctrl-C reaches the whole group
    out, _ = child.communicate(timeout=30)
    assert (child.returncode, out) == (0, "slept\n")
