"""Progress of many runs: a tqdm bar on a terminal, and plain log lines (done/total, elapsed,
time left) when stderr is a file or a pipe (``nohup skills-sim sweep ... > log``), so a batch
job's log shows it is alive. Both are used as a tqdm bar (``update``, ``n``, ``total``)."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime

from tqdm import tqdm

# Seconds between log lines; SKILLS_SIM_PROGRESS_EVERY overrides (a long cluster job may want 300).
DEFAULT_EVERY = 30.0


def progress_bar(total: int | None, desc: str, progress: bool | str | None = None,
                 initial: int = 0):
    """A bar on a terminal (``progress`` None or True), log lines elsewhere (None, or "log"),
    nothing for False."""
    if progress is None:
        progress = True if sys.stderr.isatty() else "log"
    if progress == "log":
        return LogProgress(total, desc, initial)
    return tqdm(total=total, initial=initial, desc=desc, unit="run", disable=not progress,
                file=sys.stderr, smoothing=0.1)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class LogProgress:
    """A line on stderr at the start, every ``every`` seconds (also while no run finishes: a
    heartbeat thread, so a slow batch job's log still shows it is alive) and at the end."""

    def __init__(self, total: int | None, desc: str, initial: int = 0,
                 every: float | None = None, stream=None):
        self.total, self.desc, self.n = total, desc, initial
        self.initial = initial
        self.every = every if every is not None else float(
            os.environ.get("SKILLS_SIM_PROGRESS_EVERY", DEFAULT_EVERY))
        self.stream = stream or sys.stderr
        self.start = self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._say("started")
        self._beat = threading.Thread(target=self._heartbeat, name="progress-log", daemon=True)
        if self.every > 0:
            self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.every / 2):
            if time.monotonic() - self.last >= self.every:
                self._say("")

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.last_n != self.n:
            self._say("stopped" if exc[0] is not None else "")

    def set_postfix_str(self, *_args, **_kwargs) -> None:
        """The tqdm call the executors make; the log line says the same itself."""

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        if now - self.last >= self.every or (self.total is not None and self.n >= self.total):
            self._say("")

    def _say(self, note: str) -> None:
        with self._lock:
            self._write(note)

    def _write(self, note: str) -> None:
        self.last, self.last_n = time.monotonic(), self.n
        elapsed = self.last - self.start
        parts = [f"{self.desc}: {self.n}" + (f"/{self.total} runs done" if self.total else
                                             " runs done")]
        if self.total:
            parts[0] += f" ({100 * self.n / self.total:.0f} %)"
        parts.append(f"{_duration(elapsed)} elapsed")
        done_now = self.n - self.initial
        if self.total and 0 < done_now and self.n < self.total:
            parts.append(f"about {_duration(elapsed / done_now * (self.total - self.n))} left")
        if note:
            parts.append(note)
        stamp = datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] " + ", ".join(parts), file=self.stream, flush=True)
