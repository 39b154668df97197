"""Enrollment: the track split, school-and-major choice, and rationed admission.

Each summer a cohort of junior-high graduates (a demographic path with noise) chooses between
the general and the vocational track: a family prefers the general track with probability

    logistic(c_general + b_ability * exam score_i - b_prospects * vocational prospects)

(vocational prospects: the preference-weighted log vacancies/graduates ratio families see). The
general track's seats (``general_track_share`` of the cohort) are a limit: when more prefer it,
the highest exam scores are admitted and the rest turn to the vocational track. General-track
students are not simulated further; a share ``vocational_uptake`` of the others apply to
vocational schools. Applicants rank
the open majors ``o = (school s, group g)`` at the ``schools_considered`` schools (or
``colleges_considered`` colleges) of their track nearest home by a random-utility rule

    U_io = b_dist * km(home_i, s) + b_rep * reputation_s + b_prosp * prospects_g
           + b_int * interest_ig + Gumbel noise

and admission is rationed in proposal rounds: each unplaced applicant proposes to the best
major still open to them; an over-subscribed major keeps its most able proposers and rejects
the rest, who try their next choice. Applicants still unplaced after the last round do not
enrol. Higher-vocational colleges admit this year's secondary graduates who chose further study
together with a pool from general senior high, by the same rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.city_data import split_whole
from sim.model.schools import SchoolTable
from sim.model.signals import family_prospects
from sim.model.students import HIGHER, SECONDARY, State, count_pairs

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


def stochastic_round(rng: np.random.Generator, x: np.ndarray | float) -> np.ndarray:
    """Round to an integer up or down with the probabilities that keep the mean."""
    x = np.asarray(x, dtype=float)
    return np.floor(x + rng.random(x.shape)).astype(np.int64)


def cohort_size(model: SkillsModel, year: int) -> float:
    """Junior-high graduates (persons) in ``year``: trend times a yearly draw (or the city
    folder's count for the year), memoised."""
    d = model.p.demography
    if year not in model.cohorts:
        trend = (1.0 + d.cohort_trend_per_year) ** (year - model.p.run.start_year)
        model.cohorts[year] = d.junior_high_graduates * trend * float(
            np.exp(model.rng_for("demography").normal(0.0, d.cohort_noise_sd))
        )
        # A count the city folder gives for the year replaces the draw (drawn all the same,
        # so the stream stays as it is).
        if model.city_data is not None and year in model.city_data.cohorts:
            model.cohorts[year] = model.city_data.cohorts[year]
    return model.cohorts[year]


def home_weights(model: SkillsModel, year: int) -> np.ndarray:
    """(cells,) weights of where ``year``'s junior-high graduates live: residents per cell, each
    district holding its share of the cohort when the city folder gives junior-high graduates
    by district (a drawn city, or counts that are just the population's whole-person split as
    ``init-city`` writes them, keep the population's own shares)."""
    city = model.city
    counts = None if model.city_data is None else model.city_data.district_cohorts(year)
    if counts is None or counts.sum() <= 0:
        return city.population
    pop = np.bincount(city.district, weights=city.population, minlength=len(counts))
    split = split_whole(counts.sum(), pop / pop.sum()) if pop.sum() > 0 else None
    if split is not None and np.array_equal(split, counts):
        return city.population
    # Within a district, homes follow its residents; a district with graduates but no
    # residents on the map would have nowhere to put them, so it keeps zero weight.
    factor = np.divide(counts / counts.sum(), pop / pop.sum(), out=np.zeros_like(pop), where=pop > 0)
    return city.population * factor[city.district]


def draw_interest(model: SkillsModel, n: int) -> np.ndarray:
    """(n, G) interest shares over major groups: Dirichlet around students' mean tastes."""
    alpha = model.p.students.interest_concentration * model.preference
    g = model.rng_for("enrollment").gamma(alpha, size=(n, len(alpha)))
    return g / np.maximum(g.sum(axis=1, keepdims=True), 1e-12)


def draw_attachment(model: SkillsModel, home: np.ndarray) -> np.ndarray:
    """Hometown attachment in [0, 1] of students living at ``home``: Beta around the mean of
    their home's district (urban core or county)."""
    ps = model.p.students
    in_county = model.city.district[home] > 0
    mean = np.where(in_county, ps.attachment_mean_county, ps.attachment_mean_core)
    c = ps.attachment_concentration
    return model.rng_for("enrollment").beta(mean * c, (1.0 - mean) * c)


def vocational_prospects(model: SkillsModel) -> float:
    """The vocational track's prospects as families see them: the log vacancies/graduates ratio
    of the major groups, weighted by students' mean tastes."""
    return float(np.average(family_prospects(model), weights=model.preference))


def choose_track(model: SkillsModel, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The junior-high cohort's track choice (``n`` agents): returns (vocational applicants'
    rows, every graduate's exam score). The general track's seats are a limit: the highest
    scores among those preferring it are admitted; the others turn to the vocational track."""
    d, rng = model.p.demography, model.rng_for("enrollment")
    score = rng.standard_normal(n)
    log_odds = (d.general_preference_log_odds + d.general_preference_ability_coef * score
                - d.general_preference_prospects_coef * vocational_prospects(model))
    prefers = rng.random(n) < 1.0 / (1.0 + np.exp(-log_odds))
    seats = int(stochastic_round(rng, d.general_track_share * n))
    wanting = np.flatnonzero(prefers)
    general = best_scores(wanting, score[wanting], seats)
    model.flow("entrants.general", general.size)
    model.flow("applicants.general", wanting.size)
    turned = np.ones(n, dtype=bool)  # everyone not admitted to the general track, in order
    turned[general] = False
    rest = np.flatnonzero(turned)
    applies = rest[rng.random(rest.size) < d.vocational_uptake]
    return applies, score


def best_scores(rows: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``rows`` with the highest ``score`` (equal scores: the earlier row), in no
    particular order: the set a stable sort's first ``k`` would give, found by partitioning."""
    if k >= rows.size:
        return rows
    if k <= 0:
        return rows[:0]
    cut = np.partition(-score, k - 1)[k - 1]  # the k-th highest score, negated
    above = rows[-score < cut]
    return np.r_[above, rows[-score == cut][: k - above.size]]


def open_majors(schools: SchoolTable, track: int, rng: np.random.Generator):
    """Options of a track: arrays of school, group and integer seats of each open major."""
    s_idx, g_idx = np.nonzero(schools.offered & (schools.track == track)[:, None])
    seats = stochastic_round(rng, schools.seats[s_idx, g_idx])
    keep = seats > 0
    return s_idx[keep], g_idx[keep], seats[keep]


def choice_sets(model: SkillsModel, home: np.ndarray, opt_school: np.ndarray, considered_schools: int):
    """Options each applicant considers: (n, K * M) option ids (-1 for none), the (n, K)
    schools they belong to and the (n, K) km from home to each.

    An applicant considers the majors of the ``considered_schools`` schools of the track nearest
    home (families look at schools within reach), so the work per applicant does not grow with
    the number of schools in the city. M is the most majors any school offers; column block j
    holds the majors of the applicant's j-th nearest school."""
    schools, city = model.schools, model.city
    track_schools = np.unique(opt_school)
    k = min(considered_schools, track_schools.size)
    if k == 0:
        none = np.empty((len(home), 0), dtype=np.int64)
        return none, none, none.astype(np.float32)
    rank, nearest_km = city.nearest_sites(schools.cell[track_schools], k)  # (cells, k)
    nearest = track_schools[rank]
    # Options sorted by school: school s owns option ids first[s] .. first[s] + count[s] - 1.
    count = np.bincount(opt_school, minlength=schools.n)
    first = np.r_[0, np.cumsum(count)[:-1]]
    m = int(count.max())
    slot = np.arange(m)
    table = np.where(slot[None, :] < count[:, None], first[:, None] + slot[None, :], -1)  # (S, m)
    # ids fill an (applicants, K * M) array that admission reads again every round: int16
    # while the options allow (a quarter of int64's memory traffic), else int32.
    table = table.astype(np.int16 if len(opt_school) < 2**15 - 2 else np.int32)
    considered = nearest[home]
    return table[considered].reshape(len(home), k * m), considered, nearest_km[home]


def choice_utility(model: SkillsModel, interest, opt_group, ids, considered, km) -> np.ndarray:
    """(n, C) utility of every applicant for each option in their choice set, with noise.

    Distance and reputation belong to the school, so they are computed once per (applicant,
    school) and repeated over that school's block of majors; tastes are per group, so they are
    weighted once per (applicant, group) and then looked up per option. Applicants are taken
    in blocks whose arrays stay in the CPU cache, so a city four times larger costs four times
    as much, not more (the noise is drawn block by block: the same numbers in the same order)."""
    pc, schools = model.p.school_choice, model.schools
    rng = model.rng_for("enrollment")
    group = opt_group.astype(np.int16)
    # Each option's prospects term, so a block looks it up once per option rather than through
    # its group (the same float32 numbers, added in the same order). Both lookups are shifted by
    # one so that "no option" (id -1) reads a first entry of -inf: its utility comes out -inf
    # without a masking pass.
    prospects = (pc.beta_prospects * family_prospects(model)).astype(np.float32)
    prospects_of = np.r_[np.float32(-np.inf), prospects[group]].astype(np.float32)
    group_of = np.r_[np.int16(0), group].astype(np.int16)
    fixed = (pc.beta_reputation * schools.reputation).astype(np.float32)
    k = considered.shape[1]
    m = ids.shape[1] // max(k, 1)
    n_groups = interest.shape[1]
    u = np.empty(ids.shape, dtype=np.float32)
    for lo in range(0, len(ids), _BLOCK):
        hi = lo + _BLOCK
        shifted = ids[lo:hi] + ids.dtype.type(1)
        per_school = pc.beta_distance_per_km * km[lo:hi]
        per_school += fixed[considered[lo:hi]]
        ub = u[lo:hi]
        # The school's term repeated over its majors, plus each option's prospects, in one pass.
        np.add(per_school[:, :, None], prospects_of.take(shifted, mode="clip").reshape(len(ub), k, m),
               out=ub.reshape(len(ub), k, m))
        # Each applicant's weighted taste for each option's group: a flat lookup into the
        # block's (applicants, G) table (take_along_axis builds index grids per call).
        tastes = np.float32(pc.beta_interest) * interest[lo:hi].astype(np.float32)
        flat = group_of.take(shifted, mode="clip") + (np.arange(len(ub), dtype=np.int32) * n_groups)[:, None]
        ub += tastes.ravel().take(flat)
        # Gumbel noise, -log(-log(U)), computed in place in one scratch array.
        noise = rng.random(ub.shape, dtype=np.float32)
        noise += np.float32(1e-12)
        np.log(noise, out=noise)
        np.negative(noise, out=noise)
        np.log(noise, out=noise)
        ub -= noise
    return u


_BLOCK = 2048  # applicants per block of choice_utility: (2048, C) float32 arrays are ~0.5 MB


def ration(utility: np.ndarray, ids: np.ndarray, priority: np.ndarray, seats: np.ndarray,
           rounds: int):
    """Proposal rounds with ability priority over choice sets.

    ``utility`` and ``ids`` are (n, C): each applicant's options and their utilities (-inf for
    none). Returns (assigned option id or -1, first-choice option id or -1).

    Each round works on the applicants still looking only: their rows of ``utility``, ``ids``
    and ``priority`` are gathered once, in the order the previous round's sort left them (ties
    break as they always did), so a round costs what its rejected applicants cost."""
    n, n_cols = utility.shape
    assigned = np.full(n, -1, dtype=np.int64)
    if n == 0 or n_cols == 0 or seats.size == 0:
        return assigned, np.full(n, -1, dtype=np.int64)
    seats = seats.astype(np.int64).copy()
    everyone = np.arange(n)
    col = np.argmax(utility, axis=1)  # everyone's first choice
    first_choice = np.where(np.isfinite(utility[everyone, col]), ids[everyone, col], -1)
    u, opt, prio, who = utility, ids, priority, everyone  # the applicants still looking
    closed = np.zeros(seats.size + 1, dtype=bool)  # options closed to them; id -1 reads the last
    for round_ in range(rounds):
        if who.size == 0:
            break
        if round_:
            col = np.argmax(u, axis=1)
        r = np.arange(who.size)
        has_option = np.isfinite(u[r, col])
        if not has_option.all():
            u, opt, prio, who, col = (a[has_option] for a in (u, opt, prio, who, col))
            r = r[: who.size]
        pick = opt[r, col]
        order = np.lexsort((-prio, pick))
        where = pick[order]
        rank = np.arange(where.size) - np.searchsorted(where, where, side="left")
        accept = rank < seats[where]
        assigned[who[order[accept]]] = where[accept]
        seats -= np.bincount(where[accept], minlength=seats.size)
        rejected = order[~accept]
        u, opt = u.take(rejected, axis=0), opt.take(rejected, axis=0)  # (take: faster rows)
        prio, who = prio[rejected], who[rejected]
        u[np.arange(who.size), col[rejected]] = -np.inf
        # Options that filled up are closed to everyone still looking (once: the rows left
        # later are among those closed to now): a lookup of which entries are closed (one byte
        # each) and a masked write of -inf, in place.
        newly_full = np.append(seats <= 0, False) & ~closed
        if newly_full.any() and who.size:
            np.copyto(u, np.float32(-np.inf), where=newly_full.take(opt))
            closed |= newly_full
    return assigned, first_choice


def _book_intake(model: SkillsModel, track: int, opt_school, opt_group, assigned, first_choice) -> None:
    """Record entrants and applications by school and group; update the under-enrolment count."""
    schools, S, G = model.schools, model.schools.n, len(model.groups)
    placed = assigned >= 0
    entrants = count_pairs(opt_school[assigned[placed]], opt_group[assigned[placed]], (S, G))
    has_first = first_choice >= 0
    apps = count_pairs(opt_school[first_choice[has_first]], opt_group[first_choice[has_first]], (S, G))
    model.record_year("entrants_by_school_group", entrants)
    model.record_year("applications_by_school_group", apps)
    model.record_year(f"entrants_by_group.{track}", entrants.sum(axis=0))
    model.flow(f"entrants.{('secondary', 'higher')[track]}", placed.sum())

    of_track = schools.offered & (schools.track == track)[:, None]
    under = entrants * model.persons_per_agent < model.p.major_adjustment.min_entrants
    schools.under_years[:] = np.where(of_track & under, schools.under_years + 1,
                                      np.where(of_track, 0, schools.under_years))


def _enrol_new(model: SkillsModel, track: int, home, ability, interest_own, school, group) -> np.ndarray:
    """Rows for admitted applicants who were not students before; returns their indices."""
    return model.students.append(
        len(home),
        home=home,
        ability=ability,
        attachment=draw_attachment(model, home),
        interest_own=interest_own,
        track=track,
        school=school,
        group=group,
        year=1,
        state=State.ENROLLED,
        entry_year=model.year,
    )


def _admit(model: SkillsModel, track: int, home, ability, interest, considered_schools: int):
    """One track's admission: its open majors, each applicant's choice set and utilities,
    rationing, and the intake books. Returns (school of each option, group of each option,
    option each applicant got or -1)."""
    opt_school, opt_group, seats = open_majors(model.schools, track, model.rng_for("enrollment"))
    ids, considered, km = choice_sets(model, home, opt_school, considered_schools)
    u = choice_utility(model, interest, opt_group, ids, considered, km)
    assigned, first = ration(u, ids, ability, seats, model.p.school_choice.admission_rounds)
    _book_intake(model, track, opt_school, opt_group, assigned, first)
    return opt_school, opt_group, assigned


def admit_secondary(model: SkillsModel) -> None:
    """Summer: the junior-high cohort applies to secondary vocational and technician schools."""
    rng = model.rng_for("enrollment")
    cohort = int(stochastic_round(rng, cohort_size(model, model.year) / model.persons_per_agent))
    applies, score = choose_track(model, cohort)
    n = applies.size
    home = model.city.sample_cells(rng, n, home_weights(model, model.year))
    # Ability in sd units of the vocational applicants (the unit every other rule reads it in).
    s = score[applies]
    ability = ((s - s.mean()) / max(float(s.std()), 1e-9) if n > 1 else s * 0).astype(np.float32)
    interest = draw_interest(model, n)
    opt_school, opt_group, assigned = _admit(model, SECONDARY, home, ability, interest,
                                             model.p.school_choice.schools_considered)

    placed = np.flatnonzero(assigned >= 0)
    o = assigned[placed]
    idx = _enrol_new(model, SECONDARY, home[placed], ability[placed],
                     interest[placed, opt_group[o]], opt_school[o], opt_group[o])
    model.update_student_view(idx)


def admit_higher(model: SkillsModel) -> None:
    """Summer: higher-vocational colleges admit secondary graduates and the general-track pool."""
    st, rng, G = model.students, model.rng_for("enrollment"), len(model.groups)
    progressors = np.flatnonzero(
        (st.view("state") == State.FURTHER_STUDY)
        & (st.view("track") == SECONDARY)
        & (st.view("grad_year") == model.year)
    )
    # A progressor's tastes: their interest in the group they studied, the rest spread evenly.
    own = st.interest_own[progressors]
    prog_interest = np.repeat(((1.0 - own) / (G - 1))[:, None], G, axis=1)
    prog_interest[np.arange(len(progressors)), st.group[progressors]] = own

    d = model.p.demography
    cohort_index = cohort_size(model, model.year - 3) / d.junior_high_graduates
    n_pool = int(stochastic_round(
        rng, d.higher_entrants_from_general * cohort_index / model.persons_per_agent))
    pool_home = model.city.sample_cells(rng, n_pool, home_weights(model, model.year - 3))
    pool_ability = rng.normal(0.0, 1.0, n_pool).astype(np.float32)
    pool_interest = draw_interest(model, n_pool)

    home = np.r_[st.home[progressors], pool_home]
    ability = np.r_[st.ability[progressors], pool_ability]
    interest = np.vstack([prog_interest, pool_interest])
    opt_school, opt_group, assigned = _admit(model, HIGHER, home, ability, interest,
                                             model.p.school_choice.colleges_considered)

    n_prog = len(progressors)
    got = np.flatnonzero(assigned[:n_prog] >= 0)
    rows, o = progressors[got], assigned[got]
    st.track[rows] = HIGHER
    st.school[rows] = opt_school[o]
    st.group[rows] = opt_group[o]
    st.interest_own[rows] = prog_interest[got, opt_group[o]]
    st.year[rows] = 1
    st.state[rows] = State.ENROLLED
    st.entry_year[rows] = model.year
    st.was_secondary[rows] = True
    st.dropout_hazard[rows] = np.nan  # a new track, a new hazard
    # A new track ends the links of the old one: the sponsor's class and the host's post were
    # for the secondary graduate (counted then), not for the college graduate three years on.
    st.sponsor[rows] = -1
    st.apprentice_firm[rows] = -1

    pool_got = np.flatnonzero(assigned[n_prog:] >= 0)
    o = assigned[n_prog + pool_got]
    new = _enrol_new(model, HIGHER, pool_home[pool_got], pool_ability[pool_got],
                     pool_interest[pool_got, opt_group[o]], opt_school[o], opt_group[o])
    model.update_student_view(np.r_[rows, new])


def seed_initial_students(model: SkillsModel) -> None:
    """The city as it stands at the start: every year of every programme already enrolled."""
    p, rng, schools, city = model.p, model.rng_for("initial students"), model.schools, model.city
    years = p.students.programme_years
    dropout = np.array([p.students.dropout_secondary_per_year, p.students.dropout_higher_per_year])
    start = model.first_year
    residents = home_weights(model, start - 1)
    for s in range(schools.n):  # a loop over schools; students are drawn in blocks
        track = int(schools.track[s])
        groups = np.flatnonzero(schools.offered[s])
        # Cohort y entered y years ago and has been thinned by y - 0.6 years of drop-out.
        counts = np.concatenate([
            stochastic_round(rng, schools.seats[s, groups] * p.schools.initial_fill
                             * (1 - dropout[track]) ** (y - 0.6))
            for y in range(1, years + 1)
        ])
        n = int(counts.sum())
        if n == 0:
            continue
        group = np.repeat(np.tile(groups, years), counts)  # counts are laid out year by group
        year = np.repeat(np.repeat(np.arange(1, years + 1), len(groups)), counts)
        km = city.km(np.arange(city.n_cells), np.full(city.n_cells, schools.cell[s]))
        home = city.sample_cells(rng, n, residents * np.exp(
            p.school_choice.beta_distance_per_km * km))
        alpha = p.students.interest_concentration * model.preference
        interest_own = rng.beta(alpha[group], alpha.sum() - alpha[group])
        idx = model.students.append(
            n,
            home=home,
            ability=rng.normal(0.0, 1.0, n),
            attachment=draw_attachment(model, home),
            interest_own=interest_own,
            track=track,
            school=s,
            group=group,
            year=year,
            state=State.ENROLLED,
            entry_year=start - year,
        )
        model.update_student_view(idx)
