"""The model a page runs: a ``SkillsModel`` built from the page's settings, which keeps the
year-to-date value of every target after each month (the annual T1–T9 only exist for completed
years) and the aggregates the map draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.interfaces.dashboard.levers import in_force, overrides, scenario_files, scenario_params
from sim.model.indicators import TARGETS
from sim.model.model import SkillsModel
from sim.model.students import State
from sim.params import load_params

PPA_CHOICES = [1, 2, 5, 10, 20]


@dataclass(frozen=True)
class Settings:
    """What a page asks for: a scenario file, a scale, a seed and the levers' values."""

    scenario: str = "baseline"
    persons_per_agent: int = 1
    seed: int = 1
    levers: dict = field(default_factory=dict)

    def with_scenario(self, scenario: str) -> "Settings":
        """Another scenario, its levers at the values that scenario puts in force."""
        return Settings(scenario, self.persons_per_agent, self.seed,
                        in_force(scenario_params(scenario)))

    def overrides(self) -> dict[str, object]:
        """Dotted keys of the levers moved off the scenario's values."""
        return overrides(self.scenario, self.levers)

    def params(self, persons_per_agent: int | None = None):
        ppa = persons_per_agent or self.persons_per_agent
        return load_params(scenario_files()[self.scenario],
                           {**self.overrides(), "run.persons_per_agent": int(ppa)})


def start_settings(scenario: str = "baseline", persons_per_agent: int = 1) -> Settings:
    return Settings(scenario, persons_per_agent).with_scenario(scenario)


class DashboardModel(SkillsModel):
    """``SkillsModel`` from the page's settings, keeping the targets' year-to-date values."""

    def __init__(self, settings: Settings | None = None, **kwargs):
        self.settings = settings or start_settings()
        params = self.settings.params()
        if kwargs:  # dotted-key overrides on top (tests, scripts)
            params = load_params(scenario_files()[self.settings.scenario],
                                 {**self.settings.overrides(),
                                  "run.persons_per_agent": self.settings.persons_per_agent,
                                  **kwargs})
        super().__init__(params, seed=int(self.settings.seed), scenario=self.settings.scenario)
        # (year, month, {target: year-to-date value or None}) after each simulated month.
        self.target_history: list[tuple[int, int, dict[str, float | None]]] = []

    def step(self) -> None:
        """One month, then the year-to-date value of every target."""
        if not self.running:
            return
        super().step()
        year, month = self.dates[-1]
        self.target_history.append(
            (year, month, {tid: t.compute(self, year) for tid, t in TARGETS.items()}))

    @property
    def last_date(self) -> tuple[int, int] | None:
        """The month simulated last, or None before the first step."""
        return self.dates[-1] if self.dates else None

    @property
    def months(self) -> int:
        return self.p.run.years * 12

    def year_complete(self, year: int) -> bool:
        return (year, 12) in self.dates

    def by_district(self) -> dict[str, np.ndarray]:
        """Per district (0 = urban core): students enrolled by home, and posts left unfilled at
        the last recruitment season's close (persons), the demand T3 and T9 draw on."""
        n = int(self.city.district.max()) + 1
        st, ent = self.students, self.enterprises
        enrolled = st.view("state") == State.ENROLLED
        home_district = self.city.district[st.view("home")[enrolled]]
        return {
            "students": np.bincount(home_district, minlength=n) * float(self.persons_per_agent),
            "unfilled": np.bincount(self.city.district[ent.cell], weights=ent.unfilled_last,
                                    minlength=n) * float(self.persons_per_agent),
        }

    def school_students(self) -> np.ndarray:
        """Students enrolled (persons) per school."""
        st = self.students
        enrolled = st.view("state") == State.ENROLLED
        return np.bincount(st.view("school")[enrolled], minlength=self.schools.n) * float(
            self.persons_per_agent)
