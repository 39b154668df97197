"""A model's city as the tables of a city folder (the format :mod:`sim.model.city_data` reads).

``skills-sim init-city DIR`` writes the shipped synthetic city this way, so an analyst starts
from a complete, valid template. Every value the generator drew is written, at full precision
(``repr`` floats), so loading the folder rebuilds the same city, schools and enterprises
without a random draw, and the run that follows is the drawn city's run (same seed, same
tables): the round trip. Seats and intake are written in persons: the shortest decimal whose
exact quotient by ``persons_per_agent`` rounds to the seats in agents (the loader divides
exactly, :func:`sim.model.city_data.agents`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from sim.model.city import build_city
from sim.model.city_data import load_city_data, split_whole
from sim.model.city_rows import SCHOOL_KINDS
from sim.model.city_from_data import city_from_data
from sim.model.model import build_fixed, process_stream

if TYPE_CHECKING:
    from sim.model.city import City
    from sim.model.labour_demand import EnterpriseTable
    from sim.model.schools import SchoolTable
    from sim.params import Params

# Template only (districts.csv's population column, in persons): residents per junior-high
# graduate, national 2022: 1,412 M people / 15.7 M graduates (MOE statistical bulletin), the
# ratio params/baseline.toml sizes its cohort by. The model reads population shares only.
RESIDENTS_PER_JUNIOR_HIGH_GRADUATE = 1412.0 / 15.7


def persons(agents: np.ndarray, ppa: int) -> list[str]:
    """Persons as text whose exact quotient by ``ppa``, rounded once, is ``agents``: the
    shortest of ``repr`` and 17-25 significant digits that does it (a float times ``ppa`` is
    not always a float whose division by ``ppa`` comes back exactly)."""
    out = []
    for a in np.asarray(agents, dtype=float).tolist():
        exact = Fraction(a) * ppa
        for text in [repr(float(exact))] + [f"{float(exact):.{k}g}" for k in range(17, 26)]:
            if float(Fraction(text) / ppa) == a:
                break
        else:
            k = exact.denominator.bit_length() - 1  # a float's denominator is a power of two
            text = str(Decimal(exact.numerator * 5**k).scaleb(-k))
        out.append(text)
    return out


def fixed_tables(params: Params, seed: int) -> dict[str, pd.DataFrame]:
    """The city folder's tables of the city a run of ``seed`` starts from, as built (before the
    programmes' set-up changes any school or enterprise)."""
    data = load_city_data(params) if params.city.data else None
    city, schools, enterprises = build_fixed(params, data, lambda name: process_stream(seed, name),
                                             random.Random(seed))
    return city_tables(params, city, schools, enterprises)


def district_map(params: Params, seed: int) -> pd.DataFrame:
    """The district of every grid cell (``x, y, district``) of the city a run of ``seed``
    starts from: a city folder's map, or the drawn city's (which moves with the seed)."""
    rng = process_stream(seed, "city")
    city = (city_from_data(params, load_city_data(params), rng, random.Random(seed))
            if params.city.data else build_city(params.city, rng, random.Random(seed)))
    names = np.array(city.district_names, dtype=object)
    return pd.DataFrame({"x": city.cell_xy[:, 0], "y": city.cell_xy[:, 1],
                         "district": names[city.district]})


def city_tables(p: Params, city: City, schools: SchoolTable,
                enterprises: EnterpriseTable) -> dict[str, pd.DataFrame]:
    """``districts``, ``cells``, ``parks``, ``schools``, ``enterprises`` of a built city."""
    names = np.array(city.district_names, dtype=object)
    n = len(names)
    share = np.bincount(city.district, weights=city.population, minlength=n) / city.population.sum()
    cohort = p.demography.junior_high_graduates
    graduates = split_whole(cohort, share)
    districts = pd.DataFrame({
        "district": names,
        "kind": ["urban core"] + ["county"] * (n - 1),
        "population": np.round(share * cohort * RESIDENTS_PER_JUNIOR_HIGH_GRADUATE).astype(np.int64),
        "junior_high_graduates": (graduates.astype(np.int64) if graduates is not None
                                  else np.full(n, np.nan)),
        "x": city.centres[:, 0],
        "y": city.centres[:, 1],
        "sigma_cells": np.r_[p.city.core_sigma_cells, np.full(n - 1, p.city.county_sigma_cells)],
    })
    cells = pd.DataFrame({"x": city.cell_xy[:, 0], "y": city.cell_xy[:, 1],
                          "district": names[city.district], "population": city.population})
    parks = pd.DataFrame({"park": park_names(city),
                          "district": names[city.park_district],
                          "x": city.parks[:, 0], "y": city.parks[:, 1]})
    return {"districts": districts, "cells": cells, "parks": parks,
            "schools": school_rows(p, city, schools),
            "enterprises": enterprise_rows(p, city, enterprises)}


def school_rows(p: Params, city: City, sch: SchoolTable) -> pd.DataFrame:
    ppa = p.run.persons_per_agent
    names = np.array(city.district_names, dtype=object)
    s, g = np.nonzero(sch.offered)
    numbered = np.zeros(sch.n, dtype=int)
    for kind in range(len(SCHOOL_KINDS)):
        at = np.flatnonzero(sch.kind == kind)
        numbered[at] = np.arange(1, len(at) + 1)
    label = np.array([f"{SCHOOL_KINDS[k]} school {i}" for k, i in zip(sch.kind, numbered)], dtype=object)
    return pd.DataFrame({
        "school": label[s],
        "kind": np.array(SCHOOL_KINDS, dtype=object)[sch.kind[s]],
        "district": names[city.district[sch.cell[s]]],
        "major_group": np.array(list(p.sectors), dtype=object)[g],
        "seats": persons(sch.seats[s, g], ppa),
        "four_star": np.where(sch.four_star[s], "true", "false"),
        "x": city.cell_xy[sch.cell[s], 0],
        "y": city.cell_xy[sch.cell[s], 1],
        "reputation": sch.reputation[s],
        "capacity": persons(sch.capacity[s], ppa),
    })


def park_names(city: City) -> list[str]:
    return [f"park {k + 1}" for k in range(len(city.parks))]


def enterprise_rows(p: Params, city: City, ent: EnterpriseTable) -> pd.DataFrame:
    names = np.array(city.district_names, dtype=object)
    n_chains = np.array([s.chains for s in p.sectors.values()])
    first_chain = np.r_[0, np.cumsum(n_chains)[:-1]]
    return pd.DataFrame({
        "enterprise": [f"firm {k + 1}" for k in range(ent.n)],
        "sector": np.array(list(p.sectors), dtype=object)[ent.sector],
        "employees": ent.employees,
        "district": names[city.district[ent.cell]],
        "x": city.cell_xy[ent.cell, 0],
        "y": city.cell_xy[ent.cell, 1],
        "park": np.where(ent.park >= 0, np.array(park_names(city) + [""], dtype=object)[ent.park], ""),
        "leading": np.where(ent.leading, "true", "false"),
        "chain": np.where(ent.chain >= 0, ent.chain - first_chain[ent.sector], -1),
        "wage_index": ent.wage_index,
        "propensity": ent.propensity,
    })
