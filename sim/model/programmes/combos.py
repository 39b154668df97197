"""School-enterprise cooperation demonstration combos (T8).

Each December the bureau certifies partnerships that have deepened enough: cooperating for at
least ``min_years``, with at least ``min_order_classes`` order classes and ``min_apprentices``
apprentices hosted (persons; and a shared training base if ``require_base``). A qualifying
pair applies with its enterprise's propensity to cooperate. Applicants are certified deepest
first, each with an award from the combos line while it lasts, at most ``max_per_year`` (a
ceiling that does not bind in the baseline). T8 counts certified combos at the end of the year;
``combos.certified`` (and T8.flow) the year's new ones.
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme


def review_partnerships(model) -> None:
    """December: idle partnerships dissolve (a named function, so a spun-up model pickles)."""
    model.partnerships.dissolve_idle(model)


class DemonstrationCombos(Programme):
    name = "combos"
    budget_line = "combos"

    def schedule(self):
        return [(self.levers.month, "demonstration combos", self.certify),
                (12, "partnership review", review_partnerships)]

    def certify(self, model) -> None:
        if not self.active:
            return
        lv, pt = self.levers, model.partnerships
        apprentices = pt.apprentices  # persons, recorded scale-free (see apprenticeship)
        ok = (pt.active & ~pt.combo
              & (model.year - pt.since_year >= lv.min_years)
              & (pt.order_classes >= lv.min_order_classes)
              & (apprentices >= lv.min_apprentices))
        if lv.require_base:
            ok &= pt.base
        s, e = np.nonzero(ok)
        # A qualifying pair applies if its enterprise is willing to prepare the application
        # (its propensity to cooperate): the title is worth more to firms that value the tie.
        applies = self.rng.random(s.size) < model.enterprises.propensity[e]
        s, e = s[applies], e[applies]
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
