"""Graduation destinations: job search, hiring and retention in the city.

In each search month there are ``rounds_per_month`` rounds. In each, every graduate still
searching comes across ``candidates_seen`` open posts (more with the platform): a share
``own_group_draw_share_{track}`` among posts in the graduate's major group (school
recommendation: weighted by ``exp(-km(school, firm) / recommendation_decay_km)``, a school knows
the firms near it), the rest among all open posts. A post is matched if its group is the
graduate's. An opening at distance ``d`` km is seen with probability
``exp(-d / (search_decay_km * reach_e))`` (farther with the platform, and farther for a firm that
widened its recruiting after unfilled posts). An order-class sponsor's or apprenticeship host's
post is always seen. Outside the city a graduate weighs ``outside_offers`` offers, each with pay
drawn around the mean local wage index times ``1 + premium``. The graduate compares the best
local opening seen with the best outside offer, further study and waiting:

    U_local   = b_w ln(offered pay_e * (1 or unmatched factor)) + b_match * matched
                + b_attach * attachment * (1 in the home district, else the other-district
                share) + max(b_km * km(home, e), b_w ln(1 - rent share) - b_family * attachment)
                + retention bonus (+ sponsor or host bonus for one's own trainer) + Gumbel
    U_outside = max over offers j of [b_w ln(mean wage index * (1 + premium) * exp(sd z_j))
                + Gumbel_j] - moving cost
    U_study   = c_study(track) + b_ability * ability + Gumbel
    U_wait    = c_wait + Gumbel

(pay is relative to the track's graduate wage, which cancels across options). The max is the
graduate's choice of how to take a local job: commute from the family home (a cost per km) or
move near the job (rent out of the pay, and leaving the family home, which costs more the more
attached the graduate is). So the destinations are geographic: a job in the home district
(county, or the urban core), a job elsewhere in the city (commuting or having moved: "left the
county, stayed in the city"), a job outside the city, further study, waiting. Posts of a firm
in an industrial park are seen ``park_fair_reach_factor`` times farther (park job fairs). A sponsor's
reserved posts go to its own class graduates only; an enterprise receiving more applicants than
open posts in a group hires its own trainees first, then the best by ``w_ability * ability +
w_match * matched + w_certificate * 1+X certificate``; the rejected search again. Leaving,
studying and waiting are final: waiting (for an exam, military service, a family business)
means not employed. Whoever is still searching when the season closes takes their best
non-local option. Open posts unfilled at the close are the city's skills shortage; firms then
respond to their own (``labour_demand.respond_to_unfilled``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.labour_demand import respond_to_unfilled
from sim.model.students import DESTINATIONS, HIGHER, SECONDARY, TRACKS, State, count_pairs

if TYPE_CHECKING:
    from sim.model.model import SkillsModel

_LOCAL, _OUTSIDE, _STUDY, _WAIT = 0, 1, 2, 3


def _gumbel(rng, shape):
    return -np.log(-np.log(rng.random(shape) + 1e-12))


def outside_options(model: SkillsModel, idx: np.ndarray) -> np.ndarray:
    """(n, 3) utilities of leaving the city, further study and waiting, with noise."""
    lm, st = model.p.labour_market, model.students
    track, rng = st.track[idx], model.rng_for("labour market")
    # Outside pay is anchored to the city's base wage index: other cities do not respond to
    # this city's shortages. A graduate weighs several outside offers, as they do local ones.
    mean_index = float(np.average(model.enterprises.wage_index, weights=model.enterprises.employees))
    k = lm.outside_offers
    log_pay = (np.log(mean_index * (1.0 + lm.outside_wage_premium))
               + lm.outside_wage_sd * rng.standard_normal((len(idx), k)))
    u = np.empty((len(idx), 3))
    u[:, 0] = (lm.beta_log_wage * log_pay + _gumbel(rng, (len(idx), k))).max(axis=1) - lm.outside_moving_cost
    u[:, 1] = (np.where(track == SECONDARY, lm.further_study_secondary, lm.further_study_higher)
               + lm.further_study_ability * st.ability[idx])
    u[:, 2] = np.where(track == SECONDARY, lm.wait_utility_secondary, lm.wait_utility_higher)
    u[:, 1:] += _gumbel(rng, (len(idx), 2))
    return u


def draw_openings(model: SkillsModel, group: np.ndarray, track: np.ndarray, k: int,
                  school: np.ndarray | None = None):
    """Posts that graduates of ``group`` come across: (firm, post group) arrays of shape (n, k).

    Graduates come across individual open posts, so the chance that a post is in their own
    major group is the share of such posts, whatever the scale. A share
    ``own_group_draw_share_{track}`` of the k draws is made among posts in the graduate's own
    group (the school-recommendation channel), the rest among all open posts. A school
    recommends its graduates to the firms it knows, which are near it: a post at ``d`` km from
    the graduate's ``school`` is recommended with weight ``exp(-d / recommendation_decay_km)``."""
    ent, rng, lm = model.enterprises, model.rng_for("labour market"), model.p.labour_market
    n, G = len(group), ent.vacancies.shape[1]
    flat = ent.vacancies.ravel()
    if k == 0 or flat.sum() == 0:
        empty = np.empty((n, 0), dtype=np.int64)
        return empty, empty
    post = _draw(flat, rng.random((n, k)))
    firm, post_group = post // G, post % G
    shares = (lm.own_group_draw_share_secondary, lm.own_group_draw_share_higher)
    if school is None:
        school = np.zeros(n, dtype=np.int64)
        near = np.ones((1, ent.n))
    else:
        school = school.astype(np.int64)
        near = model.city.distance_decay(model.schools.cell, ent.cell, lm.recommendation_decay_km)
    # Graduates by (track, group), each slice in ascending row order, found by one sort
    # rather than a scan of everyone per track and group.
    key = track.astype(np.int64) * G + group
    by_key = np.argsort(key, kind="stable")
    start = np.searchsorted(key[by_key], np.arange(2 * G + 1))
    for t, share in ((SECONDARY, shares[0]), (HIGHER, shares[1])):
        k_own = int(round(k * share))
        u = rng.random((n, k_own))
        for g in np.unique(group):  # a loop over major groups, not graduates
            rows = by_key[start[t * G + g]:start[t * G + g + 1]]
            if rows.size and ent.vacancies[:, g].any():
                firm[rows, :k_own] = _draw_by_school(ent.vacancies[:, g], near, school[rows], u[rows])
                post_group[rows, :k_own] = g
    return firm, post_group


def _draw_by_school(weights: np.ndarray, near: np.ndarray, school: np.ndarray,
                    uniform: np.ndarray) -> np.ndarray:
    """Firms drawn with probability proportional to ``weights * near[school]``, one per
    ``uniform`` value (rows: graduates; ``near`` is (schools, firms)). Each school's cumulative
    weights are scaled to [s, s + 1) and laid end to end, so one search serves every school."""
    open_ = np.flatnonzero(weights)
    present = np.zeros(near.shape[0], dtype=bool)  # the schools among the graduates, in order
    present[school] = True
    schools = np.flatnonzero(present)
    w = near.take(schools, axis=0).take(open_, axis=1) * weights[open_]
    cdf = np.cumsum(w, axis=1, dtype=np.float64)
    cdf /= np.maximum(cdf[:, -1:], 1e-300)
    cdf += np.arange(len(schools))[:, None]
    row = (np.cumsum(present) - 1)[school][:, None]  # each graduate's school's row of cdf
    pos = np.searchsorted(cdf.ravel(), row + uniform, side="right") - row * len(open_)
    return open_[np.clip(pos, 0, len(open_) - 1)]


def _draw(weights: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Indices drawn with probability proportional to ``weights``, one per ``uniform`` value.

    Most (firm, group) cells have no open post, so the search runs over the open ones only
    (same draws as over all of them: a zero weight adds nothing to the cumulative sum). Integer
    weights (open posts) are laid out one entry per post, so a draw is a lookup at
    ``floor(uniform * total)``: the same index the binary search of the cumulative sum finds
    (the first post whose cumulative count exceeds it), at a fraction of the cost."""
    open_ = np.flatnonzero(weights)
    counts = weights[open_]
    if counts.dtype.kind in "iu":
        total = int(counts.sum())
        posts = np.repeat(open_, counts)
        at = (uniform * float(total)).astype(np.int64)
        return posts[np.minimum(at, total - 1)]
    cdf = np.cumsum(counts, dtype=np.float64)
    return open_[np.searchsorted(cdf, uniform * cdf[-1], side="right")]


def _settle(model: SkillsModel, idx: np.ndarray, state: State) -> None:
    """Give graduates ``idx`` their final destination and count it."""
    if idx.size == 0:
        return
    st = model.students
    st.state[idx] = state
    name = DESTINATIONS[state]
    track = st.track[idx]
    for t in (SECONDARY, HIGHER):
        n = int((track == t).sum())
        model.flow(f"destination.{TRACKS[t]}.{name}", n)
    model.update_student_view(idx)


def attachment_utility(model: SkillsModel, idx: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """(n, k) utility of hometown attachment for graduates ``idx`` of jobs at ``firm``: full in
    the home's district (core or county), ``attachment_other_district_share`` of it elsewhere
    in the city."""
    lm, st, district = model.p.labour_market, model.students, model.city.district
    home_district = district[st.home[idx]][:, None]
    same = district[model.enterprises.cell[firm]] == home_district
    share = np.where(same, 1.0, lm.attachment_other_district_share)
    return lm.beta_attachment * st.attachment[idx][:, None] * share


def getting_there(model: SkillsModel, idx: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How graduates ``idx`` would take local jobs ``km`` from home: the (n, k) utility of the
    better of commuting from the family home (``beta_commute_per_km`` per km) and moving near
    the job (rent, ``b_w ln(1 - within_city_rent_share)``, and leaving the family home,
    ``beta_family_home`` per unit attachment), and whether moving is the better."""
    lm = model.p.labour_market
    commute = lm.beta_commute_per_km * km
    move = (lm.beta_log_wage * np.log1p(-lm.within_city_rent_share)
            - lm.beta_family_home * model.students.attachment[idx][:, None])
    moves = move > commute
    return np.where(moves, move, commute), moves


def recruiting_reach(model: SkillsModel) -> np.ndarray:
    """(E,) factor on the distance each firm's posts are seen over: its own reach after unfilled
    posts, times ``park_fair_reach_factor`` for a firm in an industrial park (park job fairs)."""
    ent = model.enterprises
    return ent.reach * np.where(ent.park >= 0, model.p.labour_market.park_fair_reach_factor, 1.0)


def _search_round(model: SkillsModel, closing: bool) -> None:
    st, ent, lm, rng = model.students, model.enterprises, model.p.labour_market, model.rng_for("labour market")
    idx = np.flatnonzero(st.view("state") == State.SEARCHING)
    if idx.size == 0:
        return
    n = idx.size
    other = outside_options(model, idx)

    # Openings drawn in proportion to open posts, plus the post an order-class sponsor or an
    # apprenticeship host holds for the graduate (always seen, worth a bonus).
    group = st.group[idx].astype(np.int64)
    n_seen = model.programmes.platform.candidates_seen()
    cand, cand_group = draw_openings(model, group, st.track[idx], n_seen, st.school[idx])
    sponsor, host = st.sponsor[idx], st.apprentice_firm[idx]
    offer = np.where(sponsor >= 0, sponsor, host)
    offer_bonus = np.where(sponsor >= 0, model.p.order_classes.beta_sponsor_offer,
                           model.p.apprenticeship.beta_apprentice_offer)
    # The trainer's post: in the graduate's group if reserved or open there, else its largest.
    trainer = np.maximum(offer, 0)
    offer_group = np.where((ent.vacancies[trainer, group] > 0) | (ent.reserved[trainer, group] > 0),
                           group, np.argmax(ent.vacancies[trainer], axis=1))
    cand = np.column_stack([cand, trainer])
    cand_group = np.column_stack([cand_group, offer_group])
    km = model.city.km(st.home[idx][:, None], ent.cell[cand])
    decay = model.programmes.platform.search_decay_km()
    reach = recruiting_reach(model)
    seen = rng.random(cand.shape) < np.exp(-km / (decay * reach[cand]))  # inf decay: all seen
    seen[:, -1] = offer >= 0
    is_match = cand_group == group[:, None]
    # Pay relative to the track's graduate wage (the track's level cancels across options).
    pay = ent.offered_pay[cand] * np.where(is_match, 1.0, lm.unmatched_wage_factor)
    travel, moves = getting_there(model, idx, km)
    u = (lm.beta_log_wage * np.log(pay) + lm.beta_match * is_match
         + travel + attachment_utility(model, idx, cand)
         + model.programmes.retention.local_job_bonus(st.attachment[idx])[:, None]
         + _gumbel(rng, cand.shape))
    u[:, -1] += offer_bonus
    u[~seen] = -np.inf
    k = np.argmax(u, axis=1)
    rows = np.arange(n)
    best_local, firm, matched, moved = u[rows, k], cand[rows, k], is_match[rows, k], moves[rows, k]
    post_group = cand_group[rows, k]
    own_offer = (k == cand.shape[1] - 1) & (offer >= 0)

    choice = np.argmax(np.column_stack([best_local, other]), axis=1)
    fallback = 1 + np.argmax(other, axis=1)  # the best option if no local offer comes

    # Applications: one per applicant, to the post chosen. Firms hire their own trainees
    # first, then rank by ability, major match and certificate, and fill posts in that order.
    app = np.flatnonzero(choice == _LOCAL)
    hired = np.zeros(n, dtype=bool)
    if app.size:
        _hire(model, idx, app, firm[app], post_group[app], matched, moved, own_offer, hired, rng)

    # Leaving, studying and waiting are final; a rejected applicant searches again, and at
    # the close takes their best non-local option instead.
    final = np.where(choice == _LOCAL, fallback, choice)
    settles = ~hired & ((choice != _LOCAL) | closing)
    for option, state in ((_OUTSIDE, State.OUTSIDE), (_STUDY, State.FURTHER_STUDY),
                          (_WAIT, State.NOT_EMPLOYED)):
        _settle(model, idx[settles & (final == option)], state)


def _hire(model: SkillsModel, idx: np.ndarray, app: np.ndarray, f: np.ndarray, g: np.ndarray,
          matched: np.ndarray, moved: np.ndarray, own_offer: np.ndarray, hired: np.ndarray,
          rng: np.random.Generator) -> None:
    """Applicants ``app`` (rows of ``idx``) to posts of firm ``f``, group ``g``: firms hire their
    own trainees first, then by ability, major match and certificate, up to their open posts;
    marks ``hired`` and settles the hired graduates."""
    st, ent, lm = model.students, model.enterprises, model.p.labour_market
    # A sponsor's reserved posts go to its own class graduates first (none to anyone else).
    own = np.flatnonzero((st.sponsor[idx[app]] == f) & (ent.reserved[f, g] > 0))
    if own.size:
        key = f[own].astype(np.int64) * len(model.groups) + g[own]
        order = np.argsort(key, kind="stable")
        rank = np.arange(own.size) - np.searchsorted(key[order], key[order], side="left")
        take = own[order[rank < ent.reserved[f[own[order]], g[own[order]]]]]
        np.subtract.at(ent.reserved, (f[take], g[take]), 1)
        model.flow("vacancies.reserved_filled", take.size)
        _book_hires(model, idx, app[take], f[take], matched, moved, hired)
        rest = np.ones(app.size, dtype=bool)
        rest[take] = False
        app, f, g = app[rest], f[rest], g[rest]
        if app.size == 0:
            return
    score = (lm.employer_ability_weight * st.ability[idx[app]]
             + lm.employer_match_weight * matched[app]
             + model.p.certificates.employer_weight * st.certificate[idx[app]]
             + lm.employer_trainee_priority * own_offer[app] + 1e-3 * rng.random(app.size))
    key = f.astype(np.int64) * len(model.groups) + g
    order = np.lexsort((-score, key))
    k_sorted = key[order]
    rank = np.arange(app.size) - np.searchsorted(k_sorted, k_sorted, side="left")
    ok = rank < ent.vacancies[f[order], g[order]]
    take = order[ok]
    np.subtract.at(ent.vacancies, (f[take], g[take]), 1)
    model.flow("vacancies.filled", take.size)
    _book_hires(model, idx, app[take], f[take], matched, moved, hired)


def _book_hires(model: SkillsModel, idx: np.ndarray, rows: np.ndarray, firm: np.ndarray,
                matched: np.ndarray, moved: np.ndarray, hired: np.ndarray) -> None:
    """Graduates ``idx[rows]`` take posts at ``firm``: mark, count and settle them."""
    st, district = model.students, model.city.district
    hired[rows] = True
    new_hires = idx[rows]
    st.employer[new_hires] = firm
    st.moved[new_hires] = moved[rows]
    # Where the job is: the home district, or elsewhere in the city (left the county, stayed).
    home = district[model.enterprises.cell[firm]] == district[st.home[new_hires]]
    track = st.track[new_hires]
    for t, name in enumerate(TRACKS):
        of_track = track == t
        model.flow(f"local_employment.{name}.home_county", int((of_track & home).sum()))
        model.flow(f"local_employment.{name}.elsewhere_in_city", int((of_track & ~home).sum()))
        model.flow(f"local_employment.{name}.moved_within_city",
                   int((of_track & moved[rows]).sum()))
    model.flow("order_classes.delivered", int((st.sponsor[new_hires] >= 0).sum()))
    model.flow("order_classes.hired_by_sponsor", int((st.sponsor[new_hires] == firm).sum()))
    model.programmes.retention.pay_stayers(rows.size)
    _settle(model, new_hires[matched[rows]], State.LOCAL_MATCHED)
    _settle(model, new_hires[~matched[rows]], State.LOCAL_UNMATCHED)


def job_search(model: SkillsModel) -> None:
    """A search month: several rounds of applications; the last month closes the season."""
    closing = model.month == model.p.labour_market.search_months[-1]
    rounds = model.p.labour_market.rounds_per_month
    for r in range(rounds):
        _search_round(model, closing=closing and r == rounds - 1)
    if closing:
        close_season(model)


def close_season(model: SkillsModel) -> None:
    """End of recruitment: count unfilled open posts (the shortage; reserved sponsor posts left
    over are counted apart), let firms respond to their own, book sponsors' record of hiring
    their class graduates and each school's graduate outcomes."""
    ent, st = model.enterprises, model.students
    unfilled = int(ent.vacancies.sum())
    model.flow("vacancies.unfilled", unfilled)
    model.flow("vacancies.reserved_unused", int(ent.reserved.sum()))
    ent.unfilled_last[:] = ent.vacancies.sum(axis=1)
    model.record_year("unfilled_by_group", ent.vacancies.sum(axis=0))
    respond_to_unfilled(model)
    ent.vacancies[:] = 0
    ent.reserved[:] = 0
    grads = np.flatnonzero(st.view("grad_year") == model.year)
    sponsored = grads[st.sponsor[grads] >= 0]
    ppa = model.persons_per_agent
    np.add.at(ent.class_graduates, st.sponsor[sponsored], ppa)
    kept = sponsored[st.employer[sponsored] == st.sponsor[sponsored]]
    np.add.at(ent.class_hires, st.sponsor[kept], ppa)
    G = len(model.groups)
    ok = st.state[grads] == State.LOCAL_MATCHED
    model.record_year("local_matched_by_school_group",
                      count_pairs(st.school[grads[ok]], st.group[grads[ok]], (model.schools.n, G)))
