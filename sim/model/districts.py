"""Answers by district: the city's indicators split over its districts (urban core, counties).

Each December the year is tallied from agents' states and the year's logs. Every count is
assigned to one district, so the districts add up to the city's own indicator:

- by the district of the **school**: ``entrants.{track}`` (the year's admissions),
  ``enrolled.{track}`` (December), ``T1`` (share of the school's entrants in 6+3 groups), and
  the programme stocks ``majors.open``, ``certificates.pilot_majors``,
  ``training_bases.in_operation``, ``combos.certified_total``, ``partnerships.active`` (a
  partnership counts at its school);
- by the **home** district of the graduate (the family home): ``graduates.{track}``,
  ``destination.{track}.{destination}``, ``local_employment.{track}.city`` (employed in the
  city), ``local_employment.{track}.home_county`` (employed by a firm in the home district),
  ``local_employment.{track}.elsewhere_in_city`` (by a firm in another district: left the
  county, stayed in the city), ``local_employment.{track}.moved_within_city`` (took the local
  job by leaving the family home),
  ``T9`` (secondary graduates employed in the city / employed) and
  ``share.secondary.home_county_of_employed``;
- by the district of the **enterprise**: ``hires`` (the year's graduates it hired, on open
  or reserved posts: the city's ``vacancies.filled`` plus ``vacancies.reserved_filled``),
  ``vacancies.unfilled`` (open posts at the season's close) and ``enterprises.employees``.

A year's secondary graduates include those a local college admitted in August (destination
``further_study``, as the city's flow counts them). Persons are scaled by persons_per_agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.students import DESTINATIONS, HIGHER, SECONDARY, TRACKS, State

if TYPE_CHECKING:
    from sim.model.model import SkillsModel

DISTRICT_COLUMNS = ["scenario", "replicate", "seed", "year", "district", "indicator", "value"]
LOCAL = (State.LOCAL_MATCHED, State.LOCAL_UNMATCHED)


def tally_year(model: SkillsModel) -> dict[str, np.ndarray]:
    """The year's indicators by district, each a (districts,) array."""
    out: dict[str, np.ndarray] = {}
    out.update(_by_school(model))
    out.update(_by_home(model))
    out.update(_by_enterprise(model))
    return out


def _sum_by(district: np.ndarray, n: int, weights=None) -> np.ndarray:
    return np.bincount(district, weights=weights, minlength=n).astype(float)


def _by_school(model: SkillsModel) -> dict[str, np.ndarray]:
    sch, ppa, n = model.schools, model.persons_per_agent, len(model.city.district_names)
    at = model.city.district[sch.cell]
    st = model.students
    out = {}
    entrants = model.year_log.get(model.year, {}).get("entrants_by_school_group")
    entrants = np.zeros_like(sch.seats) if entrants is None else entrants
    enrolled = st.view("state") == State.ENROLLED
    for t, name in enumerate(TRACKS):
        of_track = sch.track == t
        out[f"entrants.{name}"] = _sum_by(at, n, entrants.sum(axis=1) * of_track) * ppa
        rows = enrolled & (st.view("track") == t)
        out[f"enrolled.{name}"] = _sum_by(at[st.view("school")[rows]], n) * ppa
    total = _sum_by(at, n, entrants.sum(axis=1))
    aligned = _sum_by(at, n, entrants[:, model.aligned].sum(axis=1))
    out["T1"] = np.where(total > 0, aligned / np.maximum(total, 1e-12), np.nan)
    out["majors.open"] = _sum_by(at, n, sch.offered.sum(axis=1))
    out["certificates.pilot_majors"] = _sum_by(at, n, (sch.pilot & sch.offered).sum(axis=1))
    out["training_bases.in_operation"] = _sum_by(at, n, sch.bases)
    out["combos.certified_total"] = _sum_by(at, n, model.partnerships.combo.sum(axis=1))
    out["partnerships.active"] = _sum_by(at, n, model.partnerships.active.sum(axis=1))
    return out


def graduates_of_year(model: SkillsModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the year's graduates, the track they graduated from, and their destination
    state (a secondary graduate since admitted to a local college: ``FURTHER_STUDY``)."""
    st, year = model.students, model.year
    track, state = st.view("track"), st.view("state")
    progressed = st.view("was_secondary") & (track == HIGHER) & (st.view("entry_year") == year)
    of_year = st.view("grad_year") == year
    rows = np.flatnonzero(of_year | progressed)
    grad_track = np.where(progressed[rows], SECONDARY, track[rows])
    dest = np.where(progressed[rows], State.FURTHER_STUDY, state[rows])
    return rows, grad_track, dest


def _by_home(model: SkillsModel) -> dict[str, np.ndarray]:
    st, city, ppa = model.students, model.city, model.persons_per_agent
    n = len(city.district_names)
    rows, grad_track, dest = graduates_of_year(model)
    home = city.district[st.home[rows]]
    employer = st.employer[rows]
    local = np.isin(dest, LOCAL)
    works_at = np.where(local, city.district[model.enterprises.cell[np.maximum(employer, 0)]], -1)
    out = {}
    for t, name in enumerate(TRACKS):
        mine = grad_track == t
        out[f"graduates.{name}"] = _sum_by(home[mine], n) * ppa
        for state, dname in DESTINATIONS.items():
            out[f"destination.{name}.{dname}"] = _sum_by(home[mine & (dest == state)], n) * ppa
        out[f"local_employment.{name}.city"] = _sum_by(home[mine & local], n) * ppa
        out[f"local_employment.{name}.home_county"] = _sum_by(
            home[mine & local & (works_at == home)], n) * ppa
        out[f"local_employment.{name}.elsewhere_in_city"] = _sum_by(
            home[mine & local & (works_at != home)], n) * ppa
        out[f"local_employment.{name}.moved_within_city"] = _sum_by(
            home[mine & local & st.moved[rows]], n) * ppa
    employed = out["local_employment.secondary.city"] + out["destination.secondary.outside"]
    safe = np.maximum(employed, 1e-12)
    out["T9"] = np.where(employed > 0, out["local_employment.secondary.city"] / safe, np.nan)
    out["share.secondary.home_county_of_employed"] = np.where(
        employed > 0, out["local_employment.secondary.home_county"] / safe, np.nan)
    return out


def _by_enterprise(model: SkillsModel) -> dict[str, np.ndarray]:
    st, city, ent, ppa = model.students, model.city, model.enterprises, model.persons_per_agent
    n = len(city.district_names)
    at = city.district[ent.cell]
    rows, _track, dest = graduates_of_year(model)
    hired = rows[np.isin(dest, LOCAL)]
    return {
        "hires": _sum_by(at[st.employer[hired]], n) * ppa,
        "vacancies.unfilled": _sum_by(at, n, ent.unfilled_last) * ppa,
        "enterprises.employees": _sum_by(at, n, ent.employees),
    }


def district_table(model: SkillsModel) -> pd.DataFrame:
    """Rows of ``districts.parquet``: every tallied year, district and indicator (an undefined
    share, e.g. T9 of a district with no employed graduate, has no row)."""
    names = model.city.district_names
    rows = []
    for year, tally in sorted(model.district_log.items()):
        for indicator, values in tally.items():
            for d, value in enumerate(values.tolist()):
                if not np.isnan(value):
                    rows.append((model.scenario, model.replicate, model.seed, year, names[d],
                                 indicator, value))
    df = pd.DataFrame(rows, columns=DISTRICT_COLUMNS)
    return df.astype({"replicate": "int64", "seed": "int64", "year": "int64", "value": "float64"})

