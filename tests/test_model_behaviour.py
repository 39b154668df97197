"""Behaviour the model must show, averaged over seeds (MODEL.md, "Behaviour ... checked by tests")."""

from __future__ import annotations

import numpy as np

from sim import SkillsModel

SEEDS = range(4)


def mean_target(target, seeds=SEEDS, **overrides):
    values = []
    for seed in seeds:
        annual = SkillsModel(seed=seed, **{"run.persons_per_agent": 10, "run.years": 2},
                             **overrides).run().annual()
        values.append(annual.loc[annual["target"] == target, "value"].mean())
    return np.mean(values), np.std(values) / np.sqrt(len(values))


def test_larger_outside_wage_premium_lowers_local_employment():
    low, se_low = mean_target("T9", **{"labour_market.outside_wage_premium": 0.1})
    high, se_high = mean_target("T9", **{"labour_market.outside_wage_premium": 0.6})
    assert high < low - 3 * max(se_low, se_high, 0.005), (low, high)


def test_stronger_hometown_attachment_raises_local_employment():
    weak, _ = mean_target("T9", **{"labour_market.beta_attachment": 0.5})
    strong, _ = mean_target("T9", **{"labour_market.beta_attachment": 4.0})
    assert strong > weak + 0.02, (weak, strong)


def entrant_swings(model) -> float:
    """RMS of year-on-year log change of entrants by major group: the size of the cycles."""
    years = [y for y in sorted(model.year_log) if y >= model.p.run.start_year
             and "entrants_by_group.0" in model.year_log[y]]
    entrants = np.array([model.year_log[y]["entrants_by_group.0"]
                         + model.year_log[y]["entrants_by_group.1"] for y in years])
    return float(np.sqrt((np.diff(np.log(entrants + 1.0), axis=0) ** 2).mean()))


def test_stale_signals_with_fast_adjustment_give_a_cobweb():
    """Freeman's cobweb: schools chasing lagged vacancy/graduate ratios overshoot; current
    signals that count students still in training damp the swings."""
    fast = {"run.persons_per_agent": 10, "run.years": 12, "platform.enabled": False,
            "major_adjustment.speed": 0.8, "major_adjustment.elasticity": 1.0}
    stale = {"major_adjustment.signal_lag_years": 2, "major_adjustment.signal_noise_sd": 0.3}
    current = {"major_adjustment.signal_lag_years": 0, "major_adjustment.signal_noise_sd": 0.05,
               "major_adjustment.signal_sees_pipeline": True}
    swings_stale = [entrant_swings(SkillsModel(seed=s, **fast, **stale).run()) for s in range(3)]
    swings_current = [entrant_swings(SkillsModel(seed=s, **fast, **current).run()) for s in range(3)]
    assert min(swings_stale) > 2 * max(swings_current), (swings_stale, swings_current)


def test_applicants_rank_the_majors_of_the_nearest_schools_of_their_track(small_params, monkeypatch):
    """Choice sets are the majors of the ``schools_considered`` nearest schools (or
    ``colleges_considered`` nearest colleges), whatever the number of schools in the city: a
    4x city has 12 colleges, of which an applicant still ranks 3."""
    from sim.model.enrollment import choice_sets, open_majors
    from sim.model.scaling import scale_city
    from sim.model.students import HIGHER, SECONDARY

    model = SkillsModel(scale_city(small_params, 4), seed=5)
    sc, schools, city = model.p.school_choice, model.schools, model.city
    home = city.sample_cells(np.random.default_rng(0), 300, city.population)
    for track, k in ((SECONDARY, sc.schools_considered), (HIGHER, sc.colleges_considered)):
        opt_school, _, _ = open_majors(schools, track, np.random.default_rng(1))
        track_schools = np.unique(opt_school)
        assert track_schools.size > k  # the cap binds in this city
        ids, considered, km_home = choice_sets(model, home, opt_school, k)
        assert considered.shape == (300, k)
        km = city.km_matrix(home, schools.cell[track_schools])
        for i in range(len(home)):
            kth = np.sort(km[i])[k - 1]
            to_considered = city.km(np.full(k, home[i]), schools.cell[considered[i]])
            assert (to_considered <= kth + 1e-4).all()
            assert np.array_equal(km_home[i], to_considered)
            # ... and the options listed are exactly the open majors of those schools.
            listed = np.sort(ids[i][ids[i] >= 0])
            assert np.array_equal(listed, np.flatnonzero(np.isin(opt_school, considered[i])))

    # Admission asks for that many schools of each track.
    from sim.model import enrollment
    asked = []
    def recording(model, home, opt_school, k, _real=enrollment.choice_sets):
        asked.append(k)
        return _real(model, home, opt_school, k)
    monkeypatch.setattr(enrollment, "choice_sets", recording)
    enrollment.admit_secondary(model)
    enrollment.admit_higher(model)
    assert asked == [sc.schools_considered, sc.colleges_considered]
