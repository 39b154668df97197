"""Comparing settings with their uncertainty: a few replicates of the page's setting and of a
reference scenario, through the forecast engine (:func:`sim.experiments.forecast.forecast`), so
a run here gives the same numbers as ``skills-sim forecast`` with the same seeds and scale
(assumptions included: each replicate draws the ``[uncertain]`` values the command draws).

A :class:`NamedRun` keeps one setting's replicates and the command line that reproduces them;
the page keeps a short list of them per browser session.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.experiments.assumptions import forecast_draws
from sim.experiments.attainment import attainment
from sim.experiments.forecast import forecast, sort_by_scenario
from sim.interfaces.dashboard.levers import scenario_files, set_options
from sim.interfaces.dashboard.model import Settings, start_settings
from sim.params import DEFAULT_MASTER_SEED, PACKAGE_ROOT

MAX_RUNS = 6  # named runs kept per session (oldest dropped first)
SEED_CHOICES = [3, 5, 10, 20]
SCALE_NOTE = ("order classes (T2, T3) are not scale-free: at a coarser scale than 1 agent = 1 "
              "person they read low; compare them between runs, judge their level at full scale")


@dataclass(frozen=True)
class NamedRun:
    """One setting's replicates: the tidy annual table (``annual.parquet``'s schema)."""

    name: str
    settings: Settings
    persons_per_agent: int
    replicates: int
    master_seed: int
    annual: pd.DataFrame

    def command(self) -> str:
        """The ``skills-sim forecast`` call that gives the same rows (scenario named by file)."""
        path = scenario_files()[self.settings.scenario]
        try:
            path = path.relative_to(PACKAGE_ROOT)
        except ValueError:
            pass
        sets = [*set_options(self.settings.overrides()),
                f"--set run.persons_per_agent={self.persons_per_agent}"]
        return (f"skills-sim forecast {path} --replicates {self.replicates} "
                f"--seed {self.master_seed} {' '.join(sets)}")


def run_comparison(current: Settings, reference: str, name: str, replicates: int,
                   persons_per_agent: int, master_seed: int = DEFAULT_MASTER_SEED,
                   workers: int = 1) -> list[NamedRun]:
    """The page's setting and a reference scenario (as written), ``replicates`` seeds each.

    Both share the forecast's seeds (common random numbers), so their difference is the
    settings' doing; one worker by default, since the page shares the server with other visitors.
    """
    ref = start_settings(reference, persons_per_agent)
    names = [name, reference if reference != name else f"{reference} (reference)"]
    scenarios = {names[0]: current.params(persons_per_agent),
                 names[1]: ref.params(persons_per_agent)}
    # Each replicate draws its [uncertain] assumptions as the command does (same seed, same draws).
    ranged, draws, fixed = forecast_draws(scenarios, names, replicates, master_seed)
    annual = forecast(scenarios, replicates, workers=workers, master_seed=master_seed,
                      progress=False, draws=None if fixed else draws, ranged=ranged)
    return [NamedRun(n, s, persons_per_agent, replicates, master_seed,
                     annual[annual["scenario"] == n].reset_index(drop=True))
            for n, s in zip(names, (current, ref))]


def keep(runs: list[NamedRun], new: list[NamedRun]) -> list[NamedRun]:
    """The session's list with ``new`` added: a run of the same name is replaced, at most
    :data:`MAX_RUNS` kept."""
    names = {r.name for r in new}
    return [*(r for r in runs if r.name not in names), *new][-MAX_RUNS:]


def annual_table(runs: list[NamedRun]) -> pd.DataFrame:
    """Every replicate of the runs, in ``annual.parquet``'s columns (scenario = run name)."""
    if not runs:
        return pd.DataFrame()
    return pd.concat([r.annual for r in runs], ignore_index=True)


def attainment_table(runs: list[NamedRun]) -> pd.DataFrame:
    """Per run, target and year: P(met), median and the 50 % and 90 % bands."""
    table = annual_table(runs)
    if table.empty:
        return table
    return sort_by_scenario(attainment(table, by=["scenario"]), [r.name for r in runs])


def p_met_summary(runs: list[NamedRun]) -> pd.DataFrame:
    """Per target and run: P(met) in each year, and the first year with P(met) >= 0.5."""
    att = attainment_table(runs)
    if att.empty:
        return att
    wide = att.pivot_table(index=["target", "scenario"], columns="year", values="p_met")
    first = (att[att["p_met"] >= 0.5].groupby(["target", "scenario"])["year"].min()
             .rename("first year P>=0.5"))
    return wide.join(first).reset_index()
