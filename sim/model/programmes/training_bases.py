"""High-level productive training bases (T7), co-built by schools and enterprises.

Each year in ``month`` every enterprise with at least ``min_employees`` staff that has no base
yet considers co-building one with a partner school teaching its sector's group. The budget
pays ``public_capital_yuan``, the firm the rest of ``cost_yuan``:

    P(willing) = execution * propensity_e
                 * logistic((enterprise_benefit - (cost - public capital)) / decision_scale)

among the firms that can co-invest: their own share (cost - public capital) must fit in the
training money they can commit, ``co_investment_payroll_share`` of a year's payroll for
``co_investment_years``. The bureau funds willing firms, largest first, while the
training-base line can pay the public capital. So the line binds while more able firms are
willing than it funds (``training_bases.unfunded`` > 0); otherwise willingness and the ability to
co-invest do (``training_bases.able``, ``.willing``). A base takes ``build_months *
lognormal(0, build_months_sd_log) / execution`` months to build; once built it raises the
school's reputation, provides equipment for 1+X pilots in its firm's sector and raises their
pass rate, adds social-training capacity, and lets the partner firm take more apprentices.
T7 counts bases in operation at the end of the year.
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme, logistic


class TrainingBases(Programme):
    name = "training_bases"
    budget_line = "training_bases"

    def __init__(self, model, levers):
        super().__init__(model, levers)
        self.projects: list[tuple[int, int, int]] = []  # (school, firm, month index when built)
        self.has_base = np.zeros(model.enterprises.n, dtype=bool)

    def schedule(self):
        return [(self.levers.month, "training-base agreements", self.agree),
                (None, "training-base construction", self.construct)]

    def setup(self) -> None:
        model, ent = self.model, self.model.enterprises
        firms = np.argsort(-ent.employees, kind="stable")[: self.levers.initial_bases]
        for e in firms:
            school = model.partnerships.choose_school(model, e, int(ent.sector[e]), self.rng)
            if school >= 0:
                self._complete(school, e, initial=True)

    def agree(self, model) -> None:
        if not self.active:
            return
        lv, ent = self.levers, model.enterprises
        own_share = lv.cost_yuan - lv.public_capital_yuan
        net = lv.enterprise_benefit_yuan - own_share
        p = self.execution() * ent.propensity * logistic(net / lv.decision_scale_yuan)
        able = (ent.employees >= lv.min_employees) & ~self.has_base & self.can_co_invest(own_share)
        willing = able & (self.rng.random(ent.n) < p)
        started = unfunded = 0
        for e in np.flatnonzero(willing)[np.argsort(-ent.employees[willing], kind="stable")]:
            if not model.budget.can_pay(self.budget_line, lv.public_capital_yuan):
                unfunded += 1  # willing and able, but the line is spent: the budget binds
                continue
            school = model.partnerships.choose_school(model, e, int(ent.sector[e]), self.rng)
            if school < 0:
                continue
            model.budget.pay(self.budget_line, lv.public_capital_yuan)
            # Construction takes longer without supervision, and every project has its own delays.
            delay = float(np.exp(self.rng.normal(0.0, lv.build_months_sd_log)))
            months = int(np.ceil(lv.build_months * delay / self.execution()))
            self.projects.append((school, int(e), model.month_index + months))
            self.has_base[e] = True
            model.partnerships.touch(school, e, model.year)
            started += 1
        model.flow("training_bases.able", int(able.sum()))
        model.flow("training_bases.willing", int(willing.sum()))
        model.flow("training_bases.started", started)
        model.flow("training_bases.unfunded", unfunded)

    def can_co_invest(self, own_share: float):
        """(E,) firms whose training money over the commitment years covers their share of a
        base: ``co_investment_payroll_share`` of a year's payroll (graduate pay at the firm's
        wage index) times ``co_investment_years``."""
        ent, lv, lm = self.model.enterprises, self.levers, self.model.p.labour_market
        payroll = ent.employees * ent.wage_index * lm.wage_secondary_yuan_month * 12.0
        return own_share <= lv.co_investment_payroll_share * lv.co_investment_years * payroll

    def construct(self, model) -> None:
        done = [p for p in self.projects if p[2] <= model.month_index]
        self.projects = [p for p in self.projects if p[2] > model.month_index]
        for school, firm, _ in done:
            self._complete(school, firm)
        if done:
            model.flow("training_bases.built", len(done))

    def _complete(self, school: int, firm: int, initial: bool = False) -> None:
        model = self.model
        model.schools.bases[school] += 1
        model.schools.reputation[school] += self.levers.reputation_gain
        model.partnerships.base[school, firm] = True
        model.partnerships.touch(school, firm, model.year)
        self.has_base[firm] = True
