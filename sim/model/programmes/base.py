"""The base of the plan's programmes: a small object that acts on the model (as Starsim's
interventions), with its levers, budget line, launch month and schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import SkillsModel

Schedule = list[tuple[int | None, str, Callable[[object], None]]]


class Programme:
    """Base class: ``levers`` is the programme's parameter section (with enabled/launch)."""

    name = "programme"
    budget_line: str | None = None

    def __init__(self, model: SkillsModel, levers):
        self.model = model
        self.levers = levers

    @property
    def active(self) -> bool:
        """True from the launch month on, if the programme is enabled."""
        return self.model.launched(self.levers)

    @property
    def rng(self):
        """This programme's own random stream (see ``SkillsModel.rng_for``)."""
        return self.model.rng_for(self.name)

    def schedule(self) -> Schedule:
        return []

    def setup(self) -> None:
        """Called once after the city is built (for what exists at the start)."""

    def execution(self) -> float:
        """Share of decided actions carried out (raised by the joint meeting)."""
        return self.model.programmes.joint_meeting.execution()

    def partner_students(self, firm: int, by_major, eligible: np.ndarray):
        """A partner school for ``firm`` that teaches the firm's sector, and its students of
        that major still ``eligible`` (``by_major``: a ``RowsBySchoolGroup`` of candidates).
        Returns (school, rows), or (-1, no rows) if no school teaches the sector."""
        model = self.model
        group = int(model.enterprises.sector[firm])
        school = model.partnerships.choose_school(model, firm, group, self.rng)
        if school < 0:
            return school, np.empty(0, dtype=np.int64)
        pool = by_major.get(school, group)
        return school, pool[eligible[pool]]


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def expected_subsidy(subsidy: float, line_yuan: float, spend_at) -> float:
    """The subsidy per head that deciders can expect from a per-head subsidy on a limited line.

    The line pays ``subsidy`` per head while it lasts; when the heads wanted exceed what it
    covers, a head is funded with probability line / (subsidy * heads), so the expected subsidy
    is min(subsidy, line / heads). Deciders who know the line is rationed weigh that expected
    subsidy, and the heads wanted depend on it: the fixed point
    e = min(subsidy, line / heads(e)), found by bisection on ``spend_at(e)`` = e * heads(e)
    (yuan, increasing in e). A larger subsidy never lowers e, so it never buys fewer heads;
    once the line binds, e (and the heads) no longer depend on the subsidy per head."""
    if subsidy <= 0:
        return 0.0
    if spend_at(subsidy) <= line_yuan:
        return float(subsidy)
    lo, hi = 0.0, float(subsidy)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if spend_at(mid) <= line_yuan:
            lo = mid
        else:
            hi = mid
    return lo
