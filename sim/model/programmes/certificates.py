"""The "1+X" certificate pilot (T6): schools apply to open pilot majors, the bureau approves
them with a grant, final-year students sit the exam, and employers value the certificate.

Each spring (``month``) every school the bureau would accept (four-star, or reputation at
least ``min_reputation``) weighs opening a pilot in its offered majors that it can staff, and
applies for the best ``applications_per_school`` of them with

    P(apply) = logistic(net / decision_scale_yuan), over the pilot's ``horizon_years``:
    net = grant - set-up - teachers_per_pilot * teacher_training
          + horizon * examinees a year * (P(pass) * employer_weight * value_per_ranking_sd
                                          - exam_fee)

The gain is the certificate's worth to the school's graduates: employers rank holders
``employer_weight`` ability-sd higher (as the labour market does), and the school values a
graduate's better standing at ``value_per_ranking_sd_yuan`` per sd. The set-up (exam site,
equipment) costs ``setup_cost_yuan``, less ``base_equipment_share`` of it where the school
co-runs a productive training base with a firm of the major's sector. Teaching capacity: a
major can run the pilot only if its dual-qualified teachers (students / ``students_per_teacher``
* ``dual_qualified_share``) reach ``teachers_per_pilot``. The bureau approves applicants
four-star first, then by reputation, each with a grant from the certificates line while it
lasts. So the count comes from schools' applications, limited by staff and sometimes by money.

Final-year students in pilot majors sit the exam in ``exam_month``:

    P(pass) = logistic(pass_log_odds + pass_ability_coef * ability + pass_base_coef * has base)
"""

from __future__ import annotations

import numpy as np

from sim.model.students import State
from sim.model.programmes.base import Programme, logistic


class Certificates(Programme):
    name = "certificates"
    budget_line = "certificates"

    def schedule(self):
        return [(self.levers.month, "1+X pilot applications and approval", self.approve),
                (self.levers.exam_month, "1+X exams", self.exams)]

    def setup(self) -> None:
        """Pilot majors already running at the start (national pilots), in the bureau's order,
        one per school a round, among majors the schools can staff."""
        sch, left = self.model.schools, self.levers.initial_pilot_majors
        while left > 0:
            s, g = self.best_majors(self.candidates(), np.ones(sch.n, dtype=bool))
            if s.size == 0:
                return
            for k in self.bureau_order(s, g)[:left]:
                sch.pilot[s[k], g[k]] = True
                left -= 1

    # -- the schools' decision --------------------------------------------------------------
    def candidates(self) -> np.ndarray:
        """(S, G) majors a school could open as pilots: offered, not yet a pilot, at a school
        the bureau accepts, with enough dual-qualified teachers."""
        sch, lv = self.model.schools, self.levers
        accepted = sch.four_star | (sch.reputation >= lv.min_reputation)
        return sch.offered & ~sch.pilot & accepted[:, None] & self.staffable()

    def staffable(self) -> np.ndarray:
        """(S, G) majors with at least ``teachers_per_pilot`` dual-qualified teachers."""
        model, lv = self.model, self.levers
        st, G = model.students, len(model.groups)
        enrolled = st.view("state") == State.ENROLLED
        key = st.view("school")[enrolled].astype(np.int64) * G + st.view("group")[enrolled]
        students = np.bincount(key, minlength=model.schools.n * G).reshape(-1, G)
        teachers = students * model.persons_per_agent / lv.students_per_teacher
        return teachers * lv.dual_qualified_share >= lv.teachers_per_pilot

    def net_value(self) -> np.ndarray:
        """(S, G) yuan a pilot is worth to the school over ``horizon_years`` (see above)."""
        model, sch, lv = self.model, self.model.schools, self.levers
        p_pass = logistic(lv.pass_log_odds + lv.pass_base_coef * (sch.bases > 0))[:, None]
        examinees = sch.seats * model.persons_per_agent  # a cohort a year
        per_examinee = p_pass * lv.employer_weight * lv.value_per_ranking_sd_yuan - lv.exam_fee_yuan
        setup = lv.setup_cost_yuan * (1.0 - lv.base_equipment_share * self.base_in_group())
        return (lv.grant_per_major_yuan - setup - lv.teachers_per_pilot * lv.teacher_training_yuan
                + lv.horizon_years * examinees * per_examinee)

    def base_in_group(self) -> np.ndarray:
        """(S, G) True where the school shares a training base with a firm of that sector."""
        model = self.model
        shared = np.zeros((model.schools.n, len(model.groups)), dtype=bool)
        school, firm = np.nonzero(model.partnerships.base)  # a few bases among schools x firms
        shared[school, model.enterprises.sector[firm]] = True
        return shared

    def best_majors(self, candidates: np.ndarray, deciding: np.ndarray):
        """(schools, groups) of each deciding school's ``applications_per_school`` most
        valuable candidate majors, ranked by net value."""
        net = np.where(candidates, self.net_value(), -np.inf)
        k = self.levers.applications_per_school
        top = np.argsort(-net, axis=1, kind="stable")[:, :k]
        s = np.repeat(np.arange(net.shape[0]), top.shape[1])
        g = top.ravel()
        keep = np.isfinite(net[s, g]) & deciding[s]
        return s[keep], g[keep]

    def bureau_order(self, s: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Four-star schools first (the plan), then reputation; aligned majors first."""
        sch = self.model.schools
        return np.lexsort((~self.model.aligned[g], -sch.reputation[s], ~sch.four_star[s]))

    # -- the year's round ---------------------------------------------------------------------
    def approve(self, model) -> None:
        if not self.active:
            return
        lv, sch = self.levers, model.schools
        k = lv.applications_per_school
        # Fixed draws a year (one per school and slot), so lever levels share random numbers.
        u_apply = self.rng.random((sch.n, k))
        u_exec = self.rng.random((sch.n, k))
        s, g = self.best_majors(self.candidates(), np.ones(sch.n, dtype=bool))
        slot = _slot_of(s)
        net = self.net_value()[s, g]
        applies = u_apply[s, slot] < logistic(net / lv.decision_scale_yuan)
        s, g, slot = s[applies], g[applies], slot[applies]
        approved = unfunded = 0
        for i in self.bureau_order(s, g):
            if u_exec[s[i], slot[i]] >= self.execution():
                continue  # an application lost without supervision
            if not model.budget.pay(self.budget_line, lv.grant_per_major_yuan):
                unfunded += 1
                continue
            sch.pilot[s[i], g[i]] = True
            approved += 1
        model.flow("certificates.applications", s.size)
        model.flow("certificates.pilots_opened", approved)
        model.flow("certificates.unfunded", unfunded)

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


def _slot_of(schools: np.ndarray) -> np.ndarray:
    """Position of each entry among its school's entries (``schools`` grouped, in order)."""
    if schools.size == 0:
        return schools
    start = np.r_[0, np.flatnonzero(np.diff(schools)) + 1]
    return np.arange(schools.size) - np.repeat(start, np.diff(np.r_[start, schools.size]))
