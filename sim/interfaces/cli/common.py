"""What several commands share: progress, executor options, and how a failed study is reported."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from pathlib import Path

from sim.experiments.executors import ExecutorError
from sim.experiments.folders import check_out, clear_folder, default_out
from sim.experiments.limits import check_workers
from sim.experiments.sweep import SweepError
from sim.interfaces.progress import progress_for
from sim.params import MISSING, ParamError


def runs_progress():
    """The engines' progress for many runs: a bar on a terminal, log lines in a batch log."""
    return progress_for(None)


def bar_on_terminal():
    """A bar where someone watches (stderr a terminal), else nothing: for steps a log would not
    need (one run's months, a calibration's trials)."""
    return progress_for(True) if sys.stderr.isatty() else None


def say(msg: str) -> None:
    """Progress messages of the engines go to stderr."""
    print(msg, file=sys.stderr)


def city_folders(scenarios: dict[str, Any]) -> dict[str, dict]:
    """Each scenario's city folder (``[city] data``) read and checked now, so a bad row exits 2
    before any run or file; and what the manifest records of it: the folder and which values
    the synthetic generator filled in."""
    from sim.model.city_data import load_city_data

    out = {}
    for name, params in scenarios.items():
        if params.city.data:
            data = load_city_data(params)
            out[name] = {"folder": str(data.folder), "filled_by_generator": list(data.filled)}
    return out


def write_district_answers(out, scenarios: dict[str, Any], seed: int, districts) -> list:
    """``districts.parquet``, the cell map of each scenario's city (for a drawn city, the one
    of ``seed``) as ``district_cells.parquet``, and the district maps; returns the figures."""
    import pandas as pd

    from sim.experiments.folders import write_parquet
    from sim.interfaces.plots.districts import draw_district_maps
    from sim.model.city_export import district_map

    cells = pd.concat([district_map(p, seed).assign(scenario=name)[["scenario", "x", "y", "district"]]
                       for name, p in scenarios.items()], ignore_index=True)
    write_parquet(districts, out / "districts.parquet")
    write_parquet(cells, out / "district_cells.parquet")
    return draw_district_maps(out, districts, cells, list(scenarios))


def executor_options(args) -> tuple[str, str | None]:
    """``--executor``, ``--scheduler`` and ``--workers`` checked together (bad input: exit 2)."""
    executor = getattr(args, "executor", None) or "local"
    scheduler = getattr(args, "scheduler", None)
    if executor == "dask" and not scheduler:
        raise ParamError("--executor", "--scheduler", MISSING,
                         "--executor dask needs --scheduler ADDR (e.g. tcp://10.0.0.5:8786)")
    if executor == "local" and scheduler:
        raise ParamError("--scheduler", "--scheduler", scheduler,
                         "a scheduler address is only used with --executor dask")
    check_workers(args.workers)
    return executor, scheduler


def study_out(args, command: str) -> Path:
    """``--out`` of a resumable study, checked before any run: not a file, writable, and new,
    empty, or this command's folder (unless ``--overwrite``; see :func:`fresh_out`)."""
    out = Path(args.out) if args.out else default_out(command)
    check_out(out, command, getattr(args, "overwrite", False), resumable=True)
    return out


def fresh_out(args, out: Path) -> None:
    """With ``--overwrite``, remove the folder's earlier contents; call once every input is
    validated, so bad input never costs a folder."""
    if getattr(args, "overwrite", False):
        clear_folder(out)


def guard_study(command: str, kept: str, run: Callable[[], Any]) -> Any:
    """Run a resumable study for ``skills-sim command``; if the executor fails or a worker
    process dies, say so on stderr (with ``kept``: what is kept and how to resume) and return
    None, for the command to exit 1."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return run()
    except (ExecutorError, SweepError) as exc:
        print(f"skills-sim {command}: error: {exc}", file=sys.stderr)
    except BrokenProcessPool:
        print(f"skills-sim {command}: error: a worker process died (out of memory?); {kept}",
              file=sys.stderr)
    return None
