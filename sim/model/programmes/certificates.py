"""The "1+X" certificate pilot (T6): pilot majors, exams, and certificates that employers value.

Each spring the bureau approves new pilot majors with a grant from the certificates line:
four-star schools first (the plan wants all of them in the pilot), then other schools with
reputation at least ``min_reputation``, in order of reputation. A school can teach
``pilots_per_school`` pilot majors plus one per productive training base it has (teaching and
equipment capacity). Final-year students in pilot majors sit the exam in ``exam_month``:

    P(pass) = logistic(pass_log_odds + pass_ability_coef * ability + pass_base_coef * has base)

and employers rank certificate holders ``employer_weight`` (ability-sd units) higher.
"""

from __future__ import annotations

import numpy as np

from sim.model.students import State
from sim.model.programmes.base import Programme, logistic


class Certificates(Programme):
    name = "certificates"
    budget_line = "certificates"

    def schedule(self):
        return [(self.levers.month, "1+X pilot approval", self.approve),
                (self.levers.exam_month, "1+X exams", self.exams)]

    def setup(self) -> None:
        """Pilot majors already running at the start, at four-star schools first."""
        self._approve(self.levers.initial_pilot_majors, pay=False)

    def _candidates(self) -> np.ndarray:
        """(k, 2) school-group pairs in approval order."""
        sch, lv = self.model.schools, self.levers
        capacity = lv.pilots_per_school + sch.bases - sch.pilot.sum(axis=1)
        eligible_school = (sch.four_star | (sch.reputation >= lv.min_reputation)) & (capacity > 0)
        s, g = np.nonzero(sch.offered & ~sch.pilot & eligible_school[:, None])
        # Four-star first, then reputation; aligned majors before others at the same school.
        order = np.lexsort((~self.model.aligned[g], -sch.reputation[s], ~sch.four_star[s]))
        return np.column_stack([s[order], g[order]])

    def _approve(self, n_max: int, pay: bool) -> int:
        sch, lv, model = self.model.schools, self.levers, self.model
        approved = 0
        for s, g in self._candidates():
            if approved >= n_max:
                break
            if sch.pilot[s].sum() >= lv.pilots_per_school + sch.bases[s]:
                continue
            if pay:
                if self.rng.random() >= self.execution():
                    continue
                if not model.budget.pay(self.budget_line, lv.grant_per_major_yuan):
                    break
            sch.pilot[s, g] = True
            approved += 1
        return approved

    def approve(self, model) -> None:
        if not self.active:
            return
        model.flow("certificates.pilots_opened", self._approve(10**9, pay=True))

    def exams(self, model) -> None:
        if not self.active:
            return
        st, lv, sch = model.students, self.levers, model.schools
        sitting = np.flatnonzero((st.view("state") == State.ENROLLED)
                                 & (st.view("year") >= model.p.students.programme_years))
        sitting = sitting[sch.pilot[st.school[sitting], st.group[sitting]]]
        z = (lv.pass_log_odds + lv.pass_ability_coef * st.ability[sitting]
             + lv.pass_base_coef * (sch.bases[st.school[sitting]] > 0))
        passed = sitting[self.rng.random(sitting.size) < logistic(z)]
        st.certificate[passed] = True
        model.flow("certificates.examined", sitting.size)
        model.flow("certificates.awarded", passed.size)
