"""Bounds on the numbers a command line gives (replicates, workers, trials, seeds).

Checked before any run or file, so a mistyped ``--replicates 1e9`` or ``--seed -1`` is bad
input (exit 2, the bound in the message) rather than a run that fails late.
"""

from __future__ import annotations

import numpy as np

from sim.params import ParamError

MAX_REPLICATES = 10_000   # p_met's Monte Carlo error is below 0.005 long before this
MAX_WORKERS = 1_024       # processes (or, with Dask, twice this many runs in flight)
MAX_TRIALS = 100_000      # Optuna trials of a calibration
MAX_SEED = 2**63 - 1      # seeds are stored as 64-bit signed integers (Parquet, numpy)


def check_count(option: str, value, minimum: int = 1, maximum: int | None = None) -> None:
    """A whole number in ``[minimum, maximum]``, or :class:`ParamError` naming ``option``."""
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not whole or value < minimum or (maximum is not None and value > maximum):
        allowed = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum:,}"
        raise ParamError("command line", option, value, f"must be a whole number {allowed}")


def check_seed(value, option: str = "--seed") -> None:
    check_count(option, value, minimum=0, maximum=MAX_SEED)


def check_replicates(value, option: str = "--replicates") -> None:
    check_count(option, value, maximum=MAX_REPLICATES)


def check_workers(value, option: str = "--workers") -> None:
    """``None`` (the default: every core) or a bounded number of workers."""
    if value is not None:
        check_count(option, value, maximum=MAX_WORKERS)
