"""Retention measures: a hometown campaign and a talent subsidy for graduates who stay.

The campaign ("love, return to and build the hometown") raises the weight graduates give to
hometown attachment by ``campaign_attachment_boost``. The talent subsidy adds
``beta_subsidy_per_10k_yuan * subsidy / 10,000`` to the utility of a local job and is paid
from the retention line to each graduate hired locally, while the line lasts.
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme


class RetentionMeasures(Programme):
    name = "retention"
    budget_line = "retention"

    @property
    def active(self) -> bool:
        return self.campaign_on or self.subsidy_on

    @property
    def campaign_on(self) -> bool:
        return self.model.launched(self.levers.campaign)

    @property
    def subsidy_on(self) -> bool:
        lv = self.levers
        return (self.model.launched(lv.subsidy)
                and self.model.budget.can_pay(self.budget_line, lv.talent_subsidy_yuan))

    def local_job_bonus(self, attachment: np.ndarray) -> np.ndarray:
        """Extra utility of a local job for graduates with this hometown attachment."""
        lv, lm = self.levers, self.model.p.labour_market
        bonus = np.zeros(len(attachment))
        if self.campaign_on:
            bonus += lm.beta_attachment * lv.campaign_attachment_boost * attachment
        if self.subsidy_on:
            bonus += lv.beta_subsidy_per_10k_yuan * lv.talent_subsidy_yuan / 1e4
        return bonus

    def pay_stayers(self, n_hired: int) -> None:
        """Pay the subsidy to graduates just hired locally (as many as the line covers)."""
        lv = self.levers
        if n_hired <= 0 or not self.model.launched(lv.subsidy) or lv.talent_subsidy_yuan <= 0:
            return
        persons = n_hired * self.model.persons_per_agent
        paid = min(persons, self.model.budget.affordable(self.budget_line, lv.talent_subsidy_yuan))
        if paid:
            self.model.budget.pay(self.budget_line, paid * lv.talent_subsidy_yuan)
            self.model.flow("retention.subsidies_paid", paid / self.model.persons_per_agent)
