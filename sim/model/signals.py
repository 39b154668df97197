"""Labour-market signals: what schools and families believe about each major group's prospects.

The signal for group ``g`` is ``log((V_g + 1) / (J_g + 1))``: vacancies posted for the group
against its graduates. Without the information platform the figures a school sees are
``signal_lag_years`` old and read with error; with ``signal_sees_pipeline`` the supply side is
the students still in training (enrolled / programme length), which is what damps the cobweb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


def _year_value(model: SkillsModel, name: str, year: int) -> np.ndarray:
    log = model.year_log
    first = min(log)
    return log[max(year, first)][name]


def demand_supply_ratio(model: SkillsModel, lag_years: int, sees_pipeline: bool) -> np.ndarray:
    """(G,) log ratio of vacancies to graduates as seen with the given information."""
    year = model.year - lag_years
    if lag_years == 0:
        vacancies = model.year_log[model.year].get("vacancies_by_group")
        if vacancies is None:  # asked before this year's recruitment: the newest figures
            vacancies = _year_value(model, "vacancies_by_group", model.year - 1)
    else:
        vacancies = _year_value(model, "vacancies_by_group", year)
    if sees_pipeline:
        supply = model.enrolled_by_group() / model.p.students.programme_years
    elif lag_years == 0:
        # This year's graduates once they have graduated, else the class about to graduate.
        supply = model.year_log[model.year].get("graduates_by_group")
        if supply is None:
            supply = model.final_year_by_group()
    else:
        supply = _year_value(model, "graduates_by_group", year)
    return np.log((vacancies + 1.0) / (supply + 1.0))


def school_signal(model: SkillsModel) -> np.ndarray:
    """(S, G) the demand signal each school reads, with its own reading error."""
    sig = model.programmes.platform.signal_settings()
    lag, pipeline, noise = sig.lag_years, sig.sees_pipeline, sig.noise_sd
    base = demand_supply_ratio(model, lag, pipeline)
    err = model.rng_for("major adjustment").normal(0.0, noise, (model.schools.n, len(base)))
    return base[None, :] + err


def family_prospects(model: SkillsModel) -> np.ndarray:
    """(G,) the prospects families perceive when choosing a major: the public, lagged figures."""
    lag = model.programmes.platform.signal_settings().lag_years
    return demand_supply_ratio(model, lag, sees_pipeline=False)
