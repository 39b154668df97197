"""Social (adult) skills training (T4, person-times).

Demand comes from three pools: enterprises' employees, migrant workers and veterans, each with
a yearly participation rate that vouchers raise:

    demand = (staff * r_employee + migrants * r_migrant + veterans * r_veteran)
             * (1 + voucher_elasticity * voucher / course price)

Supply is capacity: schools' spare teaching (``school_capacity_per_seat`` per intake seat),
training bases, and leading firms' in-house training. Each month a twelfth of the demand is
served up to a twelfth of the capacity. The voucher in the demand is the one trainees can
expect: the full voucher while the month's share of the remaining line covers everyone served,
the line divided among them once it is rationed (see ``expected_subsidy``). So a larger voucher
or a larger line never lowers training, and more capacity raises it where demand exceeds it.
"""

from __future__ import annotations


from sim.model.programmes.base import Programme, expected_subsidy


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
        # Trainees weigh the voucher they can expect from what is left of the line over the
        # rest of the year (``expected_subsidy``): a larger voucher never buys less training.
        months_left = 13 - model.month
        line = budget.available[self.budget_line] / months_left
        capacity = self.capacity_per_year(model) / 12.0

        def demand(e):
            return base * (1.0 + lv.voucher_elasticity * e / lv.course_price_yuan)

        voucher = expected_subsidy(lv.voucher_yuan, line, lambda e: e * min(demand(e), capacity))
        served = int(self.rng.poisson(min(demand(voucher), capacity)))
        budget.pay(self.budget_line, min(budget.available[self.budget_line], served * voucher))
        model.flow("social_training.person_times", served)
