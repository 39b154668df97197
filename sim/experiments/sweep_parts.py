"""A sweep's parts: one Parquet file per finished run, ``parts/<table>/p000012-r0003.parquet``.

A run counts as done only when its part reads back as that run (:func:`verified`), so a
truncated, empty or misnamed part is run again instead of blocking the merge.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def part_name(point: int, replicate: int) -> str:
    return f"p{point:06d}-r{replicate:04d}.parquet"


def parse_part(name: str) -> tuple[int, int] | None:
    """``(point, replicate)`` of a finished part; None for temporaries and anything else."""
    if not (name.startswith("p") and name.endswith(".parquet") and len(name) == 21):
        return None
    try:
        return int(name[1:7]), int(name[9:13])
    except ValueError:
        return None


def scan(folder: Path, n_points: int, replicates: int) -> np.ndarray:
    """Which runs have a finished part here: one byte per run, however many runs."""
    have = np.zeros((n_points, replicates), dtype=bool)
    if folder.is_dir():
        with os.scandir(folder) as entries:
            for entry in entries:
                key = parse_part(entry.name)
                if key is not None and key[0] < n_points and key[1] < replicates:
                    have[key] = True
    return have


def verified(folder: Path, n_points: int, replicates: int, say) -> np.ndarray:
    """:func:`_scan`, keeping only the parts that read back as the run their name says."""
    have = scan(folder, n_points, replicates)
    for p, r in zip(*np.nonzero(have)):
        path = folder / part_name(p, r)
        problem = part_problem(path, int(p), int(r))
        if problem:
            say(f"warning: sweep part {path} {problem}; removed, its run is run again")
            path.unlink(missing_ok=True)
            have[p, r] = False
    return have


def part_problem(path: Path, point: int, replicate: int) -> str | None:
    """Why the part at ``path`` is not run (point, replicate), or None if it is: it must
    read (footer and columns), hold as many rows as its footer says, and every row must
    carry its name's point and replicate."""
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
        keys = pq.read_table(path, columns=["point", "replicate"])
    except Exception as exc:  # noqa: BLE001 - any reader failure means the part is unusable
        return f"is unreadable ({type(exc).__name__}: {exc})"
    if keys.num_rows != rows:
        return f"holds {keys.num_rows} rows where its footer says {rows}"
    found = set(zip(keys.column("point").to_pylist(), keys.column("replicate").to_pylist()))
    if not found <= {(point, replicate)}:
        shown = ", ".join(f"point {a} replicate {b}" for a, b in sorted(found)[:3])
        return f"holds {shown}, not point {point} replicate {replicate} as its name says"
    return None
