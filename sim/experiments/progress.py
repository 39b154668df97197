"""How an engine reports progress without drawing it: through a ``progress`` callable its caller
supplies (the command line's is :mod:`sim.interfaces.progress`: a tqdm bar on a terminal, log
lines in a batch job's log), so the engines neither print nor import a progress library.

``progress(total, desc, initial=0, unit="run")`` opens a :class:`Tracker`: a context manager
with ``update(k=1)`` (k more done) and ``note(text)`` (a short status such as the best score so
far). None or False reports nothing.
"""

from __future__ import annotations

from typing import Protocol


class Tracker(Protocol):
    def update(self, k: int = 1) -> None: ...

    def note(self, text: str) -> None: ...

    def __enter__(self) -> Tracker: ...

    def __exit__(self, *exc) -> object: ...


class Progress(Protocol):
    def __call__(self, total: int | None, desc: str, initial: int = 0,
                 unit: str = "run") -> Tracker: ...


class Silent:
    """The tracker of nobody watching."""

    def update(self, k: int = 1) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, *exc) -> None:
        return None


def track(progress: Progress | bool | None, total: int | None, desc: str, initial: int = 0,
          unit: str = "run") -> Tracker:
    """The caller's tracker for ``total`` steps (``initial`` of them already done), or a
    silent one when ``progress`` is None or False."""
    if not progress:
        return Silent()
    if not callable(progress):
        raise TypeError(f"progress must be a callable opening a tracker (see "
                        f"sim.interfaces.progress.progress_for) or None, not {progress!r}")
    return progress(total, desc, initial, unit)
