"""What the study files (sweep, sensitivity, optimize) share: reading their table, and the
parameter file they start from (``base``, relative to the study file) with its fixed ``set``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.params import (MISSING, ParamError, Params, check_keys, dotted_keys, load_params,
                        pydantic_error, read_toml)


STUDY_COMMANDS = {
    "a sweep file": "run it with: skills-sim sweep FILE",
    "a sensitivity file": "run it with: skills-sim sensitivity FILE",
    "an optimize file": "run it with: skills-sim optimize FILE",
    "a parameter file": "run it with: skills-sim forecast FILE (or skills-sim run FILE)",
}


def _file_kind(raw: dict) -> str | None:
    """What kind of input file a parsed TOML looks like, from its top-level tables."""
    for table, kind in (("sweep", "a sweep file"), ("sensitivity", "a sensitivity file"),
                        ("optimize", "an optimize file")):
        if table in raw:
            return kind
    if "run" in raw or "targets" in raw or "base" in raw:
        return "a parameter file"
    return None


def read_study_table(path: str | Path, name: str, schema, model_level=None):
    """Read a study file (sweep, sensitivity, optimize) that holds one ``[name]`` table.

    Unknown top-level keys, a missing table, unknown keys inside it (with the nearest valid
    one) and invalid values raise :class:`ParamError`. ``model_level(table)`` names the
    (key, value) that table-level checks are about. Returns (source, table, validated spec)."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path)
    if name not in raw:
        kind = _file_kind(raw)
        if kind:  # another command's file: say which command reads it
            raise ParamError(source, "<file>", MISSING,
                             f"this is {kind}, not a {name} file (which holds one [{name}] "
                             "table); " + STUDY_COMMANDS.get(kind, ""))
    for key, value in raw.items():
        if key != name:
            shown = f"[{key}] table" if isinstance(value, dict) else value
            raise ParamError(source, key, shown,
                             f"unknown key; a {name} file holds one [{name}] table and nothing else")
    if name not in raw:
        raise ParamError(source, name, MISSING, "required table is missing")
    table = raw[name]
    check_keys(table, schema, f"{name}.", source)
    try:
        spec = schema.model_validate(table)
    except ValidationError as exc:
        level = model_level(table) if model_level else None
        raise pydantic_error(exc, table, source, name, model_level=level) from None
    return source, table, spec


def resolve_base(path: Path, base: str, fixed: dict[str, Any], table: str) -> tuple[Params, dict]:
    """The parameters a study file starts from: its ``base`` file (relative to the study file)
    with its ``[<table>.set]`` overrides applied; returns them and the overrides as dotted keys.

    Shared by sweep, sensitivity and optimise files, so all three read ``base`` and ``set`` alike.
    """
    source = str(path)
    base_path = path.parent / base
    if not base_path.is_file():
        raise ParamError(source, f"{table}.base", base,
                         f"no parameter file at {base_path} (paths are relative to the "
                         f"{table} file)")
    params = load_params(base_path)
    # Keys may be quoted ("a.b" = 1) or written as TOML dotted keys (a.b = 1, nested tables).
    dotted = {k.replace("__", "."): v for k, v in dotted_keys(fixed, lambda v: False).items()}
    if dotted:
        params = params.override(dotted, source=f"{source} [{table}.set]")
    return params, dotted
