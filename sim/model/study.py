"""Study: drop-out, progression through the years of a programme, and graduation.

Drop-out is a monthly hazard. For a student of average ability and interest it equals the
track's yearly rate spread over twelve months; lower ability and weaker interest in one's own
major raise the odds:

    logit h_i = logit h_track - c_ability * ability_i + c_interest * (1 - interest_i / mean)

Students in the final year graduate in June and start their search; the others move up a year
when term starts in September.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.students import HIGHER, SECONDARY, TRACKS, State, count_pairs

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


def _logit(p):
    return np.log(p / (1.0 - p))


def dropout_hazard(model: SkillsModel, rows: np.ndarray) -> np.ndarray:
    """Monthly drop-out probability of students ``rows`` (fixed while they stay on a track)."""
    st, ps = model.students, model.p.students
    yearly = np.array([ps.dropout_secondary_per_year, ps.dropout_higher_per_year])
    monthly = 1.0 - (1.0 - yearly) ** (1.0 / 12.0)
    mean_interest = 1.0 / len(model.groups)
    z = (_logit(np.maximum(monthly, 1e-12))[st.track[rows]]
         - ps.dropout_ability_coef * st.ability[rows]
         + ps.dropout_interest_coef * np.clip(1.0 - st.interest_own[rows] / mean_interest, -1, 1))
    return np.where(monthly[st.track[rows]] > 0, 1.0 / (1.0 + np.exp(-z)), 0.0)


def dropout(model: SkillsModel) -> None:
    """Every month: enrolled students leave their programme with an individual hazard."""
    st, ps = model.students, model.p.students
    if ps.dropout_secondary_per_year == 0 and ps.dropout_higher_per_year == 0:
        return
    enrolled = np.flatnonzero(st.view("state") == State.ENROLLED)
    if enrolled.size == 0:
        return
    # The hazard depends only on who the student is and their track: computed once, on entry
    # (or re-entry on the higher track), then reused every month.
    hazard = st.dropout_hazard[enrolled]
    unknown = np.isnan(hazard)
    if unknown.any():
        hazard[unknown] = st.dropout_hazard[enrolled[unknown]] = dropout_hazard(model, enrolled[unknown])
    track = st.track[enrolled]
    leaves = model.rng_for("study").random(enrolled.size) < hazard
    gone = enrolled[leaves]
    st.state[gone] = State.DROPPED_OUT
    for t in (SECONDARY, HIGHER):
        model.flow(f"dropouts.{TRACKS[t]}", int((track[leaves] == t).sum()))
    model.update_student_view(gone)


def graduation(model: SkillsModel) -> None:
    """June: final-year students graduate and begin choosing a destination."""
    st = model.students
    final = np.flatnonzero((st.view("state") == State.ENROLLED)
                           & (st.view("year") >= model.p.students.programme_years))
    st.state[final] = State.SEARCHING
    st.grad_year[final] = model.year
    track = st.track[final]
    for t in (SECONDARY, HIGHER):
        model.flow(f"graduates.{TRACKS[t]}", int((track == t).sum()))
    model.flow("order_classes.graduates", int((st.sponsor[final] >= 0).sum()))
    G = len(model.groups)
    model.record_year("graduates_by_group", np.bincount(st.group[final], minlength=G))
    model.record_year("graduates_by_school_group",
                      count_pairs(st.school[final], st.group[final], (model.schools.n, G)))


def new_term(model: SkillsModel) -> None:
    """September: continuing students move up a year (this summer's entrants start year 1)."""
    st = model.students
    moving = (st.view("state") == State.ENROLLED) & (st.view("entry_year") < model.year)
    st.year[: st.n][moving] += 1
