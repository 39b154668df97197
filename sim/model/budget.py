"""The plan's budget: a yearly total with growth, split into programme lines by lever shares.

Money is granted line by line as programmes act; a payment that the line cannot cover is
refused, so spending never exceeds what is available. Unspent money lapses at the end of the
fiscal year (January to December), as in municipal budgets. Every payment is booked in a
ledger by year and programme, and counted in the monthly ``spend.*`` indicators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections import defaultdict

import pandas as pd

from sim.params import Params

if TYPE_CHECKING:
    from sim.model.model import SkillsModel

LINES = ("order_classes", "apprenticeship", "certificates", "training_bases", "combos",
         "social_training", "retention", "platform")


class Budget:
    def __init__(self, model: SkillsModel, params: Params):
        self.model = model
        self.p = params.budget
        self.start_year = params.run.start_year
        self.available: dict[str, float] = {}
        self.allocated: dict[tuple[int, str], float] = {}
        self.spent: dict[tuple[int, str], float] = defaultdict(float)
        self.new_year(model.year)

    def total(self, year: int) -> float:
        return self.p.total_yuan * (1.0 + self.p.growth_per_year) ** (year - self.start_year)

    def new_year(self, year: int) -> None:
        """January: this year's lines; last year's leftovers lapse."""
        total = self.total(year)
        for line, share in self.p.shares.items():
            self.available[line] = total * share
            self.allocated[(year, line)] = total * share

    def can_pay(self, line: str, amount: float) -> bool:
        return amount <= self.available[line] + 1e-6

    def pay(self, line: str, amount: float) -> bool:
        """Pay ``amount`` yuan from ``line`` if it can be covered; True if paid."""
        if amount <= 0:
            return True
        if not self.can_pay(line, amount):
            return False
        self.available[line] -= amount
        self.spent[(self.model.year, line)] += amount
        self.model.flow("spend.total_yuan", amount)
        self.model.flow(f"spend.{line}", amount)
        return True

    def affordable(self, line: str, unit_cost: float) -> int:
        """How many units of ``unit_cost`` the line can still pay for."""
        if unit_cost <= 0:
            return 10**12
        return int((self.available[line] + 1e-6) // unit_cost)

    def ledger(self) -> pd.DataFrame:
        """Allocated and spent yuan by year and programme line."""
        rows = [(y, line, alloc, self.spent.get((y, line), 0.0))
                for (y, line), alloc in sorted(self.allocated.items())]
        return pd.DataFrame(rows, columns=["year", "programme", "allocated_yuan", "spent_yuan"])
