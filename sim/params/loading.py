"""Reading parameter files: TOML, ``base = ...`` chains, overrides, validation."""

from __future__ import annotations

import copy
import functools
import tomllib
from pathlib import Path
from typing import Any

from sim.params.base import BASELINE_PATH, MISSING, PACKAGE_ROOT, ParamError
from sim.params.levers import LEVER_SECTIONS
from sim.params.keys import apply_overrides, dotted_keys, fix_ranged, lookup
from sim.params.schema import Params, check_keys, validate

MAX_FILE_BYTES = 4 * 2**20  # a parameter or study file is a few kB; refuse anything huge


def read_toml(path: str | Path) -> dict:
    """Parse a TOML file, turning I/O and syntax problems into :class:`ParamError`."""
    text = read_input_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParamError(str(path), "<file>", MISSING, f"malformed TOML: {exc}") from None


def read_input_text(path: str | Path, encoding: str = "utf-8") -> str:
    """The text of an input file (parameters, a study, observed statistics), refusing what is
    missing, not a regular file or larger than :data:`MAX_FILE_BYTES`."""
    path = Path(path)
    try:
        if not path.is_file():  # a folder, a pipe or a device (/dev/zero) is no parameter file
            raise ParamError(str(path), "<file>", MISSING,
                             "not a regular file" if path.exists() else "file not found")
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ParamError(str(path), "<file>", MISSING,
                             f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a parameter file")
        return data.decode(encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(str(path), "<file>", MISSING, f"cannot read file: {exc}") from None


def load_params(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Params:
    """Load and validate a parameter file, then apply and validate dotted-key overrides.

    A scenario file may start with ``base = "baseline.toml"`` (relative to itself): it is
    then the base file with the scenario's tables merged over it.
    """
    path = Path(path) if path is not None else BASELINE_PATH
    raw = resolve_base_chain(path, seen=())
    source = str(path)
    if overrides:
        raw = copy.deepcopy(raw)
        check_keys(raw, Params, "", source)
        if isinstance(raw.get("city"), dict):
            raw["city"].setdefault("data", None)  # optional: --set city.data=DIR may give it
        apply_overrides(raw, overrides, "--set")
        fix_ranged(raw, {k.replace("__", ".") for k in overrides})
        source = f"{path} with --set"
    return validate(raw, source)


def is_range(value: Any) -> bool:
    return isinstance(value, dict) and ("low" in value or "high" in value)


def uncertain_table(raw: dict) -> dict[str, Any] | None:
    """The file's ``[uncertain]`` table with dotted keys (quoted or as TOML dotted keys)."""
    table = raw.get("uncertain")
    if not isinstance(table, dict):
        return None
    return {k.replace("__", "."): v for k, v in dotted_keys(table, is_range).items()}


def resolve_base_chain(path: Path, seen: tuple[Path, ...]) -> dict:
    raw = read_toml(path)
    resolve_city_folder(raw, path)
    own = uncertain_table(raw)
    if own is not None:
        raw["uncertain"] = own
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ParamError(str(path), "base", base, "expected the path of a parameter file")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise ParamError(str(path), "base", base, "circular chain of base files")
    merged = resolve_base_chain(base_path, seen + (path.resolve(),))
    ranged = uncertain_table(merged) or {}
    fix_ranged(merged, {k for k in ranged if lookup(raw, k) is not MISSING})
    table = {**(merged.get("uncertain") or {}), **(own or {})}  # a range is replaced whole
    deep_merge(merged, {k: v for k, v in raw.items() if k != "uncertain"})
    if table or "uncertain" in merged:
        merged["uncertain"] = table
    return merged


def deep_merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = value


def resolve_city_folder(raw: dict, path: Path) -> None:
    """``[city] data`` is relative to the file that names it; make it absolute before merging,
    so a scenario based on another file still finds the folder its base named."""
    city = raw.get("city")
    data = city.get("data") if isinstance(city, dict) else None
    if isinstance(data, str):
        city["data"] = str((path.parent / data).resolve())


def spinup_params(params: Params) -> Params:
    """The settings of the status-quo spin-up: ``params`` with the lever sections (budget and
    programmes, :data:`LEVER_SECTIONS`) of ``run.spinup_settings``. The city, its people and
    their behaviour stay the scenario's, so every scenario of one city spins up the same way."""
    name = params.run.spinup_settings
    if not name:
        return params
    path = Path(name)
    if not path.is_absolute():
        path = PACKAGE_ROOT / "params" / path
    levers = _status_quo(str(path.resolve()))
    return params.model_copy(update={k: getattr(levers, k) for k in LEVER_SECTIONS})


def spinup_key(params: Params) -> str:
    """Everything a run's spin-up depends on besides its seed, as text: two parameter sets with
    the same key spin up to the same city at the plan year, so their scenarios can continue
    from one spun-up model. Without a spin-up (or its own settings) that is every parameter."""
    if params.run.spinup_years <= 0:
        return params.model_dump_json()
    return spinup_params(params).model_dump_json()


@functools.lru_cache(maxsize=8)
def _status_quo(path: str) -> Params:
    try:
        return load_params(path)
    except ParamError as exc:
        raise ParamError(str(exc.source), "run.spinup_settings", path,
                         f"the spin-up's status-quo settings cannot be read: {exc}") from None
