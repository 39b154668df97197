"""One spin-up shared by the scenarios of a seed.

The spin-up runs the status quo (``run.spinup_settings``) for ``run.spinup_years`` before the
plan year, so scenarios that differ only in their levers (the budget and the programmes'
sections) reach the plan year in the same state for the same seed. :class:`WarmStart` runs
that spin-up once, keeps the model as it stands then (a pickle: its agents, tables, budget and
every random stream), and starts each such scenario from a fresh copy, switching to the
scenario's levers in January of the plan year exactly as a run from scratch does. A scenario
whose other parameters differ is refused (it needs its own spin-up:
:func:`sim.params.spinup_key`).
"""

from __future__ import annotations

import itertools
import pickle

import mesa

from sim.model.model import SkillsModel
from sim.params import Params, spinup_key


class WarmStart:
    """The model of ``params`` and ``seed`` spun up to the plan year, ready to be continued."""

    def __init__(self, params: Params, seed: int):
        self.key = spinup_key(params)
        model = SkillsModel(params, seed=seed, plan=False)
        self.seed = int(seed)
        self._frozen = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        # Mesa numbers agents from a class-level counter per model, which a copy does not
        # carry: each copy continues from where this model's counter stood.
        self._next_id = next(mesa.Agent._ids[model])
        mesa.Agent._ids[model] = itertools.count(self._next_id)
        self._model: SkillsModel | None = model  # the first scenario takes the model itself

    def fits(self, params: Params) -> bool:
        """True if ``params`` spins up to this model (lever sections aside)."""
        return spinup_key(params) == self.key

    def start(self, params: Params, scenario: str = "baseline", replicate: int = 0) -> SkillsModel:
        """This spun-up city continued from the plan year as ``params``: the first call gets the
        spun-up model itself, later calls a fresh copy (so only the pickle waits in memory
        while the first scenario runs).

        Raises ValueError if ``params`` would have spun up differently."""
        if self._model is not None:
            model = self._model
            model.start_plan(params, scenario=scenario, replicate=replicate)  # may refuse
            self._model = None
            return model
        model = pickle.loads(self._frozen)
        mesa.Agent._ids[model] = itertools.count(self._next_id)
        model.start_plan(params, scenario=scenario, replicate=replicate)
        return model

    def close(self) -> None:
        """Let go of the spun-up model (if no scenario took it) and of its pickle."""
        if self._model is not None:
            self._model.release()
        self._model, self._frozen = None, b""
