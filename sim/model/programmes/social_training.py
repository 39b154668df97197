"""Social (adult) skills training (T4, person-times).

Demand comes from three pools: enterprises' employees, migrant workers and veterans, each with
a yearly participation rate that vouchers raise:

    demand = (staff * r_employee + migrants * r_migrant + veterans * r_veteran)
             * (1 + voucher_elasticity * voucher / course price)

Supply is capacity: schools' spare teaching (``school_capacity_per_seat`` per intake seat),
training bases, and leading firms' in-house training. Each month a twelfth of the demand is
served up to a twelfth of the capacity. Vouchers are paid from the social-training line while
it lasts; beyond that, demand falls back to its unsubsidised level.
"""

from __future__ import annotations


from sim.model.programmes.base import Programme


class SocialTraining(Programme):
    name = "social_training"
    budget_line = "social_training"

    def schedule(self):
        return [(None, "social training", self.train)]

    def capacity_per_year(self, model) -> float:
        lv = self.levers
        seats = model.schools.capacity.sum() * model.persons_per_agent
        return (seats * lv.school_capacity_per_seat
                + model.schools.bases.sum() * model.p.training_bases.training_capacity_person_times
                + model.enterprises.leading.sum() * lv.firm_capacity_per_leading)

    def train(self, model) -> None:
        if not self.active:
            return
        lv, budget = self.levers, model.budget
        base = (model.enterprises.employees.sum() * lv.employee_rate_per_year
                + lv.migrant_workers * lv.migrant_rate_per_year
                + lv.veterans * lv.veteran_rate_per_year) / 12.0
        with_voucher = base * (1.0 + lv.voucher_elasticity * lv.voucher_yuan / lv.course_price_yuan)
        affordable = budget.affordable(self.budget_line, lv.voucher_yuan)
        subsidised = min(with_voucher, affordable)
        # The part of demand that vouchers no longer cover behaves as unsubsidised demand.
        demand = subsidised + base * (1.0 - subsidised / with_voucher) if with_voucher > 0 else 0.0
        served = int(self.rng.poisson(min(demand, self.capacity_per_year(model) / 12.0)))
        paid = min(served, int(subsidised))
        budget.pay(self.budget_line, paid * lv.voucher_yuan)
        model.flow("social_training.person_times", served)
