"""A city k times the baseline's size, for scaling benchmarks and what-if studies.

Population-driven quantities (cohorts, schools, enterprises, training pools, budget, the
programmes' starting stock) scale by ``k``; the grid's area scales by ``k`` too (sides by
sqrt k), so density, distances within districts and agents per cell stay as in the baseline.
"""

from __future__ import annotations

import math

from sim.params import Params


def scale_city(params: Params, k: float) -> Params:
    if k <= 0:
        raise ValueError(f"scale must be positive, got {k}")
    if k == 1:
        return params
    side = math.sqrt(k)
    c, s, e, d = params.city, params.schools, params.enterprises, params.demography
    return params.override({
        "city.width_cells": max(10, round(c.width_cells * side)),
        "city.height_cells": max(10, round(c.height_cells * side)),
        "city.core_sigma_cells": c.core_sigma_cells * side,
        "city.county_ring_cells": c.county_ring_cells * side,
        "city.county_sigma_cells": c.county_sigma_cells * side,
        "city.park_offset_cells": c.park_offset_cells * side,
        "schools.n_secondary": max(1, round(s.n_secondary * k)),
        "schools.n_technician": round(s.n_technician * k),
        "schools.n_higher": max(1, round(s.n_higher * k)),
        "enterprises.n": max(1, round(e.n * k)),
        "demography.junior_high_graduates": d.junior_high_graduates * k,
        "demography.higher_entrants_from_general": d.higher_entrants_from_general * k,
        "social_training.migrant_workers": params.social_training.migrant_workers * k,
        "social_training.veterans": params.social_training.veterans * k,
        "budget.total_yuan": params.budget.total_yuan * k,
        "certificates.initial_pilot_majors": round(params.certificates.initial_pilot_majors * k),
        "training_bases.initial_bases": round(params.training_bases.initial_bases * k),
        "combos.max_per_year": max(1, math.ceil(params.combos.max_per_year * k)),
    }, source=f"scale_city({k})")
