"""Output folders: files no reader sees half-written, and folders that hold one result.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on one filesystem), so an interrupted command leaves either the old
file, the complete new one, or a ``.tmp`` leftover that no reader takes for a result.

A folder is a transaction: ``run`` and ``forecast`` build theirs in a fresh folder beside the
target and move it into place (:class:`OutputFolder`); the resumable studies, which write as
they go, remove ``manifest.json`` first and write it last (:func:`begin_update`,
:func:`write_manifest`). The manifest names the command and every table's size and SHA-256, so
:func:`read_finished` can refuse a folder that is incomplete or mixes two results, and
:func:`check_out` refuses, before any work, a folder another command made.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
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
    except OSError as exc:  # disk full, read-only ...: name the file the user asked for
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is None or str(exc.filename) == tmp:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
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
    """Standard JSON: a non-finite number (which JSON cannot spell) is written as null."""
    text = json.dumps(_finite(obj), indent=2, default=str, ensure_ascii=False, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


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
        "versions": library_versions(),
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
def library_versions() -> dict[str, str | None]:
    """Versions of the libraries whose behaviour the numbers depend on."""
    return {name: dist_version(name) for name in ("mesa", "numpy", "pandas", "pyarrow", "scipy")}


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


# ---------------------------------------------------------------------------------------------
# Folders as transactions

MANIFEST = "manifest.json"


def file_record(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a file, as the manifest records it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def write_manifest(meta: dict, folder: Path, files: list[str]) -> None:
    """Write ``folder/manifest.json`` (last), recording each of ``files`` that exists."""
    records = {name: file_record(folder / name) for name in files if (folder / name).is_file()}
    write_json({**meta, "files": records}, folder / MANIFEST)


def begin_update(folder: Path) -> None:
    """A resumable study is about to change its folder: until its manifest is written again,
    the folder says it is incomplete."""
    (folder / MANIFEST).unlink(missing_ok=True)


def made_by(folder: Path) -> str | None:
    """The command named by the folder's manifest, or None (no manifest, or unreadable)."""
    try:
        meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    command = meta.get("command") if isinstance(meta, dict) else None
    return command if isinstance(command, str) else None


def read_finished(folder: Path) -> dict:
    """The manifest of a finished folder, after checking that every recorded table present
    is the one the manifest describes; :class:`ParamError` (exit 2) otherwise."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ParamError(str(path), "<file>", MISSING,
                         "not found: not a finished result folder (a command writes its manifest "
                         "last, so an interrupted one leaves none; re-run it)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParamError(str(path), "<file>", MISSING, f"cannot read: {exc}") from None
    if (not isinstance(meta, dict) or not isinstance(meta.get("command"), str)
            or not isinstance(meta.get("files"), dict)):
        raise ParamError(str(path), "<file>", MISSING,
                         "incomplete manifest (no command or no file list; an older version or "
                         "a damaged folder): re-run the command that made it")
    for name, record in meta["files"].items():
        p = folder / name
        if p.is_file() and file_record(p) != record:
            raise ParamError(str(p), "<file>", MISSING,
                             f"differs from what {path} records (size or SHA-256): the folder "
                             "mixes files of different runs; re-run the command into a new --out")
    return meta


def check_out(out: Path, command: str, overwrite: bool = False, resumable: bool = False) -> None:
    """Refuse, before any run or file, an ``--out`` this command may not write (exit 2).

    ``out`` must not be a file and must be writable (its nearest existing folder is tried with
    a real file). An existing, non-empty folder is accepted if its manifest names ``command``
    (a resumable study without a manifest yet is checked by the study's own record); anything
    else is refused unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ParamError("command line", "--out", str(out), "exists and is not a folder")
    _probe_writable(out)
    if overwrite:
        if Path.cwd().resolve().is_relative_to(out.resolve()):
            raise ParamError("command line", "--out", str(out),
                             "--overwrite would replace a folder holding the current folder")
        return
    entries = sorted(p.name for p in out.iterdir() if p.name != ".lock") if out.is_dir() else []
    if not entries:
        return
    owner = made_by(out)
    if owner == command or (owner is None and resumable):
        return
    what = (f"holds a result of skills-sim {owner}" if owner else
            "holds files but no readable manifest.json (" + ", ".join(entries[:4])
            + (", ..." if len(entries) > 4 else "") + ")")
    raise ParamError("command line", "--out", str(out),
                     f"{what}, not of skills-sim {command}; give a new or empty folder, or "
                     "--overwrite to replace it")


def _probe_writable(out: Path) -> None:
    """Try a real file where the command will write: ``out`` if it exists, and its nearest
    existing parent (temporary folders and renames happen beside ``out``)."""
    here = out.parent
    while not here.exists() and here != here.parent:
        here = here.parent
    for folder in {here, *([out] if out.is_dir() else [])}:
        if not folder.is_dir():
            raise ParamError("command line", "--out", str(out), f"{folder} is not a folder")
        try:
            fd, probe = tempfile.mkstemp(prefix=".skills-sim-probe-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise ParamError("command line", "--out", str(out),
                             f"cannot write in {folder}: {exc.strerror or exc}") from None


def clear_folder(out: Path) -> None:
    """Remove ``out`` (``--overwrite``): moved aside first, so it is never half-deleted."""
    if out.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.rename(out, aside)
        shutil.rmtree(aside, ignore_errors=True)


class OutputFolder:
    """A ``run`` or ``forecast`` folder as a transaction. Files go to :attr:`path`, a fresh
    hidden folder beside ``out``; :meth:`commit` writes the manifest there and then moves it
    onto ``out`` (the earlier folder is moved aside and deleted), so ``out`` holds one whole
    result at every moment. Leaving the ``with`` block without committing deletes the new
    files and leaves ``out`` as it was."""

    def __init__(self, out: Path, command: str, overwrite: bool = False):
        check_out(out, command, overwrite)
        self.out, self.command = out, command
        self.path: Path | None = None

    def __enter__(self) -> OutputFolder:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".tmp",
                                          dir=self.out.parent))
        return self

    def commit(self, meta: dict, files: list[str]) -> None:
        write_manifest(meta, self.path, files)
        os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes 0700; results are for sharing
        aside = None
        if self.out.exists():  # moved aside, not deleted, until the new folder is in place
            aside = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".old",
                                          dir=self.out.parent))
            os.rename(self.out, aside)
        os.rename(self.path, self.out)
        self.path = None
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None
