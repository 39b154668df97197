"""Schools' state, stored column-wise, and where the city's schools stand.

A "major" in the model is a school's programme in one major group (the group serving one
sector of the "6+3+X" system); ``seats[s, g]`` is the intake school ``s`` plans for group ``g``
(in agents, i.e. persons / persons_per_agent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.city import City
from sim.params import Params

SECONDARY_SCHOOL, TECHNICIAN_SCHOOL, HIGHER_COLLEGE = 0, 1, 2


@dataclass
class SchoolTable:
    KINDS = ("secondary", "technician", "higher")

    kind: np.ndarray            # (S,) int: SECONDARY_SCHOOL, TECHNICIAN_SCHOOL, HIGHER_COLLEGE
    cell: np.ndarray            # (S,) int: flat cell id
    four_star: np.ndarray       # (S,) bool: provincial four-star rating
    reputation: np.ndarray      # (S,) float: sd units
    capacity: np.ndarray        # (S,) float: total yearly intake (agents)
    seats: np.ndarray           # (S, G) float: planned intake by group (agents)
    offered: np.ndarray         # (S, G) bool: group open at the school
    opened_year: np.ndarray     # (S, G) int: year the major opened (-9999 = before records)
    under_years: np.ndarray     # (S, G) int: consecutive intakes below the minimum
    budget_yuan: np.ndarray     # (S,) float: money left this year for opening majors
    bases: np.ndarray           # (S,) int: productive training bases in operation
    pilot: np.ndarray           # (S, G) bool: "1+X" certificate pilot major

    @property
    def n(self) -> int:
        return len(self.kind)

    @property
    def track(self) -> np.ndarray:
        """(S,) int: the student track a school teaches (0 secondary, 1 higher)."""
        return (self.kind == HIGHER_COLLEGE).astype(np.int8)


def build_schools(p: Params, city: City, rng: np.random.Generator) -> SchoolTable:
    """Place schools at district centres in proportion to population and give them majors."""
    ps, ppa = p.schools, p.run.persons_per_agent
    kinds = np.r_[
        np.full(ps.n_secondary, SECONDARY_SCHOOL),
        np.full(ps.n_technician, TECHNICIAN_SCHOOL),
        np.full(ps.n_higher, HIGHER_COLLEGE),
    ].astype(np.int8)
    n, G = len(kinds), len(p.sectors)

    # Secondary and technician schools spread over districts by population; colleges in the core.
    district_pop = np.bincount(city.district, weights=city.population, minlength=len(city.centres))
    district = rng.choice(len(city.centres), size=n, p=district_pop / district_pop.sum())
    district[kinds == HIGHER_COLLEGE] = 0
    cell = np.empty(n, dtype=np.int32)
    for d in np.unique(district):
        at = np.flatnonzero(district == d)
        weights = np.where(city.district == d, city.population, 0.0)
        cell[at] = city.sample_cells(rng, len(at), weights)

    mean_intake = np.array([ps.intake_secondary, ps.intake_technician, ps.intake_higher])[kinds]
    capacity = mean_intake * np.clip(rng.normal(1.0, ps.intake_sd_share, n), 0.3, None) / ppa
    four_star = (kinds != HIGHER_COLLEGE) & (rng.random(n) < ps.four_star_share)
    reputation = rng.normal(0.0, 1.0, n) + ps.four_star_reputation * four_star

    # Majors at start follow the legacy seat mix (seat_share), each school a random subset.
    seat_share = np.array([s.seat_share for s in p.sectors.values()])
    n_majors = np.array([ps.majors_secondary, ps.majors_technician, ps.majors_higher])[kinds]
    offered = np.zeros((n, G), dtype=bool)
    seats = np.zeros((n, G))
    for s in range(n):
        k = min(int(n_majors[s]), G)
        groups = rng.choice(G, size=k, replace=False, p=seat_share)
        offered[s, groups] = True
        w = seat_share[groups] * rng.lognormal(0.0, ps.initial_seat_sd, k)
        seats[s, groups] = capacity[s] * w / w.sum()

    return SchoolTable(
        kind=kinds,
        cell=cell,
        four_star=four_star,
        reputation=reputation,
        capacity=capacity,
        seats=seats,
        offered=offered,
        opened_year=np.full((n, G), -9999, dtype=np.int32),
        under_years=np.zeros((n, G), dtype=np.int32),
        budget_yuan=np.full(n, ps.adjustment_budget_yuan),
        bases=np.zeros(n, dtype=np.int64),
        pilot=np.zeros((n, G), dtype=bool),
    )
