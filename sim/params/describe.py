"""Readable names for dotted parameter keys, taken from the comments of params/baseline.toml
(where every number carries its unit and meaning), for figure axes and reports."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sim.params.base import BASELINE_PATH

_HEADER = re.compile(r"^\[([A-Za-z0-9_.]+)\]\s*(?:#\s*(.*))?$")
_ENTRY = re.compile(r"^([A-Za-z0-9_]+)\s*=\s*[^#]*?(?:#\s*(.*))?$")
# A comment that starts with its unit ("yuan/year in the plan year", "km; ...", "share of ...").
_UNIT = re.compile(r"^(yuan(?:/[a-z]+)?|km|cells|months?|years?|persons?(?:/[a-z]+)?|share|"
                   r"relative [a-z]+(?: [a-z]+)?|factor|sd)\b")


@lru_cache(maxsize=4)
def comments(path: Path = BASELINE_PATH) -> dict[str, str]:
    """``{dotted key: its comment}`` for every commented section and entry of a parameter file."""
    out: dict[str, str] = {}
    section = ""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.strip()
        m = _HEADER.match(line)
        if m:
            section = m.group(1)
            if m.group(2):
                out[section] = m.group(2).strip()
            continue
        m = _ENTRY.match(line)
        if m and m.group(2):
            out[f"{section}.{m.group(1)}" if section else m.group(1)] = m.group(2).strip()
    return out


def key_description(key: str) -> str:
    """The baseline file's comment on ``key`` (or on the nearest enclosing key), or ""."""
    notes = comments()
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        text = notes.get(".".join(parts[:n]))
        if text:
            return text
    return ""


def key_unit(key: str) -> str:
    """The unit a key's comment starts with ("yuan/year", "km", ...), or ""."""
    notes = comments()
    m = _UNIT.match(notes.get(key, ""))
    return m.group(1) if m else ""


def key_label(key: str) -> str:
    """A readable label: "platform: launch month" for ``platform.launch``, "budget: total
    (yuan/year)" for ``budget.total_yuan``; the key itself when it has no section."""
    parts = key.split(".")
    if len(parts) < 2:
        return key
    section = ".".join(parts[:-1])
    name = parts[-1]
    words = re.sub(r"_(yuan|km|cells)(_per_year)?$", "", name).replace("_", " ")
    if name == "launch":
        words = "launch month"
    head = section.replace("_", " ").replace(".", " ")
    unit = key_unit(key)
    if unit in ("share", "factor", "sd"):
        unit = ""
    return f"{head}: {words}" + (f" ({unit})" if unit else "")


def parameter_descriptions(path: str | Path = BASELINE_PATH) -> dict[str, str]:
    """``{"section.key": comment}`` without the source note in parentheses or a leading unit:
    readable names for keys in summaries (from the same comments as :func:`comments`)."""
    out = {}
    for key, text in comments(Path(path)).items():
        text = re.sub(r"\s*\((assumption|CAL|calibrated|source)[^)]*\)\s*$", "", text)
        text = re.sub(r"^(yuan|km|persons|cells)(/\w+)?;\s*", "", text.strip())
        out[key] = text.rstrip(" .;")
    return out
