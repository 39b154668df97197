"""Parameter files: schema, loading, validation and ``--set`` overrides (the bottom layer).

A parameter file is TOML with one table per concept (``[city]``, ``[enterprises]`` ...). Every
value is checked on load: type, range, shares that must sum to 1, and unknown keys (rejected with
the nearest valid key suggested). Any problem raises :class:`ParamError`, which names the file,
the key, the value and what is allowed; the command line turns it into exit status 2.

This module holds what every other module shares: the paths, :class:`ParamError`, the
:data:`MISSING` marker and :class:`StrictModel`, the one strict pydantic base of every file schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
BASELINE_PATH = PACKAGE_ROOT / "params" / "baseline.toml"
SHARE_TOLERANCE = 1e-6
DEFAULT_MASTER_SEED = 20220101  # master seed of forecasts and calibrations: the plan year's first day
YEAR_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"

Share = Field(ge=0.0, le=1.0)  # a share in [0, 1]

# Numbers without an upper bound of their own get one a workstation can run: a count (a whole
# number) of at most ten million, any other number (money in yuan, persons, coefficients) of at
# most 1e13 in size (ten trillion yuan, about a tenth of China's GDP).
MAX_COUNT = 10_000_000
MAX_MAGNITUDE = 1e13

MISSING: Any = object()  # "no value here" (shown as <missing> in messages)


class ParamError(ValueError):
    """A parameter file or override is invalid. ``str()`` is the message for the user."""

    def __init__(self, source: str, key: str, value: Any, allowed: str):
        self.source, self.key, self.value, self.allowed = source, key, value, allowed
        if key == "<file>":
            super().__init__(f"{source}: {allowed}")
        else:
            shown = "<missing>" if value is MISSING else repr(value)
            super().__init__(f"{source}: {key} = {shown}: {allowed}")


class StrictModel(BaseModel):
    """Strict: a TOML string is never silently turned into a number or a bool; unknown keys are
    refused; validated objects are frozen; ``nan`` and ``inf`` are refused in every float, and
    a number without its own upper bound is held to :data:`MAX_COUNT` / :data:`MAX_MAGNITUDE`.
    The base of the parameter sections and of every study file's schema (sweep, sensitivity,
    optimize), so every model, present or future, gets these rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _workstation_bound(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and any(hasattr(m, "le") or hasattr(m, "lt") for m in field.metadata):
            return value  # the field's own bound applies
        if isinstance(value, int) and abs(value) > MAX_COUNT:
            raise ValueError(f"must be at most {MAX_COUNT:,} in size (a count a workstation "
                             "can simulate)")
        if abs(value) > MAX_MAGNITUDE:
            raise ValueError(f"must be at most {MAX_MAGNITUDE:.0e} in size (what a workstation "
                             "can simulate)")
        return value


def dist_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None if it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None
