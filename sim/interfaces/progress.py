"""What the engines' progress looks like (:mod:`sim.experiments.progress`): a tqdm bar on a
terminal, and plain log lines (done/total, elapsed, time left) when stderr is a file or a pipe
(``nohup skills-sim sweep ... > log``), so a batch job's log shows it is alive."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime

from tqdm import tqdm

from sim.experiments.progress import Progress

# Seconds between log lines; SKILLS_SIM_PROGRESS_EVERY overrides (a long cluster job may want 300).
DEFAULT_EVERY = 30.0


def progress_for(mode: bool | str | None = None) -> Progress | None:
    """What an engine's ``progress`` argument takes: ``mode`` None = a bar on a terminal and log
    lines otherwise (decided when a tracker opens), True = a bar, "log" = lines, False = None
    (nothing)."""
    if mode is False:
        return None

    def open_tracker(total: int | None, desc: str, initial: int = 0, unit: str = "run"):
        shown = (True if sys.stderr.isatty() else "log") if mode is None else mode
        if shown == "log":
            return LogProgress(total, desc, initial, unit=unit)
        return BarProgress(total, desc, initial, unit)

    return open_tracker


class BarProgress:
    """A tqdm bar on stderr; a bar of runs also shows how many are still to go."""

    def __init__(self, total: int | None, desc: str, initial: int = 0, unit: str = "run"):
        self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr,
                        smoothing=0.1)
        self.to_go = unit == "run"

    def __enter__(self) -> BarProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()

    def update(self, k: int = 1) -> None:
        if self.to_go and self.bar.total:  # set before the update, which redraws the line
            self.bar.set_postfix_str(f"{self.bar.total - self.bar.n - k} to go", refresh=False)
        self.bar.update(k)

    def note(self, text: str) -> None:
        self.bar.set_postfix_str(text, refresh=False)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class LogProgress:
    """A line on stderr at the start, every ``every`` seconds (also while no run finishes: a
    heartbeat thread, so a slow batch job's log still shows it is alive) and at the end."""

    def __init__(self, total: int | None, desc: str, initial: int = 0,
                 every: float | None = None, stream=None, unit: str = "run"):
        self.total, self.desc, self.n, self.unit = total, desc, initial, unit
        self.initial = initial
        self.every = every if every is not None else float(
            os.environ.get("SKILLS_SIM_PROGRESS_EVERY", DEFAULT_EVERY))
        self.stream = stream or sys.stderr
        self.last_note = ""
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

    def note(self, text: str) -> None:
        """Shown on the next line."""
        self.last_note = text

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
        done = f" {self.unit}s done"
        parts = [f"{self.desc}: {self.n}" + (f"/{self.total}{done}" if self.total else done)]
        if self.total:
            parts[0] += f" ({100 * self.n / self.total:.0f} %)"
        parts.append(f"{_duration(elapsed)} elapsed")
        done_now = self.n - self.initial
        if self.total and 0 < done_now and self.n < self.total:
            parts.append(f"about {_duration(elapsed / done_now * (self.total - self.n))} left")
        parts += [x for x in (self.last_note, note) if x]
        stamp = datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] " + ", ".join(parts), file=self.stream, flush=True)
