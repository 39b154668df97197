"""Major adjustment (专业动态调整): each spring every school re-plans its seats and majors.

A school scores every major group from what it sees:

    score_sg = w_v * signal_sg + w_o * (own matched-job rate_sg - city rate)
               + w_a * ln((applications_sg + 1) / (seats_sg + 1)) + guidance_g

(``signal`` from :mod:`sim.model.signals`: stale and noisy without the platform; ``guidance`` from
the bureau's major guidance, :mod:`sim.model.programmes.major_guidance`). Relative to the
seat-weighted mean score of its open majors, the desired seats of an open major are
``seats * exp(elasticity * relative score)``, rescaled to the school's capacity; the school
closes a share ``speed`` of the gap each year. Opening and closing follow the rules in force
(CALIBRATION.md): at most ``max_new_majors`` new majors a year and net at most
``max_net_new_majors``; a major under ``min_entrants`` for ``min_entrants_years`` intakes is
closed; a small major (under ``close_below_seats``) with a poor outlook may be closed, but no
voluntary closure within ``no_close_years`` of opening; opening costs money the
school must have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.signals import school_signal

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


def _last(model: SkillsModel, name: str, shape) -> np.ndarray:
    log = model.year_log.get(model.year - 1, {})
    return log.get(name, np.zeros(shape))


def scores(model: SkillsModel) -> np.ndarray:
    """(S, G) each school's score for each major group."""
    pm, schools = model.p.major_adjustment, model.schools
    shape = schools.seats.shape
    signal = school_signal(model)
    grads = _last(model, "graduates_by_school_group", shape)
    matched = _last(model, "local_matched_by_school_group", shape)
    rate = np.divide(matched, grads, out=np.zeros(shape), where=grads > 0)
    city_rate = matched.sum() / max(grads.sum(), 1.0)
    outcome = np.where(grads > 0, rate - city_rate, 0.0)
    apps = _last(model, "applications_by_school_group", shape)
    seats = schools.seats
    demand = np.where(schools.offered, np.log((apps + 1.0) / (seats + 1.0)), 0.0)
    guidance = model.programmes.major_guidance.score_bonus()
    return (pm.weight_vacancies * signal + pm.weight_outcomes * outcome
            + pm.weight_applications * demand + guidance[None, :])


def adjust_majors(model: SkillsModel) -> None:
    """Spring: reallocate seats, then open and close majors within the rules."""
    pm, sch, year = model.p.major_adjustment, model.schools, model.year
    score = scores(model)
    min_seats = pm.min_entrants / model.persons_per_agent
    new_seats = pm.new_major_seats / model.persons_per_agent
    opened = closed = 0
    for s in range(sch.n):  # a loop over schools: each decides for its own majors
        offered = sch.offered[s]
        seats = sch.seats[s]
        mean = np.average(score[s, offered], weights=seats[offered] + 1e-9)
        rel = score[s] - mean

        # Closing: forced by sustained under-enrolment, or voluntary when the outlook is poor.
        age = year - sch.opened_year[s]
        forced = offered & (sch.under_years[s] >= pm.min_entrants_years)
        voluntary = (offered & (rel < pm.close_threshold) & (age >= pm.no_close_years)
                     & (seats < pm.close_below_seats / model.persons_per_agent))
        to_close = np.flatnonzero(forced | voluntary)
        if to_close.size >= offered.sum():  # a school keeps its best major
            to_close = to_close[to_close != np.argmax(np.where(offered, rel, -np.inf))]

        # Opening: the best-scoring groups not taught, if promising and affordable.
        candidates = np.flatnonzero(~offered & (rel > pm.open_threshold))
        candidates = candidates[np.argsort(-rel[candidates])]
        n_open = min(candidates.size, pm.max_new_majors,
                     pm.max_net_new_majors + to_close.size,
                     int(sch.budget_yuan[s] // pm.opening_cost_yuan) if pm.opening_cost_yuan else 10**9)
        to_open = candidates[:max(n_open, 0)]

        # Reallocation toward desired seats among majors staying open.
        keep = offered.copy()
        keep[to_close] = False
        desired = np.where(keep, seats * np.exp(pm.elasticity * np.clip(rel, -5, 5)), 0.0)
        if desired.sum() > 0:
            desired *= (sch.capacity[s] - new_seats * to_open.size) / desired.sum()
        target = seats + pm.speed * (desired - seats)
        live = keep.copy()
        live[to_open] = True
        target[to_open] = new_seats
        target = np.where(live, np.maximum(target, min_seats), 0.0)
        target *= sch.capacity[s] / max(target.sum(), 1e-9)

        sch.seats[s] = target
        sch.offered[s, to_close] = False
        sch.pilot[s, to_close] = False
        sch.offered[s, to_open] = True
        sch.opened_year[s, to_open] = year
        sch.under_years[s, to_open] = 0
        sch.budget_yuan[s] -= pm.opening_cost_yuan * to_open.size
        opened += to_open.size
        closed += to_close.size
    model.flow("majors.opened", opened)
    model.flow("majors.closed", closed)
