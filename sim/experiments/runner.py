"""Running one simulation to the horizon and collecting its tables.

Kept apart from the model so forecasts, sweeps and the command line share one entry point
that a worker process can import and call with plain, picklable arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.experiments.progress import Progress, track
from sim.model.model import SkillsModel
from sim.model.observables import annual_observables
from sim.params import Params


@dataclass
class RunResult:
    annual: pd.DataFrame
    monthly: pd.DataFrame | None
    ledger: pd.DataFrame | None = None
    observables: pd.DataFrame | None = None  # year, indicator, value (see sim.model.observables)
    districts: pd.DataFrame | None = None    # the districts.parquet rows (see sim.model.districts)
    target_flows: pd.DataFrame | None = None  # T3.trained and the stock targets' yearly flows


def batch_student_agents(setting: bool | str) -> bool:
    """Whether a batch run builds Mesa Student objects: only if the parameters say ``true``.

    ``run.student_agents = "auto"`` (the baseline's) means objects for someone looking at a
    model (``SkillsModel()``, the dashboard) and the column arrays alone here, where only the
    tables are kept; an explicit ``true`` or ``false`` from a file or ``--set`` wins."""
    return setting is True


def batch_params(params: Params) -> Params:
    """``params`` with ``run.student_agents`` resolved for a batch run (see above)."""
    mode = batch_student_agents(params.run.student_agents)
    if params.run.student_agents is mode:
        return params
    return params.model_copy(update={"run": params.run.model_copy(update={"student_agents": mode})})


def run_one(
    params: Params,
    seed: int,
    scenario: str = "baseline",
    replicate: int = 0,
    monthly: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate one city to the horizon; return its annual (and monthly) tables; months done go
    to ``progress`` (:mod:`sim.experiments.progress`)."""
    model = SkillsModel(batch_params(params), seed=seed, scenario=scenario, replicate=replicate)
    months = params.run.years * 12
    with track(progress, months, "months", unit="mo") as bar:
        while model.running:
            model.step()
            bar.update(1)
    return collect(model, monthly)


def collect(model: SkillsModel, monthly: bool = True) -> RunResult:
    """The tables of a finished run; the model is released (see ``SkillsModel.release``)."""
    result = RunResult(model.annual(), model.monthly() if monthly else None, model.ledger(),
                       annual_observables(model), districts=model.districts(),
                       target_flows=model.target_flows())
    model.release()
    return result
