"""Observable statistics of a run, by year, in the units published statistics use.

Calibration compares these with observed values: the plan's targets (``T1``…``T9``), every
monthly indicator (flows summed over the year, stocks at the year's last month) and the shares
graduate surveys report:

    share.{track}.{destination}       graduates of the year by destination / graduates
    share.{track}.local_home_county   local jobs in the home district / graduates
    share.{track}.local_elsewhere_in_city  local jobs in another district of the city /
                                      graduates (left the county, stayed in the city)
    share.{track}.employment_rate     1 - not employed / graduates (further study counts, as in
                                      MOE and MyCOS statistics)
    share.{track}.matched_of_local    local jobs in the graduate's major group / local jobs
    share.{track}.local_of_employed   local jobs / all jobs (T9 for the secondary track)
    share.vocational_entrants         secondary-vocational entrants / senior-secondary entrants
    share.general_quota_fill          general-track entrants / those preferring it (< 1: the
                                      quota binds)
    share.unfilled_vacancies          vacancies unfilled at the season's close / posted
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sim.model.indicators import DESTINATION_NAMES, OTHER_FLOWS, PERSON_FLOWS, STOCKS
from sim.model.students import TRACKS

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


def derived_shares(totals: dict[str, float]) -> dict[str, float]:
    """Survey-style shares from one year's flow totals (persons)."""
    out: dict[str, float] = {}
    for t in TRACKS:
        grads = totals.get(f"graduates.{t}", 0.0)
        dest = {d: totals.get(f"destination.{t}.{d}", 0.0) for d in DESTINATION_NAMES}
        if grads > 0:
            for d, n in dest.items():
                out[f"share.{t}.{d}"] = n / grads
            for w in ("home_county", "elsewhere_in_city"):
                out[f"share.{t}.local_{w}"] = totals.get(f"local_employment.{t}.{w}", 0.0) / grads
            out[f"share.{t}.employment_rate"] = 1.0 - dest["not_employed"] / grads
        local = dest["local_matched"] + dest["local_unmatched"]
        if local > 0:
            out[f"share.{t}.matched_of_local"] = dest["local_matched"] / local
        if local + dest["outside"] > 0:
            out[f"share.{t}.local_of_employed"] = local / (local + dest["outside"])
    entrants = totals.get("entrants.secondary", 0.0)
    if entrants > 0:
        out["share.vocational_entrants"] = entrants / (entrants + totals.get("entrants.general", 0.0))
    wanting = totals.get("applicants.general", 0.0)
    if wanting > 0:
        out["share.general_quota_fill"] = totals.get("entrants.general", 0.0) / wanting
    posted = totals.get("vacancies.posted", 0.0)
    if posted > 0:
        out["share.unfilled_vacancies"] = totals.get("vacancies.unfilled", 0.0) / posted
    return out


def annual_observables(model: SkillsModel) -> pd.DataFrame:
    """Tidy ``year, indicator, value`` of every observable for every simulated year."""
    from sim.model.indicators import COMPANIONS, TARGETS

    ppa = model.persons_per_agent
    rows = []
    for year in model.reported_years:
        flows = model.year_totals[year]
        totals = {k: v * ppa if k in PERSON_FLOWS else v for k, v in flows.items()}
        for name in PERSON_FLOWS + OTHER_FLOWS:
            rows.append((year, name, float(totals.get(name, 0.0))))
        for name in STOCKS:
            rows.append((year, name, float(model.year_stocks[year][name])))
        for name, value in derived_shares(totals).items():
            rows.append((year, name, float(value)))
        for t in TARGETS.values():
            value = t.compute(model, year)
            if value is not None:
                rows.append((year, t.id, float(value)))
        for name, (_, compute) in COMPANIONS.items():
            rows.append((year, name, float(compute(model, year))))
    return pd.DataFrame(rows, columns=["year", "indicator", "value"])
