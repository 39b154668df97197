"""Validation: behaviour that theory or data predicts, averaged over seeds (issue 7).

- the cobweb: with stale signals and fast adjustment, major enrolment cycles with a period near
  twice the delay between a seat decision and the signal it produces (training + lag);
- every lever moves its outcome in the expected direction;
- a coarser population (10 persons per agent) gives the same targets as 1:1 within sampling
  error.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import SkillsModel


def entrant_shares(model) -> np.ndarray:
    years = [y for y in sorted(model.year_log) if y >= model.p.run.start_year
             and "entrants_by_group.0" in model.year_log[y]]
    entrants = np.array([model.year_log[y]["entrants_by_group.0"]
                         + model.year_log[y]["entrants_by_group.1"] for y in years])
    return entrants / entrants.sum(axis=1, keepdims=True)


def cycle_period(model, burn_in: int = 5) -> int:
    """Years between peaks of the mean autocorrelation of log entrant shares by group."""
    x = np.log(entrant_shares(model)[burn_in:] + 1e-3)
    x = x - x.mean(axis=0)
    n = len(x)
    acf = np.array([(x[: n - k] * x[k:]).sum() / (x * x).sum() for k in range(n // 2)])
    first_negative = int(np.argmax(acf < 0))
    assert first_negative > 0, "no oscillation"
    return first_negative + int(np.argmax(acf[first_negative:]))


@pytest.mark.parametrize("lag", [1, 3])
def test_cobweb_period_is_near_twice_training_plus_lag(lag):
    training = 3
    periods = []
    for seed in range(2):
        model = SkillsModel(seed=seed, **{
            "run.persons_per_agent": 10, "run.years": 35, "platform.enabled": False,
            "major_guidance.enabled": False, "major_adjustment.speed": 0.8,
            "major_adjustment.elasticity": 1.0, "major_adjustment.signal_lag_years": lag,
            "major_adjustment.signal_noise_sd": 0.1}).run()
        periods.append(cycle_period(model))
    expected = 2 * (training + lag)
    # Partial adjustment (speed < 1) stretches the cycle a little beyond the pure cobweb's 2D.
    assert all(0.7 * expected <= p <= 1.5 * expected for p in periods), (periods, expected)


SMALL = {"run.persons_per_agent": 10, "run.years": 3}


def mean_of(target_or_indicator, overrides, seeds=range(3)):
    values = []
    for s in seeds:
        m = SkillsModel(seed=s, **SMALL, **overrides).run()
        if target_or_indicator.startswith("T"):
            a = m.annual()
            values.append(a.loc[a["target"] == target_or_indicator, "value"].mean())
        else:
            values.append(m.datacollector.get_model_vars_dataframe()[target_or_indicator].mean())
    return float(np.mean(values))


LEVERS = [  # lever, low setting, high setting, outcome that should rise
    ("joint meeting", {"joint_meeting.enabled": False}, {"joint_meeting.enabled": True}, "T5"),
    ("major guidance", {"major_guidance.aligned_bonus": 0.0}, {"major_guidance.aligned_bonus": 1.5}, "T1"),
    ("education groups", {"groups.enabled": False}, {"groups.enabled": True}, "partnerships.active"),
    ("total budget", {"budget.total_yuan": 4e7}, {"budget.total_yuan": 2e8}, "T7"),
    ("hometown campaign", {"retention.campaign_attachment_boost": 0.0},
     {"retention.campaign_attachment_boost": 0.8}, "T9"),
    ("outside wage premium (falls)", {"labour_market.outside_wage_premium": 0.6},
     {"labour_market.outside_wage_premium": 0.1}, "T9"),
]


@pytest.mark.parametrize("name, low, high, outcome", LEVERS, ids=[lv[0] for lv in LEVERS])
def test_lever_direction(name, low, high, outcome):
    assert mean_of(outcome, high) > mean_of(outcome, low), name


@pytest.mark.slow
def test_persons_per_agent_1_and_10_agree_within_sampling_error():
    """T2-T8 in every year (and T1, T9 over the years) agree between 1 and 10 persons per agent."""
    def target_years(ppa, seeds):
        frames = [SkillsModel(seed=s, **{"run.persons_per_agent": ppa, "run.years": 3}).run()
                  .annual().set_index(["target", "year"])["value"] for s in seeds]
        table = np.array([f.to_numpy() for f in frames])
        return frames[0].index, table.mean(axis=0), table.std(axis=0, ddof=1) / np.sqrt(len(seeds))

    keys, m1, se1 = target_years(1, range(3))
    _, m10, se10 = target_years(10, range(100, 106))
    for (name, year), a, b, sa, sb in zip(keys, m1, m10, se1, se10):
        # Sampling error, plus 5 % for discreteness (a class of 30 is 3 agents at 10 per agent)
        # and one unit for the small stocks (pilots, bases, combos).
        allowed = 3 * np.hypot(sa, sb) + 0.05 * abs(a) + (1.0 if name in ("T6", "T7", "T8") else 1e-9)
        assert abs(a - b) <= allowed, (name, year, a, b, allowed)
