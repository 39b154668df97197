"""Order and named classes (订单班 / 冠名班): firms sponsor classes at partner schools (T2, T3).

Each October an enterprise considers classes with probability min(1, shortage /
``min_shortage_share``), where shortage is the share of its sector's major group's posts left
unfilled city-wide last season. It considers one class for every ``class_size`` posts it
expects to offer in that group until the class graduates (at most ``max_classes_per_firm``). It weighs the hires it expects from
a class against the class's cost and the subsidy (if the order-class line can still pay it):

    P(sponsor) = execution * logistic(logit(propensity_e)
                 + (value_per_hire * hire_share_e * class_size
                    + subsidy - cost_per_class) / decision_scale)

where ``hire_share_e`` is the share of its own class graduates the firm has hired so far, shrunk
towards ``expected_hire_share`` with the weight of ``hire_share_prior_persons`` graduates.

A sponsor picks a partner school teaching its sector's major group (see ``partnerships``) and
the school selects the ablest students of that major in their ``study_year`` who are not yet in
a class. Class members carry their sponsor; when they graduate the sponsor reserves posts for
them, and a sponsor's post is worth ``beta_sponsor_offer`` more to them than another job.
T3 counts order-class graduates hired in the city (by the sponsor or another firm).
"""

from __future__ import annotations

import numpy as np

from sim.model.labour_demand import expected_vacancies
from sim.model.students import RowsBySchoolGroup, State
from sim.model.programmes.base import Programme, logistic


class OrderClasses(Programme):
    name = "order_classes"
    budget_line = "order_classes"

    def schedule(self):
        return [(self.levers.month, "order classes", self.form_classes)]

    def form_classes(self, model) -> None:
        if not self.active:
            return
        lv, ent, st, rng = self.levers, model.enterprises, model.students, self.rng
        size = lv.class_size / model.persons_per_agent
        min_size = lv.min_class_size / model.persons_per_agent
        # A firm short of graduates last season considers a class for each class_size posts it
        # expects to offer in its own group over the years until the class graduates.
        years_to_graduation = model.p.students.programme_years - lv.study_year + 1
        own_posts = expected_vacancies(model) * model.p.enterprises.own_group_share
        need = np.minimum(np.floor(years_to_graduation * own_posts / size + 0.5),
                          lv.max_classes_per_firm).astype(int)
        # A firm looks at classes as its own major group runs short of graduates city-wide:
        # always from min_shortage_share of last season's posts unfilled, proportionally less
        # below (a city-level signal, so the rule does not depend on persons per agent).
        log = model.year_log.get(model.year, {})
        posted, unfilled = log.get("vacancies_by_group"), log.get("unfilled_by_group")
        if posted is None or unfilled is None:
            return
        shortage = unfilled / np.maximum(posted, 1e-12)
        consider = np.minimum(1.0, shortage / max(lv.min_shortage_share, 1e-12))[ent.sector]
        need[rng.random(ent.n) >= consider] = 0
        firms = np.flatnonzero(need > 0)
        rng.shuffle(firms)
        benefit = lv.value_per_hire_yuan * self.hire_share(model) * lv.class_size - lv.cost_per_class_yuan
        eligible = ((st.view("state") == State.ENROLLED) & (st.view("year") == lv.study_year)
                    & (st.view("sponsor") < 0))
        propensity_logit = np.log(ent.propensity / (1.0 - ent.propensity))
        by_major = RowsBySchoolGroup(st, eligible, len(model.groups))
        rate = self.subsidy_rate(model, need[firms], propensity_logit[firms], benefit[firms])
        opened = members = 0
        for e in firms:  # a loop over firms deciding, not over students
            for _ in range(need[e]):
                subsidy = rate if model.budget.can_pay(self.budget_line, rate) else 0.0
                p = self.execution() * logistic(
                    propensity_logit[e] + (benefit[e] + subsidy) / lv.decision_scale_yuan)
                if rng.random() >= p:
                    break
                school, pool = self.partner_students(e, by_major, eligible)
                if school < 0 or pool.size < min_size:
                    break
                take = pool[np.argsort(-st.ability[pool], kind="stable")[: int(round(size))]]
                st.sponsor[take] = e
                eligible[take] = False
                model.budget.pay(self.budget_line, subsidy)
                model.partnerships.touch(school, e, model.year)
                model.partnerships.order_classes[school, e] += 1
                opened += 1
                members += take.size
        model.flow("order_classes.opened", opened)
        model.flow("order_classes.students", members)

    def subsidy_rate(self, model, need, propensity_logit, benefit) -> float:
        """Yuan per class this year: the announced subsidy, or, when the classes firms would
        open at that rate cost more than the line holds, the lower rate at which the line
        funds every class firms open in expectation (pro rata). So a higher announced subsidy
        never buys fewer classes: once the line binds, the rate stops rising."""
        lv = self.levers
        announced, available = lv.subsidy_per_class_yuan, model.budget.available[self.budget_line]

        def cost(rate: float) -> float:
            # A firm stops at its first refusal: expected classes p + p^2 + ... + p^need.
            p = self.execution() * logistic(propensity_logit + (benefit + rate) / lv.decision_scale_yuan)
            expected = np.where(p < 1, p * (1 - p ** need) / np.maximum(1 - p, 1e-12), need)
            return rate * float(expected.sum())

        if announced <= 0 or cost(announced) <= available:
            return float(announced)
        lo, hi = 0.0, float(announced)
        for _ in range(40):  # bisection: cost rises with the rate
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if cost(mid) <= available else (lo, mid)
        return lo

    def hire_share(self, model) -> np.ndarray:
        """(E,) share of a class each firm expects to hire: its own record of hiring its class
        graduates, shrunk towards the prior ``expected_hire_share``."""
        lv, ent = self.levers, model.enterprises
        w = lv.hire_share_prior_persons
        seen = w + ent.class_graduates
        return np.where(seen > 0, (lv.expected_hire_share * w + ent.class_hires) / np.maximum(seen, 1e-12),
                        lv.expected_hire_share)

    def reserve_posts(self, model) -> None:
        """Spring: sponsors reserve posts for their class members graduating this summer (apart
        from their open posts, so they stay out of the shortage signal)."""
        st, ent = model.students, model.enterprises
        final = np.flatnonzero((st.view("state") == State.ENROLLED) & (st.view("sponsor") >= 0)
                               & (st.view("year") >= model.p.students.programme_years))
        if final.size:
            np.add.at(ent.reserved, (st.sponsor[final], st.group[final]), 1)
            model.flow("vacancies.reserved", final.size)
