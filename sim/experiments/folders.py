"""Files a run writes: Parquet tables and the manifest, written so no reader sees half a file.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on one filesystem), so an interrupted command leaves either the old
file, the complete new one, or a ``.tmp`` leftover that no reader takes for a result.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from sim.params import MISSING, PACKAGE_ROOT, ParamError, dist_version


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def write_json(obj: Any, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False), encoding="utf-8")


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def git_commit() -> str | None:
    """The source tree's commit, with ``-dirty`` if it has uncommitted changes; None if unknown."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_ROOT, capture_output=True,
                              text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def manifest(command: str, params: dict[str, Any], seeds: Any, started: str, **extra) -> dict:
    """What every output folder records: enough to reproduce any number in it, and whether
    its runs built Mesa Student objects (``student_agents``; the numbers are the same)."""
    from sim.experiments.runner import batch_student_agents
    from sim.model.indicators import target_definitions

    return {
        "command": command,
        "argv": sys.argv,
        "package_version": dist_version("skills-sim") or "0+unknown",
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "started": started,
        "finished": now_iso(),
        "seeds": seeds,
        "targets": target_definitions(),
        "parameters": params,
        "student_agents": batch_student_agents(_run_setting(params, "student_agents")),
        **extra,
    }


def _run_setting(params: dict[str, Any], key: str) -> Any:
    """``params["run"][key]``, looked up in nested parameter sets too (optimize's "best")."""
    if isinstance(params.get("run"), dict):
        return params["run"].get(key)
    for value in params.values():
        if isinstance(value, dict) and (found := _run_setting(value, key)) is not None:
            return found
    return None


def default_out(command: str) -> Path:
    """A new folder under ``results/`` named by command and time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("results") / f"{command}-{stamp}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def recorded_study(out: Path, marker: str, key: str | None, kind: str, earlier: str,
                   spare: tuple[str, ...] = (".lock",)) -> Any:
    """What a resumable command recorded in ``out / marker`` (its ``key`` entry, or the whole
    JSON if ``key`` is None), or None if ``out`` is new or empty.

    Refuses, before anything is written, an unreadable record and a folder that holds other
    files but no record (``spare`` names files a run of the command may leave, such as its
    lock): ``kind`` ("a sweep") and ``earlier`` ("run of this sweep") word that message."""
    path = out / marker
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if key is None else data[key]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ParamError(str(path), "<file>", MISSING, f"cannot read: {exc}") from None
    if out.exists() and (not out.is_dir() or any(p.name not in spare for p in out.iterdir())):
        raise ParamError(str(out), "<file>", MISSING,
                         f"--out exists and is not {kind} folder (no {marker}); give a new or "
                         f"empty folder, or the folder of an earlier {earlier}")
    return None


def canonical_json(value: Any) -> str:
    """JSON with sorted keys: equal definitions give equal text (and equal hashes)."""
    return json.dumps(value, sort_keys=True, default=str)


class FolderLock:
    """Refuse two commands writing one folder at once: a POSIX record lock on ``out/.lock``,
    not inherited by worker processes and dropped by the OS if this process is killed.

    A context manager, or ``acquire()`` / ``release()``. ``what`` words the refusal ("another
    sweep is writing ..."), raised as ``error`` (the command's own error type)."""

    def __init__(self, out: Path, what: str, error: type[Exception] = RuntimeError):
        self.path = out / ".lock"
        self.what, self.error = what, error
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # POSIX record lock: not inherited by forked workers, released when this process dies.
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise self.error(f"another {self.what} is writing {self.path.parent}; wait for it "
                             "or stop it first") from None
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
