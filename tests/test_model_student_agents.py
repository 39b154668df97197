"""``run.student_agents``: Mesa Student objects or the column arrays alone, the same numbers.

Batch commands run without Student objects (the faster mode); someone looking at a model gets
one Mesa agent per student. Both must draw the same numbers in the same order, so every table
is identical for the same seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel, load_params
from sim.experiments.folders import manifest
from sim.experiments.runner import batch_params, run_one
from sim.model.agents import Enterprise, School, Student
from sim.model.students import State
from sim.params import ParamError

SCENARIOS = Path(__file__).parent.parent / "params" / "scenarios"
COARSE = {"run.persons_per_agent": 20, "run.years": 3}


def _tables(model: SkillsModel) -> dict[str, pd.DataFrame]:
    return {"annual": model.annual(), "monthly": model.monthly(), "ledger": model.ledger()}


@pytest.mark.parametrize("scenario", [None, SCENARIOS / "status_quo.toml"])
@pytest.mark.parametrize("seed", [3, 17, 2024])
def test_both_modes_give_identical_tables(scenario, seed):
    params = load_params(scenario, COARSE)
    with_objects = SkillsModel(params, seed=seed, **{"run.student_agents": True}).run()
    arrays_only = SkillsModel(params, seed=seed, **{"run.student_agents": False}).run()
    assert with_objects.student_agents and not arrays_only.student_agents
    assert len(with_objects.agents_by_type[Student]) > 0
    assert Student not in arrays_only.agents_by_type
    a, b = _tables(with_objects), _tables(arrays_only)
    for name in a:
        assert len(a[name]) > 0, name
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
        # Byte for byte, as the files would be written.
        assert a[name].to_csv(index=False) == b[name].to_csv(index=False), name


def test_object_mode_holds_one_agent_per_student_in_the_system_every_month():
    model = SkillsModel(seed=5, **COARSE)  # "auto" in Python: objects
    assert model.student_agents
    while model.running:
        model.step()
        state = model.students.view("state")
        rows = np.flatnonzero((state == State.ENROLLED) | (state == State.SEARCHING))
        agents = model.agents_by_type[Student]
        assert sorted(a.idx for a in agents) == rows.tolist()
        assert all(a.cell is model.city.cell(int(model.students.home[a.idx])) for a in agents)


def test_batch_mode_keeps_schools_and_enterprises_as_agents():
    model = SkillsModel(seed=5, **{**COARSE, "run.years": 1, "run.student_agents": False}).run()
    assert len(model.agents_by_type[School]) == model.schools.n
    assert len(model.agents_by_type[Enterprise]) == model.enterprises.n
    assert len(model.agents) == model.schools.n + model.enterprises.n
    assert (model.students.count_states()[State.ENROLLED]) > 0


def test_batch_commands_default_to_arrays_and_an_explicit_setting_wins():
    auto = load_params(overrides=COARSE)
    assert auto.run.student_agents == "auto"
    assert batch_params(auto).run.student_agents is False
    explicit = load_params(overrides={**COARSE, "run.student_agents": True})
    assert batch_params(explicit).run.student_agents is True
    assert batch_params(load_params(overrides={"run.student_agents": False})).run.student_agents is False
    # The manifest says which mode the runs took.
    assert manifest("forecast", auto.to_dict(), [1], "now")["student_agents"] is False
    assert manifest("forecast", explicit.to_dict(), [1], "now")["student_agents"] is True
    assert manifest("forecast", {"best": explicit.to_dict()}, [1], "now")["student_agents"] is True


def test_run_one_gives_the_tables_of_an_object_mode_model():
    params = load_params(overrides={**COARSE, "run.years": 2})
    batch = run_one(params, seed=9)
    model = SkillsModel(params, seed=9).run()
    assert model.student_agents
    pd.testing.assert_frame_equal(batch.annual, model.annual(), check_exact=True)
    pd.testing.assert_frame_equal(batch.monthly, model.monthly(), check_exact=True)


def test_a_bad_student_agents_value_is_refused_naming_the_field():
    with pytest.raises(ParamError, match=r"student_agents = .sometimes.: Input should be True, False or .auto."):
        load_params(overrides={"run.student_agents": "sometimes"})


@pytest.mark.parametrize("setting, expected", [(None, False), ("true", True)])
def test_the_run_command_records_its_mode_in_the_manifest(tmp_path, setting, expected):
    import json

    from sim.interfaces.cli import main

    extra = [] if setting is None else ["--set", f"run.student_agents={setting}"]
    out = tmp_path / "run"
    assert main(["run", "--seed", "3", "--out", str(out), "--set", "run.persons_per_agent=20",
                 "--set", "run.years=1", *extra]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["student_agents"] is expected
