"""School-enterprise partnerships: who cooperates with whom, since when, and how deeply.

Partnerships live in dense (schools x enterprises) arrays: a city has tens of schools and a
few thousand firms, so the table is small and every question about it is one array operation.
A firm looking for a partner school weighs each school that teaches the group it needs by

    w_s = exp(-km(firm, school) / decay) * (1 + w_partner * already partners)
          * (1 + w_group * same vocational education group)

(with the information platform on, distance no longer limits the search).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


class PartnershipTable:
    def __init__(self, n_schools: int, n_enterprises: int):
        shape = (n_schools, n_enterprises)
        self.since_year = np.zeros(shape, dtype=np.int16)       # 0 = no partnership
        self.last_active = np.zeros(shape, dtype=np.int16)
        self.order_classes = np.zeros(shape, dtype=np.int32)    # classes run together
        self.apprentices = np.zeros(shape, dtype=np.float64)    # apprentices hosted (persons)
        self.base = np.zeros(shape, dtype=bool)                 # a co-built training base
        self.combo = np.zeros(shape, dtype=bool)                # certified demonstration combo
        self.school_group = np.full(n_schools, -1, dtype=np.int32)
        self.enterprise_group = np.full(n_enterprises, -1, dtype=np.int32)
        self._reach: dict[float, np.ndarray] = {}  # search decay km -> (firms, schools) weights

    @property
    def active(self) -> np.ndarray:
        return self.since_year > 0

    def touch(self, school: int, firm: int, year: int) -> None:
        """Record cooperation between a school and a firm this year (starting one if new)."""
        if self.since_year[school, firm] == 0:
            self.since_year[school, firm] = year
        self.last_active[school, firm] = year

    def choose_school(self, model: SkillsModel, firm: int, group: int, rng: np.random.Generator) -> int:
        """A partner school teaching ``group`` for ``firm``, or -1 if none does (drawn with the
        calling programme's random stream)."""
        pp = model.p.partnerships
        # The factors are 1 or 1 + weight, so each product is the one the formula gives; a
        # firm in no group multiplies by 1 throughout, which changes nothing.
        w = self._reach_weights(model)[firm] * np.where(self.since_year[:, firm] > 0,
                                                         1.0 + pp.existing_partner_weight, 1.0)
        g = self.enterprise_group[firm]
        if g >= 0:
            w *= np.where(self.school_group == g, 1.0 + pp.group_weight, 1.0)
        w[~model.schools.offered[:, group]] = 0.0
        total = w.sum()
        if total <= 0:  # no school teaches the group (or none within reach)
            return -1
        # ``rng.choice(n, p=w / total)`` without its argument checks (thousands of calls a
        # year): the same cumulative sum and the same single uniform draw.
        cdf = (w / total).cumsum()
        cdf /= cdf[-1]
        return int(cdf.searchsorted(rng.random(), side="right"))

    def _reach_weights(self, model: SkillsModel) -> np.ndarray:
        """(firms, schools) distance weights ``exp(-km / decay)`` for the search decay in force.

        Firms and schools do not move, and the decay changes only when the platform starts, so
        the table is computed once per decay rather than once per search."""
        decay = model.programmes.platform.partner_search_decay_km()
        reach = self._reach.get(decay)
        if reach is None:
            schools, firms = model.schools.cell, model.enterprises.cell
            if np.isfinite(decay):
                reach = np.exp(-model.city.km(schools[None, :], firms[:, None]) / decay)
            else:
                reach = np.ones((len(firms), len(schools)))
            self._reach[decay] = reach
        return reach

    def dissolve_idle(self, model: SkillsModel) -> None:
        """December: some partnerships with no activity this year end (fewer within a group)."""
        pp = model.p.partnerships
        idle = self.active & (self.last_active < model.year) & ~self.combo & ~self.base
        same = (self.school_group[:, None] == self.enterprise_group[None, :]) & (self.school_group[:, None] >= 0)
        hazard = pp.idle_dissolution_per_year * np.where(same, pp.group_dissolution_factor, 1.0)
        ends = idle & (model.rng_for("partnerships").random(idle.shape) < hazard)
        self.since_year[ends] = 0
        self.order_classes[ends] = 0
        self.apprentices[ends] = 0
        model.flow("partnerships.ended", int(ends.sum()))
