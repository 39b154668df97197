"""Apprenticeship (T5): modern apprenticeship for students and new-type apprenticeship for staff.

Each September every enterprise decides whether to take apprentices this year. The decision
weighs the net cost per apprentice against the subsidy (while the apprenticeship line can pay)
and what similar firms nearby did last year (same sector and district):

    P(take) = execution * propensity_e
              * logistic(base + peer_weight * peer share - (net cost - e) / scale)

where e is the subsidy per head the firm can expect: the per-head subsidy while the scheme's
share of the apprenticeship line covers everyone who wants it, line / heads wanted once it is
rationed (``expected_subsidy``: a larger subsidy per head never buys fewer apprentices). The
line is split between the two schemes by ``student_share_of_line`` (they are funded through
different channels), so raising one scheme's subsidy does not take money from the other.

taken separately for students (modern apprenticeship: ``students_per_100_staff`` second-year
students of its sector's major at a partner school, more if they share a training base) and for
employees (new-type apprenticeship: ``employees_per_100_staff`` staff for ``newtype_months``).
Apprentices drop out at ``dropout_per_year``; a student apprentice who graduates gets the host
firm's post with ``beta_apprentice_offer`` extra utility. T5 counts apprentices started per year.
"""

from __future__ import annotations

import numpy as np

from sim.model.enrollment import stochastic_round
from sim.model.students import RowsBySchoolGroup, State
from sim.model.programmes.base import Programme, expected_subsidy, logistic


class Apprenticeship(Programme):
    name = "apprenticeship"
    budget_line = "apprenticeship"

    def __init__(self, model, levers):
        super().__init__(model, levers)
        n = model.enterprises.n
        self.newtype_active = np.zeros(n, dtype=np.int64)   # employee apprentices in training (agents)
        self.hosted_last_year = np.zeros(n, dtype=bool)

    def schedule(self):
        return [(None, "apprenticeship progress", self.progress),
                (self.levers.month, "apprenticeship intake", self.intake)]

    def _peer_share(self, model) -> np.ndarray:
        """(E,) share of same-sector firms in the same district that hosted apprentices."""
        ent = model.enterprises
        district = model.city.district[ent.cell]
        key = ent.sector.astype(np.int64) * (district.max() + 1) + district
        hosts = np.bincount(key, weights=self.hosted_last_year, minlength=key.max() + 1)
        firms = np.bincount(key, minlength=key.max() + 1)
        return hosts[key] / np.maximum(firms[key], 1)

    def _decide(self, model, net_cost, subsidy, count, unit, line, u):
        """(E,) which firms take ``count`` apprentices. A firm weighs the subsidy per head it
        can expect from its stream's share of the line (``expected_subsidy``), so a larger
        per-head subsidy never buys fewer apprentices; ``unit`` is yuan of line per agent and
        yuan of subsidy (duration and persons per agent)."""
        lv, ent = self.levers, model.enterprises
        base = lv.base_log_odds + lv.peer_weight * self._peer_share(model)
        scale = self.execution() * ent.propensity

        def p_take(e):
            return scale * logistic(base - (net_cost - e) / lv.decision_scale_yuan)

        e = expected_subsidy(subsidy, line, lambda e: e * unit * float((p_take(e) * count).sum()))
        return u < p_take(e)

    def _pay(self, model, line: float, subsidy: float, agents: int, unit: float) -> float:
        """Pay the stream's heads while its share of the line lasts; returns what is left."""
        amount = min(line, subsidy * agents * unit)
        model.budget.pay(self.budget_line, amount)
        return line - amount

    def intake(self, model) -> None:
        if not self.active:
            return
        lv, ent, ppa = self.levers, model.enterprises, model.persons_per_agent
        staff = ent.employees
        # The line is split between the two schemes (funded through different channels).
        line = model.budget.available[self.budget_line]
        line_students = line * lv.student_share_of_line
        line_employees = line - line_students
        # New-type apprenticeship: employees, enterprise-led.
        # Decisions draw from their own stream (a fixed number of draws a year), so placement
        # and drop-out draws, which vary with the number of hosts, do not reshuffle them.
        draw = model.rng_for("apprenticeship decisions")
        n_emp = stochastic_round(draw, staff * lv.employees_per_100_staff / 100.0 / ppa)
        unit = lv.newtype_months / 12.0 * ppa
        take_emp = self._decide(model, lv.net_cost_employee_yuan, lv.subsidy_per_employee_yuan,
                                n_emp, unit, line_employees, draw.random(ent.n))
        started_emp = int(n_emp[take_emp].sum())
        self._pay(model, line_employees, lv.subsidy_per_employee_yuan, started_emp, unit)
        self.newtype_active[take_emp] += n_emp[take_emp]

        # Modern apprenticeship: students, school-led, at partner schools.
        shares_base = model.partnerships.base.any(axis=0)
        factor = np.where(shares_base, model.p.training_bases.apprentice_capacity_factor, 1.0)
        planned = staff * lv.students_per_100_staff / 100.0 * factor  # persons, unrounded
        n_stu = stochastic_round(draw, planned / ppa)
        take_stu = self._decide(model, lv.net_cost_student_yuan, lv.subsidy_per_student_yuan,
                                n_stu, ppa, line_students, draw.random(ent.n))
        started_stu = self._place_students(model, take_stu, n_stu, planned)
        self._pay(model, line_students, lv.subsidy_per_student_yuan, started_stu, ppa)
        # Peers see the decision to take apprentices (not how many came), whatever the scale.
        self.hosted_last_year = take_emp | take_stu
        model.flow("apprentices.started_students", started_stu)
        model.flow("apprentices.started_employees", started_emp)

    def _place_students(self, model, take_stu, n_stu, planned) -> int:
        """Host firms take second-year students of their sector's major at a partner school."""
        lv, st, ppa = self.levers, model.students, model.persons_per_agent
        eligible = ((st.view("state") == State.ENROLLED) & (st.view("year") == lv.student_year)
                    & (st.view("apprentice_firm") < 0))
        started = 0
        by_major = RowsBySchoolGroup(st, eligible, len(model.groups))
        for e in np.flatnonzero(take_stu):  # a loop over host firms, not students
            school, pool = self.partner_students(e, by_major, eligible)
            if school < 0:
                continue
            take = self.rng.permutation(pool)[: n_stu[e]]
            if take.size == 0:
                continue
            st.apprentice_firm[take] = e
            eligible[take] = False
            model.partnerships.touch(school, e, model.year)
            # The pair's record counts persons planned (capped by the pool), not rounded
            # agents, so the combo criterion reads the same at any persons per agent.
            model.partnerships.apprentices[school, e] += min(planned[e], pool.size * ppa)
            started += take.size
        return started

    def progress(self, model) -> None:
        """Every month: apprentices drop out; employee apprenticeships complete."""
        lv, rng, st = self.levers, self.rng, model.students
        monthly_drop = 1.0 - (1.0 - lv.dropout_per_year) ** (1.0 / 12.0)
        if self.newtype_active.any():
            dropped = rng.binomial(self.newtype_active, monthly_drop)
            self.newtype_active -= dropped
            done = rng.binomial(self.newtype_active, 1.0 / lv.newtype_months)
            self.newtype_active -= done
            model.flow("apprentices.completed_employees", int(done.sum()))
        holders = np.flatnonzero((st.view("apprentice_firm") >= 0) & (st.view("state") == State.ENROLLED))
        quit_ = holders[rng.random(holders.size) < monthly_drop]
        st.apprentice_firm[quit_] = -1
