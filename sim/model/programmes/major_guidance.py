"""Major guidance: the bureau orients schools' majors to the "6+3+X" industry system.

From its launch the bureau's approvals, funding and cluster planning favour majors that serve
the 6 leading and 3 emerging industries: they add ``aligned_bonus`` to the score a school gives
those groups when it plans seats and majors each spring (see ``major_adjustment``).
"""

from __future__ import annotations

import numpy as np

from sim.model.programmes.base import Programme


class MajorGuidance(Programme):
    name = "major_guidance"

    def score_bonus(self) -> np.ndarray:
        """(G,) score bonus by major group."""
        if not self.active:
            return np.zeros(len(self.model.groups))
        return self.levers.aligned_bonus * self.model.aligned
