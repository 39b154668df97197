"""The model's Mesa agents: students, schools and enterprises.

State lives column-wise in numpy arrays (``model.students``, ``model.schools``,
``model.enterprises``); each agent is a thin view onto its row, so Mesa's tools
(``model.agents_by_type``, ``AgentSet``, the grid, visualisation) see real agents while the
processes decide for everyone at once with vectorised rules. The decisions themselves are
written in the process modules named below.
"""

from __future__ import annotations

from mesa.discrete_space import CellAgent, FixedAgent

from sim.model.students import TRACKS, State


class Student(CellAgent):
    """A vocational student, placed at the family home's cell.

    Decides: which school and major to apply to (``enrollment``), whether to drop out
    (``study``), and after graduating whether to take a local job, leave the city, study
    further or wait (``labour_market``). Exists as a Mesa agent from admission until the
    student leaves the city's vocational system (drop-out or a final destination).
    """

    def __init__(self, model, idx: int, cell):
        super().__init__(model)
        self.idx = idx
        # What the ``cell`` setter does for an agent not yet placed, without its checks:
        # a run places about a quarter of a million students.
        self._mesa_cell = cell
        cell.add_agent(self)

    def remove(self) -> None:
        """Leave the model and the grid (``CellAgent.remove``, minus the generic detours)."""
        self.model.deregister_agent(self)
        self._mesa_cell.remove_agent(self)
        self._mesa_cell = None

    def _col(self, name):
        return getattr(self.model.students, name)[self.idx]

    @property
    def track(self) -> str:
        return TRACKS[self._col("track")]

    @property
    def school(self) -> "School":
        return self.model.school_agents[self._col("school")]

    @property
    def major_group(self) -> str:
        return self.model.groups[self._col("group")]

    @property
    def year_of_study(self) -> int:
        return int(self._col("year"))

    @property
    def ability(self) -> float:
        return float(self._col("ability"))

    @property
    def attachment(self) -> float:
        return float(self._col("attachment"))

    @property
    def state(self) -> State:
        return State(self._col("state"))

    def __repr__(self) -> str:
        return (
            f"Student({self.idx}, {self.track}, {self.major_group}, year {self.year_of_study}, "
            f"{self.state.name.lower()})"
        )


class School(FixedAgent):
    """A secondary vocational school, technician school or higher vocational college.

    Decides each spring how to reallocate seats between majors and which majors to open or
    close (``major_adjustment``), and admits applicants by ability when a major is
    over-subscribed (``enrollment``).
    """

    def __init__(self, model, idx: int, cell):
        super().__init__(model)
        self.idx = idx
        self.cell = cell

    @property
    def kind(self) -> str:
        return self.model.schools.KINDS[self.model.schools.kind[self.idx]]

    @property
    def four_star(self) -> bool:
        return bool(self.model.schools.four_star[self.idx])

    @property
    def reputation(self) -> float:
        return float(self.model.schools.reputation[self.idx])

    @property
    def seats(self) -> dict[str, int]:
        """Planned seats for next intake, by open major group (persons)."""
        s = self.model.schools
        ppa = self.model.persons_per_agent
        return {
            self.model.groups[g]: int(round(s.seats[self.idx, g] * ppa))
            for g in range(len(self.model.groups))
            if s.offered[self.idx, g]
        }

    def __repr__(self) -> str:
        return f"School({self.idx}, {self.kind}, {len(self.seats)} majors)"


class Enterprise(FixedAgent):
    """An employer in the city's "6+3+X" industry system.

    Decides how many skilled graduates to hire by major group each spring
    (``labour_demand``) and whom to hire among its applicants (``labour_market``).
    """

    def __init__(self, model, idx: int, cell):
        super().__init__(model)
        self.idx = idx
        self.cell = cell

    @property
    def sector(self) -> str:
        return self.model.groups[self.model.enterprises.sector[self.idx]]

    @property
    def employees(self) -> float:
        return float(self.model.enterprises.employees[self.idx])

    @property
    def wage_yuan_month(self) -> dict[str, float]:
        """Monthly pay of a matched graduate at this employer, by track."""
        lm, index = self.model.p.labour_market, float(self.model.enterprises.wage_index[self.idx])
        return {"secondary": index * lm.wage_secondary_yuan_month,
                "higher": index * lm.wage_higher_yuan_month}

    @property
    def leading(self) -> bool:
        return bool(self.model.enterprises.leading[self.idx])

    def __repr__(self) -> str:
        return f"Enterprise({self.idx}, {self.sector}, {self.employees:.0f} staff)"
