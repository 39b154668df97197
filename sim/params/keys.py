"""Dotted keys ("section.key") over nested parameter tables, and ``--set`` overrides."""

from __future__ import annotations

import difflib
import math
import tomllib
from typing import Any

from pydantic import ValidationError

from sim.params.base import MISSING, ParamError


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """A nested parameter dict as ``{"section.key": value}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def dotted_keys(table: dict, is_value, prefix: str = "") -> dict[str, Any]:
    """Flatten nested tables into dotted keys, stopping at tables ``is_value`` accepts."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and value and not is_value(value):
            out.update(dotted_keys(value, is_value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def lookup(raw: dict, dotted: str) -> Any:
    """The value at ``dotted`` in nested tables, or :data:`MISSING` if there is none."""
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def pydantic_error(exc: ValidationError, raw: dict, source: str, where: str,
                   model_level: tuple[str, Any] | None = None) -> ParamError:
    """The first validation error as a :class:`ParamError` naming the study file's key."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:
        key, value = model_level or (where, raw)
        return ParamError(source, key, value, msg)
    value: Any = raw
    for part in loc:
        value = value.get(part, MISSING) if isinstance(value, dict) else MISSING
    return ParamError(source, f"{where}." + ".".join(loc), value, msg)


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML would read it; a bare word is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; a malformed item raises :class:`ParamError`."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ParamError("--set", item, MISSING, "expected KEY=VALUE with a dotted KEY")
        out[key.strip()] = parse_value(text.strip())
    return out


def apply_overrides(raw: dict, overrides: dict[str, Any], source: str = "--set") -> None:
    """Write dotted-key overrides into ``raw`` in place, refusing keys the schema lacks."""
    for dotted, value in overrides.items():
        dotted = dotted.replace("__", ".")
        parts = dotted.split(".")
        node = raw
        for i, part in enumerate(parts[:-1]):
            if part not in node or not isinstance(node[part], dict):
                known = list(node) if isinstance(node, dict) else []
                near = difflib.get_close_matches(part, known, n=1)
                hint = f"; did you mean '{'.'.join(parts[:i] + [near[0]])}'?" if near else ""
                raise ParamError(source, dotted, value, f"unknown key{hint}")
            node = node[part]
        leaf = parts[-1]
        if leaf not in node:
            near = difflib.get_close_matches(leaf, list(node), n=1)
            hint = f"; did you mean '{'.'.join(parts[:-1] + [near[0]])}'?" if near else ""
            raise ParamError(source, dotted, value, f"unknown key{hint}")
        node[leaf] = value


def fix_ranged(raw: dict, keys: set[str]) -> None:
    """A later file or ``--set`` giving a ranged assumption a value fixes it there: the range
    no longer applies (a scenario's own setting is never replaced by a draw)."""
    table = raw.get("uncertain")
    if isinstance(table, dict):
        for key in keys & set(table):
            del table[key]


def check_ranges_hold_points(raw: dict, source: str) -> None:
    """Each ``[uncertain]`` range must contain its parameter's point value: a single run uses
    the point value and a forecast draws from the range, so a value outside it would make the
    two describe different cities. (Malformed ranges are left to the range parser's message.)"""
    table = raw.get("uncertain")
    if not isinstance(table, dict):
        return
    for key, spec in table.items():
        if not isinstance(spec, dict):
            continue
        low, high, value = spec.get("low"), spec.get("high"), lookup(raw, key)
        if not all(_finite_number(v) for v in (low, high, value)) or low > high:
            continue
        if not low <= value <= high:
            raise ParamError(source, f"uncertain.\"{key}\"", {"low": low, "high": high},
                             f"the range must contain the parameter's point value "
                             f"{key} = {value}; widen the range or change the value")


def _finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
