"""The sweep file: its schema, its design (grid or sampled points) and :class:`Sweep`.

A sweep file is TOML with one ``[sweep]`` table::

    [sweep]
    base = "../params/baseline.toml"    # parameter file every point starts from (relative path)
    replicates = 20                     # runs per point
    seed = 20220101                     # master seed
    design = "grid"                     # "grid" (every combination), "lhs" or "sobol" (sampled)
    # size = 64                         # lhs/sobol: number of points (sobol: a power of 2)
    # name = "my_study"                 # scenario column; default: the file's stem
    # monthly = false                   # also keep monthly tables
    [sweep.set]                         # optional fixed overrides applied to every point
    "run.years" = 6
    [sweep.axes]                        # dotted parameter keys, as in --set
    "major_adjustment.signal_lag_years" = [0, 1, 2]                   # grid: a value list
    "major_adjustment.speed" = { start = 0.05, stop = 0.4, num = 4 }  # grid: a range (or step = ...)
    # "labour_market.outside_wage_premium" = { low = 0.0, high = 0.6 } # lhs/sobol: bounds (log = true)

Replicate ``k`` runs with the same seed at every point (common random numbers); the seeds are
derived from the master seed as ``skills-sim forecast`` derives them.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.experiments.ranges import Factor, GridRange, SampledRange
from sim.experiments.seeds import replicate_seeds
from sim.experiments.assumptions import replicate_overrides, with_assumptions
from sim.experiments.study_files import read_study_table, resolve_base
from sim.params import (MISSING, ParamError, Params, StrictModel, apply_overrides, check_keys,
                        dotted_keys, lookup, pydantic_error)


FORMAT = 1


MAX_POINTS = 200_000


MAX_REPLICATES = 10_000


_DESIGN_KEY = (0x5EED, 0)  # spawn key of the design's random stream; replicates use (k,)


class SweepTable(StrictModel):
    """The ``[sweep]`` table as written; axes are checked one by one against the base file."""

    base: str = Field(min_length=1)
    replicates: int = Field(ge=1, le=MAX_REPLICATES)
    seed: int = Field(ge=0, lt=2**63)
    design: Literal["grid", "lhs", "sobol"] = "grid"
    size: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    name: str | None = Field(default=None, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")
    monthly: bool = False
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    axes: dict[str, Any] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _size(self):
        if self.design == "grid" and self.size is not None:
            raise ValueError("size is for sampled designs (lhs, sobol); a grid's size is the "
                             "product of its axes' lengths")
        if self.design != "grid" and self.size is None:
            raise ValueError(f"design = '{self.design}' needs size = the number of points to draw")
        if self.design == "sobol" and self.size & (self.size - 1):
            raise ValueError(f"a Sobol design needs a power of 2 (e.g. "
                             f"{2 ** round(math.log2(self.size))}) to keep its balance")
        return self


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the base parameters, the design's points and the replicate seeds."""

    path: Path
    name: str
    base: Params                       # base file with ``[sweep.set]`` applied
    design: str
    size: int | None
    replicates: int
    seed: int
    monthly: bool
    fixed: dict[str, Any]
    axes: dict[str, Any]               # axis spec as written (JSON-ready), for the record
    factors: tuple[Factor, ...]        # the axes: a grid's levels, or the ranges sampled
    points: tuple[tuple[Any, ...], ...]
    seeds: tuple[int, ...]
    # Replicate k's drawn values of the base's [uncertain] assumptions, the same at every point
    # (sim.experiments.assumptions.replicate_overrides); () = point values only.
    assumptions: tuple[dict, ...] = ()
    # Axis values -> parameter overrides, for axes that are not parameters as such (e.g. budget
    # shares given as weights and renormalised; see sim.experiments.sensitivity). None: the values as they are.
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = field(
        default=None, compare=False, repr=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.factors)

    @property
    def kinds(self) -> tuple[str, ...]:
        """"bool" | "int" | "float" | "str" per axis: the type of the values it sets."""
        return tuple(f.value_type for f in self.factors)

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def overrides(self, point: int) -> dict[str, Any]:
        return dict(zip(self.keys, self.points[point]))

    def param_overrides(self, point: int) -> dict[str, Any]:
        """What the point sets in the parameter file (the axis values, or their transform)."""
        values = self.overrides(point)
        return self.transform(values) if self.transform else values

    def params(self, point: int) -> Params:
        """The point's parameters (the last one is kept: jobs come point by point)."""
        if self._cache.get("point") != point:
            self._cache.clear()
            self._cache.update(point=point, params=self.base.override(
                self.param_overrides(point), source=f"{self.path} (sweep point {point})"))
        return self._cache["params"]

    def run_params(self, point: int, replicate: int) -> Params:
        """The parameters of one run: the point's, with the replicate's assumption values."""
        if not self.assumptions:
            return self.params(point)
        return with_assumptions(self.params(point), self.assumptions[replicate],
                                f"{self.path} (point {point}, replicate {replicate}'s assumptions)")

    def check_points(self) -> None:
        """Validate every point against the base file: a combination may break a cross-field
        rule, and that should stop the command before any run, not in the middle of it."""
        for i in range(self.n_points):
            self.base.override(self.param_overrides(i),
                               source=f"{self.path} (sweep point {i}: {self.overrides(i)})")

    def definition(self) -> dict[str, Any]:
        """Everything that decides the runs' numbers; equal definitions = the same sweep."""
        points = json.dumps([list(p) for p in self.points], separators=(",", ":"))
        return {
            "format": FORMAT,
            "name": self.name,
            "design": self.design,
            "size": self.size,
            "replicates": self.replicates,
            "seed": self.seed,
            "monthly": self.monthly,
            "set": self.fixed,
            "axes": self.axes,
            "keys": list(self.keys),
            "kinds": list(self.kinds),
            "n_points": self.n_points,
            "points_sha256": hashlib.sha256(points.encode()).hexdigest(),
            "seeds": list(self.seeds),
            "base_parameters": self.base.to_dict(),
        }


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every point is checked against the base parameters."""
    path = Path(path)
    # The table-level checks are all about size, so name it rather than the whole table.
    source, table, spec = read_study_table(
        path, "sweep", SweepTable, lambda t: ("sweep.size", t.get("size", MISSING)))

    base, fixed = resolve_base(path, spec.base, spec.fixed, "sweep")
    base_raw = base.to_dict()

    specs, factors = {}, []
    for key, axis in dotted_keys(spec.axes, lambda v: "start" in v or "low" in v).items():
        dotted = key.replace("__", ".")
        where = f"sweep.axes.\"{key}\""
        if dotted in fixed:
            raise ParamError(source, where, axis, "this key is also fixed in [sweep.set]; keep one")
        apply_overrides(copy.deepcopy(base_raw), {dotted: axis}, f"{source} [sweep.axes]")
        kind = _kind(lookup(base_raw, dotted))
        if kind is None:
            raise ParamError(source, where, axis,
                             "an axis must be a single number, bool or string parameter")
        specs[dotted], factor = _parse_axis(dotted, axis, kind, spec.design, source, where)
        factors.append(factor)

    if spec.design == "grid":
        n = math.prod(len(f.levels) for f in factors)
        if n > MAX_POINTS:
            raise ParamError(source, "sweep.axes", "<table>",
                             f"the grid has {n:,} points; at most {MAX_POINTS:,} are allowed")
        points = [tuple(p) for p in itertools.product(*(f.levels for f in factors))]
    else:
        points = _sample(spec.design, spec.size, factors, spec.seed)

    sweep = Sweep(
        path=path, name=spec.name or path.stem, base=base, design=spec.design, size=spec.size,
        replicates=spec.replicates, seed=spec.seed, monthly=spec.monthly, fixed=fixed,
        axes=specs, factors=tuple(factors), points=tuple(points),
        # Forecasts' derivation: replicate k of a point equal to the base file has the numbers
        # of replicate k of ``skills-sim forecast`` with the same master seed.
        seeds=tuple(replicate_seeds(spec.seed, spec.replicates)),
        assumptions=replicate_overrides(base, spec.replicates, spec.seed, source),
    )
    sweep.check_points()
    return sweep


def _kind(value: Any) -> str | None:
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, typ):
            return kind
    return None


def _coerce(value: Any, kind: str, source: str, where: str) -> Any:
    """An axis value as the parameter's type, so a column never mixes 1 and 1.0."""
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool)
        or isinstance(value, float) and value.is_integer(),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
    }[kind]
    if not ok:
        raise ParamError(source, where, value, f"this parameter takes {kind} values")
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(f"{float(value):.12g}")  # 0.15, not 0.15000000000000002
    return value


def _parse_axis(key: str, axis: Any, kind: str, design: str, source: str,
                where: str) -> tuple[Any, Factor]:
    """The axis as written (JSON-ready, for the record) and as a factor."""
    forms = ("a value list [a, b, ...], a range {start, stop, num} or {start, stop, step} "
             "(grid), or bounds {low, high} (lhs, sobol)")
    if isinstance(axis, list) or isinstance(axis, dict) and "start" in axis:
        if design != "grid":
            raise ParamError(source, where, axis,
                             f"a sampled design ({design}) draws from bounds {{low, high}}, "
                             "not from values; use design = 'grid' for value lists and ranges")
        if isinstance(axis, list):
            vals = [_coerce(v, kind, source, where) for v in axis]
            if not vals:
                raise ParamError(source, where, axis, "an axis needs at least one value")
            if len(set(vals)) != len(vals):
                raise ParamError(source, where, axis, "values repeat; each point must be distinct")
            return vals, Factor.of_levels(key, kind, vals)
        if kind not in ("int", "float"):
            raise ParamError(source, where, axis, f"a range needs a numeric parameter, not {kind}")
        rng = _validated(GridRange, axis, source, where)
        vals = [_coerce(v, kind, source, where) for v in rng.values()]
        return rng.model_dump(exclude_none=True), Factor.of_levels(key, kind, vals)
    if isinstance(axis, dict) and "low" in axis:
        if design == "grid":
            raise ParamError(source, where, axis,
                             "bounds {low, high} are for sampled designs (design = 'lhs' or "
                             "'sobol' with a size); a grid takes a value list or a range")
        if kind not in ("int", "float"):
            raise ParamError(source, where, axis, f"sampling needs a numeric parameter, not {kind}")
        bounds = _validated(SampledRange, axis, source, where)
        if kind == "int":
            _coerce(bounds.low, kind, source, where), _coerce(bounds.high, kind, source, where)
        return bounds.model_dump(), Factor(key, kind, bounds.low, bounds.high, bounds.log)
    raise ParamError(source, where, axis, f"expected {forms}")


def _validated(model: type[BaseModel], raw: dict, source: str, where: str):
    check_keys(raw, model, f"{where}.", source)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(exc, raw, source, where) from None


def _sample(design: str, size: int, factors: list[Factor], seed: int) -> list[tuple]:
    """Latin hypercube or scrambled Sobol points, mapped onto each axis's range."""
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_DESIGN_KEY))
    sampler = (qmc.LatinHypercube if design == "lhs" else qmc.Sobol)(d=len(factors), rng=rng)
    u = sampler.random(size)
    cols = [[f.at_unit(x) for x in u[:, j]] for j, f in enumerate(factors)]
    return list(zip(*cols))
