"""``SkillsModel``: the city's vocational-education system as a Mesa model.

One step is one month. ``step()`` runs the processes the calendar lists for the month
(:mod:`sim.model.calendar`), then records the month's indicators through a Mesa ``DataCollector``.
``running`` turns False after the last month of the horizon.
"""

from __future__ import annotations

import gc
import zlib
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.model import districts, indicators
from sim.model.agents import Enterprise, School, Student
from sim.model.budget import Budget
from sim.model.calendar import build_calendar
from sim.model.city import City, build_city
from sim.model.city_data import CityData, load_city_data
from sim.model.city_from_data import city_from_data, enterprises_from_data, schools_from_data
from sim.model.enrollment import seed_initial_students
from sim.model.labour_demand import EnterpriseTable, build_enterprises, expected_vacancies, group_mix
from sim.params import Launch, Params, load_params, spinup_key, spinup_params
from sim.model.partnerships import PartnershipTable
from sim.model.programmes import build_programmes
from sim.model.schools import SchoolTable, build_schools
from sim.model.students import State, StudentArrays


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while agents are created or removed in bulk.

    Each Mesa agent allocates objects the collector tracks (itself and the weak references by
    which two ``AgentSet``s hold it), so a cohort of tens of thousands triggers hundreds of
    collections that rescan the city's objects and find nothing: these loops make no garbage
    cycles. With the collector running throughout, it took about a quarter of a full-scale run.
    Reference counting still frees removed agents at once; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _expected_students(p: Params) -> int:
    """Rows a run will need, with a tenth to spare: those enrolled at the start and a yearly
    intake for every simulated year. Sized to the city, so a larger city does not copy every
    column several times as the store doubles (it still grows if a run needs more)."""
    d = p.demography
    intake = d.junior_high_graduates * (1 - d.general_track_share) * d.vocational_uptake
    intake += d.higher_entrants_from_general
    years = p.students.programme_years + p.run.spinup_years + p.run.years
    return int(1.1 * intake * years / p.run.persons_per_agent)


def with_city_counts(params: Params, city_data: CityData | None) -> Params:
    """``params`` with the counts a city folder fixes (its junior-high graduates)."""
    if city_data is None or city_data.junior_high_graduates is None:
        return params
    return params.override({"demography.junior_high_graduates": city_data.junior_high_graduates},
                           source="districts.csv")


def process_stream(seed: int, process: str) -> np.random.Generator:
    """The random stream of one process in a run of ``seed`` (see ``SkillsModel.rng_for``)."""
    return np.random.default_rng([seed, zlib.crc32(process.encode())])


def build_fixed(params: Params, data: CityData | None, rng_for: Callable[[str], np.random.Generator],
                random) -> tuple[City, SchoolTable, EnterpriseTable]:
    """The city, its schools and enterprises: drawn, or loaded from ``[city] data`` (``data``);
    each from its own named stream either way (a loaded value draws nothing)."""
    if data is None:
        city = build_city(params.city, rng_for("city"), random)
        return (city, build_schools(params, city, rng_for("schools")),
                build_enterprises(params, city, rng_for("enterprises")))
    city = city_from_data(params, data, rng_for("city"), random)
    return (city, schools_from_data(params, city, data, rng_for("schools")),
            enterprises_from_data(params, city, data, rng_for("enterprises")))


class SkillsModel(mesa.Model):
    """Students, schools and enterprises on a city grid, month by month.

    Attributes:
        p (Params): the validated parameters in force.
        city (City): grid, districts, density and parks.
        students (StudentArrays): every student who ever entered, column-wise.
        schools (SchoolTable), enterprises (EnterpriseTable): their state, column-wise.
        groups (list[str]): major groups, one per sector of the "6+3+X" system.
        aligned (ndarray[bool]): groups serving the 6 leading and 3 emerging industries.
        year, month (int): the month about to be simulated (or just finished, after the end).
        indicators (dict): the last month's indicators; ``datacollector`` keeps them all.
        year_log (dict): per year, arrays the agents' decisions produced (signals, intake).
        year_totals (dict): per year, the sum of every monthly flow.
    """

    def __init__(
        self,
        params: Params | str | Path | None = None,
        seed: int | None = None,
        *,
        scenario: str = "baseline",
        replicate: int = 0,
        plan: bool = True,
        **overrides: Any,
    ):
        if params is None or isinstance(params, (str, Path)):
            params = load_params(params)
        if overrides:
            params = params.override(overrides, source="SkillsModel keyword arguments")
        city_data = load_city_data(params) if params.city.data else None
        params = with_city_counts(params, city_data)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**32)
        super().__init__(seed=int(seed))
        self.seed = int(seed)
        self.p = params
        self.city_data = city_data  # the city folder's tables, or None for a drawn city
        self.scenario = scenario
        self.replicate = int(replicate)
        self.persons_per_agent = params.run.persons_per_agent
        self.groups = list(params.sectors)
        self.aligned = np.array([s.aligned for s in params.sectors.values()])
        self.preference = np.array([s.preference for s in params.sectors.values()])
        # The spin-up runs the status quo for spinup_years before the plan year (unreported).
        self.plan_params = params
        self.spinup = params.run.spinup_years > 0
        self.p = spinup_params(params) if self.spinup else params
        self.first_year = params.run.start_year - params.run.spinup_years
        self.year, self.month = self.first_year, 1
        self.end_year = params.run.start_year + params.run.years - 1
        self.year_log: dict[int, dict[str, np.ndarray]] = defaultdict(dict)
        self.year_totals: dict[int, dict[str, float]] = {}
        self.cohorts: dict[int, float] = {}
        self._flows: dict[str, float] = defaultdict(float)
        self.dates: list[tuple[int, int]] = []
        self.year_stocks: dict[int, dict[str, float]] = {}
        self.district_log: dict[int, dict[str, np.ndarray]] = {}  # year -> indicator -> by district

        # The city and its fixed agents.
        self._streams: dict[str, np.random.Generator] = {}
        self.city, self.schools, self.enterprises = build_fixed(params, city_data, self.rng_for,
                                                                self.random)
        self._cells = [self.city.cell(i) for i in range(self.city.n_cells)]
        self.school_agents = [School(self, i, self._cells[c]) for i, c in enumerate(self.schools.cell)]
        for i, c in enumerate(self.enterprises.cell):  # registered with the model by Mesa
            Enterprise(self, i, self._cells[c])

        # Students already in every year of study.
        self.students = StudentArrays(capacity=_expected_students(params))
        # Mesa Student objects, or the column arrays alone (``update_student_view``).
        self.student_agents = params.run.student_agents is not False  # "auto": objects
        self._student_agents: dict[int, Student] = {}
        seed_initial_students(self)
        self._seed_history()

        # The government's budget, partnerships, and the programmes (status quo first).
        self.budget = Budget(self, self.p)
        self.partnerships = PartnershipTable(self.schools.n, self.enterprises.n)
        self.programmes = build_programmes(self)
        for programme in self.programmes.values():
            programme.setup()
        self.calendar = build_calendar(self.p, self.programmes)
        for _ in range(12 * params.run.spinup_years):  # the city as it stands at the plan year
            self._simulate_month()
            self._advance()
        self.running = False
        if plan:  # plan=False stops here, for a warm start shared by scenarios (start_plan)
            self.start_plan()

    def start_plan(self, params: Params | None = None, *, scenario: str | None = None,
                   replicate: int | None = None) -> None:
        """January of the plan year: the scenario's levers from now on, and its records.

        ``params`` (with ``scenario`` and ``replicate``) continues a model built with
        ``plan=False`` as another scenario: allowed only if that scenario spins up exactly as
        this one did (:func:`sim.params.spinup_key`), so the run is the one it would have had
        from scratch."""
        if params is not None:
            params = with_city_counts(params, self.city_data)
            if spinup_key(params) != spinup_key(self.plan_params):
                raise ValueError(f"scenario {scenario or self.scenario!r} spins up differently "
                                 "(parameters outside the levers differ): it needs its own model")
            self.plan_params = params
        self.scenario = self.scenario if scenario is None else scenario
        self.replicate = self.replicate if replicate is None else int(replicate)
        self._enter_plan()
        self.indicators = indicators.month_end(self, {})
        self.datacollector = mesa.DataCollector(model_reporters=indicators.collector_reporters())
        self.running = True

    # -- the step ---------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month: the calendar's processes, then the month's indicators."""
        if not self.running:
            return
        self._simulate_month()
        self.datacollector.collect(self)
        self.dates.append((self.year, self.month))
        if self.month == 12:
            self.district_log[self.year] = districts.tally_year(self)
        if self.year == self.end_year and self.month == 12:
            self.running = False
            return
        self._advance()

    def _simulate_month(self) -> None:
        self._flows = defaultdict(float)
        for _name, process in self.calendar.processes(self.month):
            process(self)
        self.indicators = indicators.month_end(self, self._flows)
        self.year_stocks[self.year] = self.indicators
        totals = self.year_totals.setdefault(self.year, defaultdict(float))
        for name, value in self._flows.items():
            totals[name] += value

    def _advance(self) -> None:
        self.month += 1
        if self.month > 12:
            self.year, self.month = self.year + 1, 1

    def _enter_plan(self) -> None:
        """January of the plan year: the scenario's levers replace the status quo's."""
        self.spinup = False
        if self.p is self.plan_params:
            return
        self.p = self.plan_params
        self.budget.p = self.p.budget
        for name, programme in self.programmes.items():
            programme.levers = getattr(self.p, name)
        self.calendar = build_calendar(self.p, self.programmes)

    @property
    def reported_years(self) -> list[int]:
        """Years in the outputs: the plan year and after (the spin-up is not reported)."""
        return [y for y in sorted(self.year_totals) if y >= self.plan_params.run.start_year]

    def release(self) -> None:
        """Let go of this finished model so its memory can be freed.

        Mesa 3.3 numbers agents with a class-level ``Agent._ids`` dict keyed by model, which
        keeps every model ever built alive; a worker running many replicates would grow by a
        whole city per run. Call this once the outputs have been taken."""
        mesa.Agent._ids.pop(self, None)

    def run(self) -> "SkillsModel":
        """Run to the horizon."""
        while self.running:
            self.step()
        return self

    # -- outputs ----------------------------------------------------------------------------
    def annual(self) -> pd.DataFrame:
        """Targets per year in the ``annual.parquet`` schema."""
        return indicators.annual_table(self)

    def districts(self) -> pd.DataFrame:
        """The year's indicators by district in the ``districts.parquet`` schema."""
        return districts.district_table(self)

    def target_flows(self) -> pd.DataFrame:
        """The targets' companions per year (T3.trained, T6-T8 flows): ``target_flows.parquet``."""
        return indicators.target_flows_table(self)

    def monthly(self) -> pd.DataFrame:
        """Monthly indicators in the tidy ``monthly.parquet`` schema."""
        # The monthly indicators only: the target reporters are annual (see annual()).
        wide = self.datacollector.get_model_vars_dataframe()[list(indicators.reporters())]
        wide.insert(0, "date", pd.to_datetime([f"{y}-{m:02d}-01" for y, m in self.dates]))
        long = wide.melt(id_vars="date", var_name="indicator", value_name="value")
        long.insert(0, "seed", self.seed)
        long.insert(0, "replicate", self.replicate)
        long.insert(0, "scenario", self.scenario)
        return long.astype({"value": "float64", "seed": "int64", "replicate": "int64"})

    # -- bookkeeping used by the processes --------------------------------------------------
    def flow(self, name: str, amount: float) -> None:
        """Count ``amount`` (agents, or yuan for spending) toward a monthly flow indicator."""
        self._flows[name] += float(amount)

    def record_year(self, name: str, value) -> None:
        """Accumulate an array produced by agents' decisions into this year's log."""
        log = self.year_log[self.year]
        log[name] = log[name] + value if name in log else np.asarray(value, dtype=float).copy()

    def update_student_view(self, rows: np.ndarray) -> None:
        """Bring the Mesa ``Student`` view of ``rows`` (students whose state just changed) in
        line with their state: an agent while enrolled or searching, none once they have left.

        The one place students' Mesa agents are made and removed, so every process (and any new
        one) follows the run's mode: with ``run.student_agents`` off the view is skipped and the
        column arrays alone carry the students. Nothing here draws a random number, so both
        modes give the same tables."""
        if not self.student_agents or len(rows) == 0:
            return
        state = self.students.state[rows]
        present = (state == State.ENROLLED) | (state == State.SEARCHING)
        agents, cells, home = self._student_agents, self._cells, self.students.home
        with _collector_paused():  # Mesa's per-agent objects make no cycles (see above)
            for i in rows[~present].tolist():
                agent = agents.pop(i, None)
                if agent is not None:
                    agent.remove()
            entering = rows[present]
            for i, c in zip(entering.tolist(), home[entering].tolist()):
                if i not in agents:
                    agents[i] = Student(self, i, cells[c])

    def enrolled_by_group(self) -> np.ndarray:
        st = self.students
        enrolled = st.view("state") == State.ENROLLED
        return np.bincount(st.view("group")[enrolled], minlength=len(self.groups)).astype(float)

    def final_year_by_group(self) -> np.ndarray:
        st = self.students
        final = (st.view("state") == State.ENROLLED) & (st.view("year") >= self.p.students.programme_years)
        return np.bincount(st.view("group")[final], minlength=len(self.groups)).astype(float)

    @property
    def month_index(self) -> int:
        """Months since the first simulated month, spin-up included (0 = the first month)."""
        return (self.year - self.first_year) * 12 + self.month - 1

    def rng_for(self, process: str) -> np.random.Generator:
        """The random stream of one process, seeded from the run's seed and the process name.

        Each process draws from its own stream, so changing one programme's lever leaves every
        other process's draws as they were: common random numbers then cancel noise between
        scenarios and sweep points instead of reshuffling everything after the first change."""
        rng = self._streams.get(process)
        if rng is None:
            rng = process_stream(self.seed, process)
            self._streams[process] = rng
        return rng

    def launched(self, levers: Launch) -> bool:
        """True if a programme is enabled and its launch month has come. During the spin-up
        every programme the status quo has enabled runs (launch months mark the plan's
        timeline, which starts at the plan year)."""
        if self.spinup:
            return levers.enabled
        return levers.enabled and (self.year, self.month) >= levers.launch_year_month

    def ledger(self) -> pd.DataFrame:
        """Budget allocated and spent by year and programme, with outcomes and cost per outcome."""
        return indicators.ledger_table(self)

    # -- start-up -----------------------------------------------------------------------------
    # -- start-up: history --------------------------------------------------------------------
    def _seed_history(self) -> None:
        """Years before the start: demand and supply as they stand (a steady-state assumption)."""
        vacancies = (expected_vacancies(self)[:, None] * group_mix(self)).sum(axis=0)
        graduates = self.final_year_by_group()
        for back in range(1, 11):
            self.year_log[self.year - back] = {
                "vacancies_by_group": vacancies.copy(),
                "graduates_by_group": graduates.copy(),
                # Applications as many as seats: no over- or under-subscription on record.
                "applications_by_school_group": self.schools.seats.copy(),
            }
