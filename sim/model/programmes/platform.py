"""The school-enterprise information-sharing platform.

Off until its launch month and until its build cost is paid from the platform line; once on,
schools read current demand and the pipeline of students in training (no lag, little noise),
firms search partner schools and graduates see openings ``search_decay_factor`` times farther
away, and graduates draw ``candidates_factor`` times as many openings. Its running cost is paid monthly while the line allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.programmes.base import Programme


@dataclass(frozen=True)
class SignalSettings:
    """How schools and families read labour demand: with a lag of ``lag_years``, seeing the
    pipeline of students in training or not, and with reading noise of sd ``noise_sd``."""

    lag_years: int
    sees_pipeline: bool
    noise_sd: float


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

    # -- what the city's processes read ------------------------------------------------------
    def signal_settings(self) -> SignalSettings:
        """The demand signal schools read (current and complete once the platform is on)."""
        if self.on:
            return SignalSettings(0, True, self.model.p.platform.signal_noise_sd)
        pm = self.model.p.major_adjustment
        return SignalSettings(pm.signal_lag_years, pm.signal_sees_pipeline, pm.signal_noise_sd)

    def search_decay_km(self) -> float:
        """Distance scale over which graduates see local openings (wider on the platform)."""
        p = self.model.p
        factor = p.platform.search_decay_factor if self.on else 1.0
        return p.labour_market.search_decay_km * factor

    def candidates_seen(self) -> int:
        """Local openings a graduate draws per search round."""
        p = self.model.p
        k = p.labour_market.candidates_seen
        return int(round(k * p.platform.candidates_factor)) if self.on else k

    def partner_search_decay_km(self) -> float:
        """Distance scale over which firms look for partner schools."""
        p = self.model.p
        factor = p.platform.search_decay_factor if self.on else 1.0
        return p.partnerships.search_decay_km * factor
