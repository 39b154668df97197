"""The local executor's processes: the fork server the simulation's workers come from is
stopped once idle (its preloaded model would only hold memory beside the work that follows),
never while a worker it forked is alive; a fresh pool has a worker even when asked for one;
jobs shared between a pool and this process run once each, wherever they run; processes
started while workers start never see Ctrl-C, and this process never loses one; workers set
what they imported aside from the garbage collector."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
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


def test_workers_set_what_they_imported_aside_from_the_garbage_collector():
    """Both kinds of pool: the fork server's workers (the model preloaded) and a fresh pool's."""
    import gc

    for workers, fresh in ((2, False), (1, True)):
        with LocalExecutor(workers, fresh=fresh) as ex:
            frozen = ex.submit(gc.get_freeze_count).result()
        assert frozen > 10_000, (workers, fresh, frozen)  # the modules' objects, not a handful


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


def hears_ctrl_c() -> None:
    """For ``preexec_fn``: Ctrl-C's default action, as a command typed at a terminal has it
    (pytest started as a background job ignores SIGINT, and its children would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


_DEAF_FROM_THE_START = """
import signal
from pathlib import Path
from multiprocessing import forkserver
from sim.experiments.executors.local import LocalExecutor


def ctrl_c_reaches(pid="self"):
    # Whether SIGINT would reach process pid now: neither blocked nor ignored.
    bits = {line.split(":")[0]: int(line.split()[1], 16)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith(("SigBlk:", "SigIgn:"))}
    return not (bits["SigBlk"] | bits["SigIgn"]) & (1 << (signal.SIGINT - 1))


if __name__ == "__main__":
    with LocalExecutor(2) as ex:
        reached = {"fork server": ctrl_c_reaches(forkserver._forkserver._forkserver_pid),
                   "its worker": ex.submit(ctrl_c_reaches).result()}
    with LocalExecutor(1, fresh=True) as ex:
        reached["a fresh worker"] = ex.submit(ctrl_c_reaches).result()
    reached["this process"] = ctrl_c_reaches()
    print(reached)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_workers_and_their_fork_server_are_deaf_to_ctrl_c_from_the_start(tmp_path):
    """In a new interpreter (no resource tracker yet: starting one unblocks SIGINT), the fork
    server (still importing the model when a Ctrl-C may land), its workers and a fresh pool's
    worker never get SIGINT; the main process still does."""
    script = tmp_path / "deaf.py"
    script.write_text(_DEAF_FROM_THE_START)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).parents[1],
                         preexec_fn=hears_ctrl_c)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == str({"fork server": False, "its worker": False,
                                      "a fresh worker": False, "this process": True})


_FRESH_POOL = """
import sys
import threading
import time
from sim.experiments.executors.local import LocalExecutor


def has(module):
    return module in sys.modules


if __name__ == "__main__":
    import json.tool  # a module a worker would not import on its own
    with LocalExecutor(1, fresh=True) as ex:
        forked = ex.submit(has, "json.tool").result()
    threading.Thread(target=time.sleep, args=(1,)).start()  # a second thread: forking is unsafe
    with LocalExecutor(1, fresh=True) as ex:
        spawned = ex.submit(has, "json.tool").result()
    print(forked, spawned)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_a_fresh_pool_forks_this_process_only_while_it_is_single_threaded(tmp_path):
    """A fresh pool's worker is a fork of a single-threaded process (it has what the process
    imported: no second import of pandas and the plots) and a new interpreter otherwise."""
    script = tmp_path / "fresh.py"
    script.write_text(_FRESH_POOL)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]


_EARLY_SERVER = """
import sys
from multiprocessing import forkserver
from sim.experiments.processes import start_fork_server_early

start_fork_server_early(1)
alone = forkserver._forkserver._forkserver_pid
start_fork_server_early(2)
print(alone is None, forkserver._forkserver._forkserver_pid is not None,
      any(m.startswith(("sim.model", "pandas", "mesa")) for m in sys.modules))
"""


@pytest.mark.skipif("forkserver" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="no fork server here")
def test_the_fork_server_can_start_before_this_process_imports_the_model(tmp_path):
    """start_fork_server_early (the command line's first step for pooled commands) starts the
    fork server for more than one worker only, importing nothing of the model here."""
    out = subprocess.run([sys.executable, "-c", _EARLY_SERVER], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "False"]


@pytest.mark.parametrize("argv, started", [
    (["forecast", "--workers", "3", "--replicates", "0"], [3]),
    (["sweep", "nothing.toml", "--workers", "2", "--executor", "dask"], []),
    (["run", "--seed", "-1"], []),
])
def test_pooled_commands_start_the_fork_server_first(monkeypatch, argv, started):
    """The command line starts the fork server before the command runs (and validates), for
    the commands that run simulations on a local pool only."""
    import sim.experiments.processes as processes
    from sim.interfaces.cli import main

    calls = []
    monkeypatch.setattr(processes, "start_fork_server_early", calls.append)
    assert main(argv) == 2  # (each argv is invalid: nothing runs)
    assert calls == started
