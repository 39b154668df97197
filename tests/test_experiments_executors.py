"""The local executor's processes: the fork server the simulation's workers come from is
stopped once idle (its preloaded model would only hold memory beside the work that follows),
never while a worker it forked is alive; a fresh pool has a worker even when asked for one."""

from __future__ import annotations

import os
from multiprocessing import forkserver

import pytest

from sim.experiments.executors.local import LocalExecutor, stop_idle_fork_server


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
