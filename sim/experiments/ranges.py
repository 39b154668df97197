"""The one "parameter with a range" type: :class:`Factor`, a sweep's axis (a grid's value list,
or bounds to sample), a sensitivity factor, a calibration's coefficient, an optimisation lever,
a dashboard slider (with its ``step``), and a parameter file's ``[uncertain]`` assumption that
the forecast draws.

A range is written ``"dotted.key" = { low = ..., high = ... }`` (+ ``integer``, ``log``) and
checked against the base parameters; :class:`Factor` holds it in a numeric domain that SALib and
Optuna can search, and decodes a point of that domain back into the parameter's value. An
assumption's range (:class:`UncertainRange`) adds how values are spread over it (``dist``:
uniform, loguniform, triangular with ``mode``) and ``why`` the range is what it is. A sweep
file's grid axis is a value list or :class:`GridRange` (``{start, stop, num | step}``), its
sampled axis :class:`SampledRange` (``{low, high, log}``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim.params import (MISSING, YEAR_MONTH, ParamError, Params, StrictModel, check_keys,
                        dotted_keys, lookup, pydantic_error)

MAX_FACTORS = 40
SHARE_PREFIX = "budget.share_"


def from_unit(x: float, low: float, high: float, kind: str, log: bool = False) -> int | float:
    """A point of the unit interval as a value in ``[low, high]``: whole numbers with equal
    chances each (``kind == "int"``), else uniform (in the logarithm with ``log``), rounded to
    12 significant digits so a design's values read back the same from CSV and TOML."""
    if kind == "int":
        lo, hi = int(low), int(high)
        return min(hi, lo + int(x * (hi - lo + 1)))
    if log:
        return float(f"{math.exp(math.log(low) + x * math.log(high / low)):.12g}")
    return float(f"{low + x * (high - low):.12g}")


@dataclass(frozen=True)
class Factor:
    """A parameter with a range, in a numeric domain SALib and Optuna can search: a sensitivity
    factor, an optimisation lever, a calibration's ``--fit`` coefficient, a sweep's axis, a
    dashboard slider.

    ``kind``: "float", "int" (whole numbers: an integer parameter, or ``integer = true``),
    "bool" (a switch, ``low = false, high = true``), "month" (a "YYYY-MM" launch month,
    searched as a month index) or "str" (text: only as ``levels``). ``low``/``high`` are in that
    domain (months since year 0). A factor with ``levels`` (a grid's value list, see
    :meth:`of_levels`) takes those values only, searched by position: ``low``/``high`` are 0
    and the last position.
    """

    key: str
    kind: Literal["float", "int", "bool", "month", "str"]
    low: float
    high: float
    log: bool = False
    as_float: bool = False  # an ``integer = true`` float parameter: whole values, float type
    mode: float | None = None  # a triangular distribution's peak (an assumption's range)
    why: str = ""              # an assumption's reason for its range
    levels: tuple[Any, ...] = ()   # the values taken, in order (a sweep grid's axis)
    step: float | None = None      # spacing of the values offered (a slider), in low/high's unit

    @classmethod
    def of_levels(cls, key: str, kind: str, levels: list | tuple) -> Factor:
        """A factor taking exactly ``levels`` (values of the parameter's type)."""
        return cls(key, kind, 0.0, float(len(levels) - 1), levels=tuple(levels))

    @property
    def value_type(self) -> str:
        """The parameter's values' type: "bool", "int", "float" or "str" (a launch month)."""
        if self.kind in ("month", "str"):
            return "str"
        return "float" if self.as_float else self.kind

    @property
    def dist(self) -> str:
        """How values are spread: "triangular" (``mode``), "loguniform" (``log``) or "uniform"."""
        return "triangular" if self.mode is not None else "loguniform" if self.log else "uniform"

    def decode(self, x: Any) -> Any:
        """A value of the numeric domain as the parameter's value."""
        if self.levels:
            return self.levels[int(round(x))]
        if self.kind == "bool":
            return bool(x)
        if self.kind == "month":
            m = int(round(x))
            return f"{m // 12:04d}-{m % 12 + 1:02d}"
        if self.kind == "int":
            return float(int(round(x))) if self.as_float else int(round(x))
        return float(f"{float(x):.12g}")

    def at_unit(self, u: float, levels: bool = False) -> Any:
        """The parameter's value at ``u`` in [0, 1]. ``levels`` (Morris's grid): whole numbers by
        rounding, so the grid's ends are the range's ends; else equal chances per whole number
        (and per level)."""
        if self.levels:
            return self.levels[min(len(self.levels) - 1, int(u * len(self.levels)))]
        if self.kind == "bool":
            return bool(u >= 0.5)
        if self.kind in ("int", "month"):
            if levels:
                return self.decode(round(self.low + u * (self.high - self.low)))
            return self.decode(from_unit(u, self.low, self.high, "int"))
        if self.mode is not None:  # inverse CDF of the triangle low-mode-high
            lo, hi, c = self.low, self.high, self.mode
            cut = (c - lo) / (hi - lo)
            x = (lo + math.sqrt(u * (hi - lo) * (c - lo)) if u < cut
                 else hi - math.sqrt((1 - u) * (hi - lo) * (hi - c)))
            return float(f"{x:.12g}")
        return from_unit(u, self.low, self.high, "float", self.log)

    def spec(self) -> dict[str, Any]:
        """The range as written (JSON-ready), for the record and for resume checks."""
        if self.levels:
            return {"levels": list(self.levels), "kind": self.kind}
        lo, hi = self.decode(self.low), self.decode(self.high)
        out: dict[str, Any] = {"low": lo, "high": hi, "kind": self.kind}
        if self.log:
            out["log"] = True
        if self.mode is not None:
            out["mode"] = self.mode
        if self.why:
            out |= {"dist": self.dist, "why": self.why}
        return out

    def definition(self) -> dict[str, Any]:
        """The range as given, unrounded (a calibration's ``--fit``, recorded in spec.json)."""
        if self.levels:
            return self.spec()
        return {"low": self.low, "high": self.high, "kind": self.kind}

    def distribution(self):
        """The Optuna distribution searching this factor's domain."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.levels:
            return CategoricalDistribution(self.levels)
        if self.kind == "bool":
            return CategoricalDistribution([False, True])
        if self.kind in ("int", "month"):
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(self.low, self.high, log=self.log)


class FactorRange(StrictModel):
    """One factor as written: ``{ low, high }`` (+ ``integer``, ``log``)."""

    low: float | int | bool | str
    high: float | int | bool | str
    integer: bool = False
    log: bool = False


class GridRange(StrictModel):
    """A sweep grid's axis ``{start, stop, num}`` (evenly spaced, both ends) or
    ``{start, stop, step}``."""

    start: float
    stop: float
    num: int | None = Field(default=None, ge=1, le=10_000)
    step: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_spacing(self):
        if (self.num is None) == (self.step is None):
            raise ValueError("give exactly one of num (how many values) or step (spacing)")
        if self.stop < self.start:
            raise ValueError("stop must not be below start")
        if self.step is not None and (self.stop - self.start) / self.step > 10_000:
            raise ValueError("more than 10,000 values on one axis")
        return self

    def values(self) -> list[float]:
        if self.num is not None:
            return [float(v) for v in np.linspace(self.start, self.stop, self.num)]
        n = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        return [self.start + k * self.step for k in range(n)]


class SampledRange(StrictModel):
    """A sampled sweep's axis: uniform on ``[low, high]`` (``log = true``: in the logarithm)."""

    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _order(self):
        if not self.high > self.low:
            raise ValueError("high must be above low")
        if self.log and self.low <= 0:
            raise ValueError("log = true needs low > 0")
        return self


class UncertainRange(FactorRange):
    """An assumption's range as written in a parameter file's ``[uncertain]`` table:
    ``{ low, high, dist = "uniform" | "loguniform" | "triangular", mode (triangular), why }``."""

    dist: Literal["uniform", "loguniform", "triangular"] = "uniform"
    mode: float | int | None = None
    why: str = Field(min_length=1)


def parse_uncertain(params: Params, source: str) -> list[Factor]:
    """The assumptions of ``params.uncertain`` as factors, each checked against the schema (both
    ends must be values the key allows), in the table's order; [] when there is none."""
    factors = []
    for key, spec in params.uncertain.items():
        at = f"uncertain.\"{key}\""
        if not isinstance(spec, dict):
            raise ParamError(source, at, spec, "expected a range { low = ..., high = ..., "
                             "dist = \"uniform\" | \"loguniform\" | \"triangular\", why = \"...\" }")
        check_keys(spec, UncertainRange, f"{at}.", source)
        try:
            rng = UncertainRange.model_validate(spec)
        except ValidationError as exc:
            raise pydantic_error(exc, spec, source, at) from None
        current = lookup(params.to_dict(), key)
        if current is MISSING or isinstance(current, dict):
            try:
                params.override({key: rng.low}, source=source)
            except ParamError as exc:  # the unknown-key message, with its nearest valid key
                raise ParamError(source, at, spec, exc.allowed) from None
            raise ParamError(source, at, spec, "not a single parameter")
        if key.startswith(("run.", SHARE_PREFIX)) or isinstance(current, (bool, str)):
            raise ParamError(source, at, spec, "only numeric coefficients can be uncertain "
                             "(not run settings, budget shares, switches or launch months)")
        factors.append(_uncertain_factor(key, current, rng, source, at, params))
    return factors


def _uncertain_factor(key: str, current: Any, rng: UncertainRange, source: str, at: str,
                      params: Params) -> Factor:
    """:func:`_factor`'s checks, then the distribution's own."""
    if rng.log:
        raise ParamError(source, at, spec_of(rng), "write dist = \"loguniform\" (not log)")
    whole = isinstance(current, int) or rng.integer
    if whole and rng.dist != "uniform":
        raise ParamError(source, at, rng.dist, "whole-number assumptions take dist = \"uniform\"")
    plain = FactorRange(low=rng.low, high=rng.high, integer=rng.integer,
                        log=rng.dist == "loguniform")
    factor = _factor(key, current, plain, source, at, params)
    if (rng.mode is None) != (rng.dist != "triangular"):
        raise ParamError(source, at, rng.mode if rng.mode is not None else MISSING,
                         "mode is given exactly when dist = \"triangular\"")
    if rng.mode is not None and not factor.low <= rng.mode <= factor.high:
        raise ParamError(source, f"{at}.mode", rng.mode, f"must lie within low..high "
                         f"({rng.low}..{rng.high})")
    mode = None if rng.mode is None else float(rng.mode)
    return Factor(key, factor.kind, factor.low, factor.high, factor.log, factor.as_float,
                  mode=mode, why=rng.why)


def parse_factors(table: dict[str, Any], base: Params, source: str, where: str,
                  fixed: dict[str, Any]) -> list[Factor]:
    """Check each ``"dotted.key" = { low, high }`` against the base parameters."""
    raw = base.to_dict()
    factors: list[Factor] = []
    for key, spec in dotted_keys(table, lambda v: "low" in v or "high" in v).items():
        dotted = key.replace("__", ".")
        at = f"{where}.\"{key}\""
        if not isinstance(spec, dict):
            raise ParamError(source, at, spec, "expected a range { low = ..., high = ... }")
        check_keys(spec, FactorRange, f"{at}.", source)
        try:
            rng = FactorRange.model_validate(spec)
        except ValidationError as exc:
            raise pydantic_error(exc, spec, source, at) from None
        current = lookup(raw, dotted)
        if current is MISSING:
            base.override({dotted: rng.low}, source=source)  # raises the unknown-key message
            raise ParamError(source, at, spec, "not a single parameter")
        if isinstance(current, dict):
            raise ParamError(source, at, spec, "a whole table, not a single parameter")
        if dotted.startswith("run."):
            raise ParamError(source, at, spec, "run settings (scale, horizon, start year) are not "
                             "factors; fix them in the [set] table")
        if dotted in fixed:
            raise ParamError(source, at, spec, "this key is also fixed in the [set] table; keep one")
        factors.append(_factor(dotted, current, rng, source, at, base))
    if not factors:
        raise ParamError(source, where, MISSING, "give at least one factor")
    if len(factors) > MAX_FACTORS:
        raise ParamError(source, where, "<table>", f"at most {MAX_FACTORS} factors")
    return factors


def _factor(key: str, current: Any, rng: FactorRange, source: str, at: str,
            base: Params) -> Factor:
    lo, hi = rng.low, rng.high
    if (rng.log or rng.integer) and isinstance(current, (bool, str)):
        raise ParamError(source, at, spec_of(rng), "integer and log are for numeric parameters")
    if rng.log and (rng.integer or isinstance(current, int)):
        raise ParamError(source, at, spec_of(rng), "log = true is for real-valued parameters")

    def numeric(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if isinstance(current, bool):
        if lo is not False or hi is not True:
            raise ParamError(source, at, {"low": lo, "high": hi},
                             "a switch is given as { low = false, high = true }")
        return Factor(key, "bool", 0.0, 1.0)
    if isinstance(current, str):
        if not re.match(YEAR_MONTH, current):
            raise ParamError(source, at, current, "only numbers, switches and launch months "
                             "(\"YYYY-MM\") can be factors")
        if not (isinstance(lo, str) and isinstance(hi, str)
                and re.match(YEAR_MONTH, lo) and re.match(YEAR_MONTH, hi)):
            raise ParamError(source, at, {"low": lo, "high": hi},
                             "a launch month takes low and high as \"YYYY-MM\"")
        m = [int(v[:4]) * 12 + int(v[5:]) - 1 for v in (lo, hi)]
        if m[1] <= m[0]:
            raise ParamError(source, at, {"low": lo, "high": hi}, "high must be after low")
        return Factor(key, "month", float(m[0]), float(m[1]))
    if not (numeric(lo) and numeric(hi)):
        raise ParamError(source, at, {"low": lo, "high": hi}, "low and high must be numbers")
    if not hi > lo:
        raise ParamError(source, at, {"low": lo, "high": hi}, "high must be above low")
    if rng.log and lo <= 0:
        raise ParamError(source, at, lo, "log = true needs low > 0")
    whole = isinstance(current, int) or rng.integer
    if whole and not (float(lo).is_integer() and float(hi).is_integer()):
        raise ParamError(source, at, {"low": lo, "high": hi},
                         "whole-number factors need whole-number low and high")
    if key.startswith(SHARE_PREFIX) and lo < 0:
        raise ParamError(source, at, lo, "a budget share cannot be negative")
    factor = Factor(key, "int" if whole else "float", float(lo), float(hi), rng.log,
                    as_float=whole and isinstance(current, float))
    if not key.startswith(SHARE_PREFIX):  # out of the schema's range -> the schema's own message
        for v in (lo, hi):
            base.override({key: factor.decode(v)}, source=f"{source} ({at})")
    return factor


def spec_of(rng: FactorRange) -> dict[str, Any]:
    return rng.model_dump(exclude_defaults=True) | {"low": rng.low, "high": rng.high}


def lever_overrides(base: Params, values: dict[str, Any]) -> dict[str, Any]:
    """Parameter overrides for factor values: budget shares renormalised, the rest as they are.

    Listed ``budget.share_*`` take their values, unlisted ones keep the base file's, and all are
    divided by their sum, so they always sum to 1 (an all-zero allocation is left to the
    parameter check to refuse).
    """
    shares = {k: v for k, v in values.items() if k.startswith(SHARE_PREFIX)}
    out = {k: v for k, v in values.items() if k not in shares}
    if shares:
        weights = {f"{SHARE_PREFIX}{name}": float(v) for name, v in base.budget.shares.items()}
        weights.update({k: float(v) for k, v in shares.items()})
        total = sum(weights.values())
        if total > 0:
            out.update({k: w / total for k, w in weights.items()})
        else:
            out.update(shares)
    return out
