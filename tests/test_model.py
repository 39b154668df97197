"""The city model: Mesa integration, conservation, determinism and scale."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel
from sim.model.agents import Enterprise, School, Student
from sim.model.indicators import MONTHLY_INDICATORS
from sim.model.students import State


def _check_conservation(model):
    st = model.students
    state = st.view("state")
    assert state.min() >= 0 and state.max() < len(State)
    counts = st.count_states()
    assert counts.sum() == st.n  # every student who ever entered is in exactly one state
    alive = np.flatnonzero((state == State.ENROLLED) | (state == State.SEARCHING))
    agents = model.agents_by_type[Student]
    assert len(agents) == alive.size
    assert sorted(a.idx for a in agents) == alive.tolist()
    enrolled = state == State.ENROLLED
    assert (st.view("school")[enrolled] >= 0).all()
    assert (st.view("year")[enrolled] >= 1).all()
    assert (st.view("year")[enrolled] <= model.p.students.programme_years).all()


def test_conservation_every_month(small_params):
    model = SkillsModel(small_params, seed=3)
    _check_conservation(model)
    entered = model.students.n
    while model.running:
        model.step()
        _check_conservation(model)
        assert model.students.n >= entered  # rows are never deleted
        entered = model.students.n
    # Somebody went through every stage: drop-out, graduation destinations and admission.
    counts = model.students.count_states()
    for state in (State.DROPPED_OUT, State.LOCAL_MATCHED, State.LOCAL_UNMATCHED, State.OUTSIDE,
                  State.FURTHER_STUDY, State.NOT_EMPLOYED):
        assert counts[state] > 0, state


def test_mesa_agents_on_the_grid(small_run):
    model = small_run
    assert isinstance(model, mesa.Model)
    for kind in (Student, School, Enterprise):
        agents = model.agents_by_type[kind]
        assert len(agents) > 0
        for agent in list(agents)[:50]:
            assert agent.cell is not None and agent in agent.cell.agents
    schools = model.agents_by_type[School]
    assert len(schools) == model.schools.n
    student = next(iter(model.agents_by_type[Student]))
    assert student.track in ("secondary", "higher") and student.major_group in model.groups
    assert student.school in list(schools)
    firm = next(iter(model.agents_by_type[Enterprise]))
    pay = firm.wage_yuan_month
    assert pay["higher"] > pay["secondary"] > 0 and firm.sector in model.groups


def test_grid_occupancy_matches_the_agents(small_run, small_params):
    """The city's cells (``CityCell``: O(1) add and remove) hold exactly the live agents, and
    Mesa's ``empty`` property layer and cell collections agree with them."""
    model, grid = small_run, small_run.city.grid
    placed = {}
    for agent in model.agents:
        placed.setdefault(agent.cell, []).append(agent)
    for cell in grid.all_cells:
        here = placed.get(cell, [])
        assert sorted(a.unique_id for a in cell.agents) == sorted(a.unique_id for a in here)
        assert cell.is_empty == (not here)
        assert grid.empty.data[cell.coordinate] == (not here)
    assert len(list(grid.all_cells.agents)) == len(model.agents)
    assert grid.empties.cells and all(c.is_empty for c in grid.empties)

    # Leaving empties the cell (and the layer); joining fills it again.
    model = SkillsModel(small_params, seed=1)  # not the shared run: this changes the model
    grid = model.city.grid
    cell = next(c for c in grid.all_cells if len(c.agents) == 1 and isinstance(c.agents[0], Student))
    student = cell.agents[0]
    student.remove()
    assert cell.is_empty and grid.empty.data[cell.coordinate] and student.cell is None
    assert student not in model.agents
    newcomer = Student(model, student.idx, cell)
    assert cell.agents == [newcomer] and not grid.empty.data[cell.coordinate]
    with pytest.raises(KeyError):
        cell.remove_agent(student)  # not there any more


def test_runs_to_horizon_and_stops(small_run):
    model = small_run
    assert model.running is False
    assert len(model.dates) == 12 * model.p.run.years
    assert model.dates[0] == (model.p.run.start_year, 1)
    steps_before = model.steps
    model.step()  # a finished model does not advance
    assert len(model.dates) == 12 * model.p.run.years and model.steps == steps_before + 1


def test_outputs_follow_the_interface(small_run):
    annual = small_run.annual()
    assert list(annual.columns) == ["scenario", "replicate", "seed", "year", "target", "value",
                                    "threshold", "met"]
    assert set(annual["target"]) == {f"T{i}" for i in range(1, 10)}
    assert (annual["met"] == (annual["value"] >= annual["threshold"])).all()
    shares = annual["target"].isin(["T1", "T9"])
    assert annual.loc[shares, "value"].between(0, 1).all()
    assert (annual.loc[~shares, "value"] >= 0).all()
    monthly = small_run.monthly()
    assert list(monthly.columns) == ["scenario", "replicate", "seed", "date", "indicator", "value"]
    for name in ["enrolled.secondary", "enrolled.higher", "entrants.secondary", "graduates.higher",
                 "destination.secondary.local_matched", "destination.higher.not_employed",
                 "vacancies.posted", "vacancies.filled", "vacancies.unfilled", "spend.total_yuan"]:
        assert name in set(monthly["indicator"]), name
    assert set(monthly["indicator"]) == set(MONTHLY_INDICATORS)
    assert monthly["date"].nunique() == 24


def test_flows_add_up(small_run):
    """Graduates of a year = their destinations; filled + unfilled = posted."""
    wide = small_run.datacollector.get_model_vars_dataframe()
    wide["year"] = [y for y, _ in small_run.dates]
    yearly = wide.groupby("year").sum()
    for track in ("secondary", "higher"):
        dest = yearly[[c for c in yearly if c.startswith(f"destination.{track}.")]].sum(axis=1)
        assert (dest == yearly[f"graduates.{track}"]).all()
    assert (yearly["vacancies.filled"] + yearly["vacancies.unfilled"] == yearly["vacancies.posted"]).all()


def test_same_seed_same_numbers_different_seed_different(small_params):
    a = SkillsModel(small_params, seed=11).run()
    b = SkillsModel(small_params, seed=11).run()
    c = SkillsModel(small_params, seed=12).run()
    pd.testing.assert_frame_equal(a.annual(), b.annual())
    pd.testing.assert_frame_equal(a.monthly(), b.monthly())
    assert not np.allclose(a.annual()["value"], c.annual()["value"])


def test_keyword_overrides_and_batch_run():
    model = SkillsModel(seed=1, **{"run.persons_per_agent": 20}, run__years=1)
    assert model.p.run.persons_per_agent == 20 and model.p.run.years == 1
    results = mesa.batch_run(SkillsModel, {"seed": [1, 2], "run.persons_per_agent": 20},
                             max_steps=3, number_processes=1, display_progress=False)
    assert len(results) == 2 and all("enrolled.secondary" in r for r in results)


@pytest.mark.slow
def test_full_scale_baseline():
    """The shipped baseline is 1:1 with >= 50,000 students, >= 1,000 firms, >= 20 schools."""
    model = SkillsModel(seed=1)
    assert model.persons_per_agent == 1
    assert len(model.agents_by_type[Enterprise]) >= 1000
    assert len(model.agents_by_type[School]) >= 20
    assert model.p.run.years >= 6
    model.run()
    wide = model.datacollector.get_model_vars_dataframe()
    enrolled = wide["enrolled.secondary"] + wide["enrolled.higher"]
    assert enrolled.min() >= 50_000
    # The enrolled Mesa agents are the students themselves, one each.
    assert len(model.agents_by_type[Student]) == int(enrolled.iloc[-1])


def test_released_models_are_freed(small_params):
    """Many replicates in one worker must not keep every finished city in memory."""
    import gc
    import weakref

    from sim.experiments.runner import run_one
    from sim.model.model import SkillsModel  # the class the runner builds (sim.SkillsModel adds .plot)

    refs = []
    original = SkillsModel.release

    def spy(self):
        refs.append(weakref.ref(self))
        original(self)

    SkillsModel.release = spy
    try:
        for seed in range(2):
            run_one(small_params, seed=seed, monthly=False)
    finally:
        SkillsModel.release = original
    gc.collect()
    assert len(refs) == 2 and all(r() is None for r in refs)
