"""Writing parameter files (``fitted.toml``, ``best.toml``): TOML keys and values."""

from __future__ import annotations

import json
import math
import re
from typing import Any

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(dotted: str) -> str:
    return ".".join(p if BARE_KEY.match(p) else json.dumps(p) for p in dotted.split("."))


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # shortest text that reads back to the same float
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def toml_assign(dotted: str, value: Any) -> str:
    """``key = value`` for a dotted key (``__`` read as ``.``)."""
    return f"{toml_key(dotted.replace('__', '.'))} = {toml_value(value)}"
