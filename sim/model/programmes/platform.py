"""The school-enterprise information-sharing platform.

Off until its launch month and until its build cost is paid from the platform line; once on,
schools read current demand and the pipeline of students in training (no lag, little noise),
firms search partner schools and graduates see openings ``search_decay_factor`` times farther
away, and graduates draw ``candidates_factor`` times as many openings. Its running cost is paid monthly while the line allows.
"""

from __future__ import annotations

from sim.model.programmes import Programme


class InformationPlatform(Programme):
    name = "platform"
    budget_line = "platform"

    def __init__(self, model, levers):
        super().__init__(model, levers)
        self.on = False

    def schedule(self):
        return [(None, "information platform", self.step)]

    def step(self, model) -> None:
        if not self.active:
            return
        lv = self.levers
        if not self.on:
            self.on = model.budget.pay(self.budget_line, lv.build_cost_yuan)
            if self.on:
                model.flow("platform.launched", 1)
            return
        model.budget.pay(self.budget_line, min(lv.running_cost_yuan_per_year / 12.0,
                                               model.budget.available[self.budget_line]))
