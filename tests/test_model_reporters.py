"""The plan's targets as DataCollector reporters (T1..T9 and T1_met..), so `mesa.batch_run`
users get them, and `SkillsModel.plot()` for one run. A small city (20 persons per agent, 2 years)."""

from __future__ import annotations

import mesa
import numpy as np
from matplotlib.figure import Figure

from sim import SkillsModel, load_params

SMALL = {"run.persons_per_agent": 20, "run.years": 2}


def test_batch_run_returns_every_target_and_its_met_flag_as_the_annual_table():
    p = load_params(None, SMALL)
    rows = mesa.batch_run(SkillsModel, parameters={"params": [p], "seed": [7]}, iterations=1,
                          max_steps=24, number_processes=1, data_collection_period=-1,
                          display_progress=False)
    assert len(rows) == 1
    row = rows[0]
    annual = SkillsModel(p, seed=7).run().annual()
    last = annual[annual["year"] == annual["year"].max()].set_index("target")
    assert {f"T{i}" for i in range(1, 10)} <= set(row) and {f"T{i}_met" for i in range(1, 10)} <= set(row)
    for target, r in last.iterrows():
        assert row[target] == r["value"], target
        assert row[f"{target}_met"] == bool(r["met"]), target


def test_target_reporters_are_empty_until_a_year_is_complete_then_last_complete_year():
    p = load_params(None, SMALL)
    model = SkillsModel(p, seed=3)
    for _ in range(13):
        model.step()
    wide = model.datacollector.get_model_vars_dataframe()
    assert wide["T2"].iloc[:11].isna().all() and wide["T2_met"].iloc[:11].isna().all()
    first = model.annual()
    value = first.loc[(first["target"] == "T2") & (first["year"] == p.run.start_year), "value"]
    assert wide["T2"].iloc[11] == wide["T2"].iloc[12] == value.iloc[0]  # December, then January
    monthly = model.monthly()
    assert not monthly["indicator"].str.match(r"T\d").any()  # monthly.parquet keeps its schema
    fig = model.run().plot()
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.has_data()]) == 9
    assert np.isfinite(model.datacollector.get_model_vars_dataframe()["T9"].iloc[-1])
