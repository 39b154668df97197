"""The optimisation file: its ``[optimize]`` table (levers with ranges, the goal) and
:class:`Optimization`, what :func:`sim.experiments.optimize.run_optimize` searches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from sim.experiments.ranges import Factor, lever_overrides, parse_factors
from sim.experiments.seeds import replicate_seeds
from sim.experiments.sensitivity import TARGET_IDS, check_year
from sim.experiments.study_files import read_study_table
from sim.params import ParamError, Params, StrictModel

FORMAT = 1


class Goal(StrictModel):
    """Targets to meet, each with probability >= ``probability``, in ``year``."""

    targets: list[str] = Field(min_length=1)
    probability: float = Field(gt=0, le=1)
    year: int = Field(ge=1990, le=2100)


class OptimizeTable(StrictModel):
    """The ``[optimize]`` table as written; levers are checked one by one."""

    base: str = Field(min_length=1)
    replicates: int = Field(ge=1, le=10_000)
    trials: int = Field(ge=1, le=100_000)
    seed: int = Field(ge=0, lt=2**63)
    check_seed: int | None = Field(default=None, ge=0, lt=2**63)
    check_replicates: int = Field(default=50, ge=1, le=10_000)
    name: str | None = Field(default=None, min_length=1, max_length=80,
                             pattern=r"^[A-Za-z0-9_.\-]+$")
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    goal: Goal
    levers: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True)
class Optimization:
    """A validated optimisation: base parameters, levers, goal and the seeds."""

    path: Path
    spec: OptimizeTable
    base: Params
    fixed: dict[str, Any]
    levers: tuple[Factor, ...]
    seeds: tuple[int, ...]

    @property
    def name(self) -> str:
        return self.spec.name or self.path.stem

    @property
    def check_seed(self) -> int:
        return self.spec.seed + 1 if self.spec.check_seed is None else self.spec.check_seed

    @property
    def goal(self) -> Goal:
        return self.spec.goal

    def params(self, values: dict[str, Any], source: str) -> Params:
        """A candidate's parameters from its lever values (as the parameters take them)."""
        return self.base.override(lever_overrides(self.base, values), source=source)

    def definition(self) -> dict[str, Any]:
        """What the study's numbers depend on; a folder only resumes the same definition.
        (``trials`` and the check's settings are left out: raising ``trials`` extends a study.)"""
        return {
            "format": FORMAT,
            "replicates": self.spec.replicates,
            "seed": self.spec.seed,
            "goal": self.goal.model_dump(),
            "levers": {f.key: f.spec() for f in self.levers},
            "set": self.fixed,
            "seeds": list(self.seeds),
            "base_parameters": self.base.to_dict(),
        }


def load_optimize(path: str | Path) -> Optimization:
    """Read and validate an optimisation file (levers' ranges against the base parameters)."""
    path = Path(path)
    source, table, spec = read_study_table(path, "optimize", OptimizeTable)
    goal = spec.goal
    bad = [t for t in goal.targets if t not in TARGET_IDS]
    if bad or len(set(goal.targets)) != len(goal.targets):
        raise ParamError(source, "optimize.goal.targets", goal.targets,
                         f"expected distinct targets among {', '.join(TARGET_IDS)}")
    if spec.check_seed is not None and spec.check_seed == spec.seed:
        raise ParamError(source, "optimize.check_seed", spec.check_seed,
                         "the independent check needs fresh seeds: a master seed other than "
                         "optimize.seed")
    base, fixed = _resolve(path, spec)
    check_year(base, goal.year, source, "optimize.goal.year")
    levers = parse_factors(spec.levers, base, source, "optimize.levers", fixed)
    opt = Optimization(path, spec, base, fixed, tuple(levers),
                       tuple(replicate_seeds(spec.seed, spec.replicates)))
    # The corners of the lever box must be valid parameter sets (cross-field rules).
    for corner in ("low", "high"):
        opt.params({f.key: f.decode(getattr(f, corner)) for f in levers},
                   source=f"{source} (every lever at its {corner} end)")
    return opt


def _resolve(path: Path, spec: OptimizeTable):
    from sim.experiments.study_files import resolve_base

    return resolve_base(path, spec.base, spec.fixed, "optimize")
