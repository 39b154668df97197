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
