"""School-enterprise cooperation demonstration combos (T8).

Each December the bureau certifies partnerships that have deepened enough: cooperating for at
least ``min_years``, with at least ``min_order_classes`` order classes and ``min_apprentices``
apprentices hosted (and a shared training base if ``require_base``). At most ``max_per_year``
are certified a year, the deepest first, each with an award from the combos line. T8 counts
certified combos at the end of the year.
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme


class DemonstrationCombos(Programme):
    name = "combos"
    budget_line = "combos"

    def schedule(self):
        return [(self.levers.month, "demonstration combos", self.certify),
                (12, "partnership review", lambda m: m.partnerships.dissolve_idle(m))]

    def certify(self, model) -> None:
        if not self.active:
            return
        lv, pt = self.levers, model.partnerships
        apprentices = pt.apprentices * model.persons_per_agent
        ok = (pt.active & ~pt.combo
              & (model.year - pt.since_year >= lv.min_years)
              & (pt.order_classes >= lv.min_order_classes)
              & (apprentices >= lv.min_apprentices))
        if lv.require_base:
            ok &= pt.base
        s, e = np.nonzero(ok)
        depth = pt.order_classes[s, e] * model.p.order_classes.class_size + apprentices[s, e]
        certified = 0
        for k in np.argsort(-depth, kind="stable")[: lv.max_per_year]:
            if self.rng.random() >= self.execution():
                continue
            if not model.budget.pay(self.budget_line, lv.award_yuan):
                break
            pt.combo[s[k], e[k]] = True
            certified += 1
        model.flow("combos.certified", certified)
