"""The page's levers: what each one moves, in which unit and range, and the value in force.

A lever shows the value the chosen scenario file puts in force (not the baseline's), so picking
``more_funding`` puts the budget slider at 180 M yuan/yr. Only levers moved away from the
scenario's value become dotted-key overrides, so a scenario left alone runs as written and the
same overrides reproduce the run on the command line (``--set KEY=VALUE``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.ranges import Factor
from sim.params import BASELINE_PATH, Params, load_params


def scenario_files() -> dict[str, Path]:
    """Parameter files the page can start from: the baseline and params/scenarios/*.toml."""
    files = {"baseline": BASELINE_PATH}
    files.update({p.stem: p for p in sorted((BASELINE_PATH.parent / "scenarios").glob("*.toml"))})
    return files


@functools.lru_cache(maxsize=16)
def scenario_params(scenario: str) -> Params:
    """A scenario file's parameters as written (validated once per process)."""
    return load_params(scenario_files()[scenario])


def value_at(params: Params, key: str):
    """The value of a dotted key in validated parameters."""
    return functools.reduce(getattr, key.split("."), params)


@dataclass(frozen=True)
class Lever:
    """A slider over ``factor`` (its range and step, in the parameter's unit), shown in ``unit``:
    the parameter is ``scale`` times the slider's value."""

    name: str
    label: str
    unit: str
    scale: float
    help: str
    factor: Factor

    @property
    def key(self) -> str:
        return self.factor.key

    def shown_value(self, value: float) -> float:
        """A value of the parameter in the slider's unit."""
        return float(f"{value / self.scale:.10g}")

    @property
    def low(self) -> float:
        return self.shown_value(self.factor.low)

    @property
    def high(self) -> float:
        return self.shown_value(self.factor.high)

    @property
    def step(self) -> float:
        return self.shown_value(self.factor.step)

    def shown(self, params: Params) -> float:
        """The value in force, in the slider's unit."""
        return self.shown_value(value_at(params, self.key))

    def param_value(self, shown: float):
        """A slider's value as the parameter's."""
        return self.factor.decode(float(shown) * self.scale)


def _slider(key: str, low: float, high: float, step: float) -> Factor:
    return Factor(key, "float", low, high, step=step)


SLIDERS = [
    Lever("budget", "Plan budget", "M yuan/yr", 1e6,
          "Money for the plan's programmes each year, split by the allocation below.",
          _slider("budget.total_yuan", 0, 400e6, 10e6)),
    Lever("order_class_subsidy", "Order-class subsidy", "k yuan/class", 1e3,
          "Paid to an enterprise per order class it opens with a school (T2, T3).",
          _slider("order_classes.subsidy_per_class_yuan", 0, 200e3, 10e3)),
    Lever("apprentice_student", "Apprentice subsidy, student", "yuan/yr", 1,
          "Paid per modern apprentice enrolled from school (T5).",
          _slider("apprenticeship.subsidy_per_student_yuan", 0, 10000, 500)),
    Lever("apprentice_employee", "Apprentice subsidy, employee", "yuan/yr", 1,
          "Paid per employee an enterprise trains as an apprentice (T5).",
          _slider("apprenticeship.subsidy_per_employee_yuan", 0, 15000, 500)),
    Lever("talent_subsidy_yuan", "Talent subsidy", "yuan/hire", 1,
          "Paid to a graduate taking a local job while the talent subsidy is on (T9).",
          _slider("retention.talent_subsidy_yuan", 0, 20000, 1000)),
    Lever("outside_wage_premium", "Outside wage premium", "% over local pay", 0.01,
          "How much more a job outside the city pays; a higher premium draws graduates away (T9).",
          _slider("labour_market.outside_wage_premium", 0, 1.0, 0.05)),
]

_PLAN_SHARES = scenario_params("baseline").budget.shares
AS_WRITTEN = "as in the scenario file"
ALLOCATIONS: dict[str, dict[str, float]] = {
    "plan": _PLAN_SHARES,
    "training bases first": {"order_classes": 0.06, "apprenticeship": 0.10, "certificates": 0.04,
                             "training_bases": 0.45, "combos": 0.03, "social_training": 0.12,
                             "retention": 0.15, "platform": 0.05},
    "people first": {"order_classes": 0.12, "apprenticeship": 0.25, "certificates": 0.04,
                     "training_bases": 0.15, "combos": 0.03, "social_training": 0.13,
                     "retention": 0.23, "platform": 0.05},
    "even": {line: 1 / len(_PLAN_SHARES) for line in _PLAN_SHARES},
}
LAUNCHES = ["never", "2022-01", "2022-07", "2023-01", "2023-07", "2024-01", "2025-01"]

# Choices: name -> (label, one-line help).
CHOICES = {
    "allocation": ("Budget allocation",
                   "How the budget is split between programmes (shares listed under 'in force')."),
    "platform": ("Information platform launch",
                 "Month the jobs-and-training platform opens, or never (T3, T9)."),
    "hometown_campaign": ("Hometown campaign", "Retention campaign for local graduates (T9)."),
    "talent_subsidy": ("Talent subsidy", "Switches the talent subsidy above on or off (T9)."),
}


def choice_values(name: str, params: Params) -> list[str]:
    """The options of a choice lever; the scenario's own value is always one of them."""
    if name == "allocation":
        return [*ALLOCATIONS, AS_WRITTEN]
    if name == "platform":
        current = in_force(params)["platform"]
        return LAUNCHES if current in LAUNCHES else [*LAUNCHES, current]
    return ["on", "off"]


def in_force(params: Params) -> dict[str, object]:
    """Every lever's value in force under ``params``, as the page shows it."""
    values: dict[str, object] = {lever.name: lever.shown(params) for lever in SLIDERS}
    shares = params.budget.shares
    values["allocation"] = next((name for name, preset in ALLOCATIONS.items()
                                 if all(abs(shares[k] - v) < 1e-9 for k, v in preset.items())),
                                AS_WRITTEN)
    values["platform"] = params.platform.launch if params.platform.enabled else "never"
    values["hometown_campaign"] = "on" if params.retention.campaign.enabled else "off"
    values["talent_subsidy"] = "on" if params.retention.subsidy.enabled else "off"
    return values


def overrides(scenario: str, values: dict[str, object]) -> dict[str, object]:
    """Dotted-key overrides for the levers moved away from the scenario's values."""
    base = in_force(scenario_params(scenario))
    moved = {k: v for k, v in values.items() if k in base and v != base[k]}
    out: dict[str, object] = {}
    for lever in SLIDERS:
        if lever.name in moved:
            out[lever.key] = lever.param_value(moved[lever.name])
    if moved.get("allocation", AS_WRITTEN) != AS_WRITTEN:
        out.update({f"budget.share_{line}": share
                    for line, share in ALLOCATIONS[moved["allocation"]].items()})
    if "platform" in moved:
        out["platform.enabled"] = moved["platform"] != "never"
        if moved["platform"] != "never":
            out["platform.launch"] = moved["platform"]
    for name, key in (("hometown_campaign", "retention.campaign.enabled"),
                      ("talent_subsidy", "retention.subsidy.enabled")):
        if name in moved:
            out[key] = moved[name] == "on"
    return out


def set_options(dotted: dict[str, object]) -> list[str]:
    """The overrides as the command line's ``--set KEY=VALUE`` arguments."""
    def text(v):
        if isinstance(v, bool):
            return str(v).lower()
        return v if isinstance(v, str) else f"{v:.12g}"
    return [f"--set {k}={text(v)}" for k, v in dotted.items()]
