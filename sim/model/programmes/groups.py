"""Vocational education groups (职业教育集团) and mixed-ownership colleges.

At the launch month the city forms ``n_groups`` groups, one for each of its largest leading or
emerging sectors. Schools teaching the sector's major group join with ``school_join_prob``
(one group per school); the sector's firms join with ``enterprise_join_prob`` times their
propensity to cooperate, and membership raises a firm's propensity by ``propensity_boost`` of
the gap to 1 (lower search and trust costs). Members find each other more easily and idle
partnerships inside a group last longer (see ``partnerships``). Leading firms co-run ``mixed_ownership_colleges``
industry colleges with partner schools: the school gains reputation and seats in the firm's
major group, and the pair becomes partners.
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme


class EducationGroups(Programme):
    name = "groups"

    def __init__(self, model, levers):
        super().__init__(model, levers)
        self.formed = False

    def schedule(self):
        return [(None, "education groups", self.form)]

    def form(self, model) -> None:
        if self.formed or not self.active:
            return
        self.formed = True
        lv, ent, sch, pt, rng = self.levers, model.enterprises, model.schools, model.partnerships, self.rng
        firms_by_sector = np.bincount(ent.sector, minlength=len(model.groups))
        sectors = [g for g in np.argsort(-firms_by_sector, kind="stable") if model.aligned[g]][: lv.n_groups]
        for k, g in enumerate(sectors):
            join = sch.offered[:, g] & (pt.school_group < 0) & (rng.random(sch.n) < lv.school_join_prob)
            pt.school_group[join] = k
            firms = (ent.sector == g) & (rng.random(ent.n) < lv.enterprise_join_prob * ent.propensity)
            pt.enterprise_group[firms] = k
            ent.propensity[firms] += lv.propensity_boost * (1.0 - ent.propensity[firms])
        model.flow("groups.formed", len(sectors))

        leaders = np.flatnonzero(ent.leading & model.aligned[ent.sector])
        leaders = leaders[np.argsort(-ent.employees[leaders], kind="stable")][: lv.mixed_ownership_colleges]
        extra = lv.mixed_extra_seats / model.persons_per_agent
        for e in leaders:
            g = int(ent.sector[e])
            school = pt.choose_school(model, e, g, self.rng)
            if school < 0:
                continue
            sch.reputation[school] += lv.mixed_reputation_gain
            sch.seats[school, g] += extra
            sch.capacity[school] += extra
            pt.touch(school, e, model.year)
            model.flow("mixed_colleges.formed", 1)
