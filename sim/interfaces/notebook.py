"""The forecast from Python (a notebook, a script): ``sim.forecast(...)`` runs it and returns a
:class:`ForecastResult` with the tables, a figure and the same folder the command line writes.

    import sim
    fc = sim.forecast(replicates=8, set={"run.persons_per_agent": 10})
    fc.attainment          # P(met), median and bands per scenario, target and year
    fc.plot()              # overview: P(met) by target and year
    fc.plot("T1")          # one target's fan chart
    fc.save("results/my-forecast")     # the folder `skills-sim forecast` writes
    fc.report("results/my-forecast")   # the same, returning its report.html

The same parameters and seed give the same numbers as ``skills-sim forecast`` (same seeds, same
order), so ``fc.attainment`` equals the CLI's ``attainment.csv`` (rounded the same way).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.assumptions import forecast_draws
from sim.experiments.attainment import rounded
from sim.experiments.folders import OutputFolder, now_iso
from sim.experiments.forecast import (DEFAULT_REPLICATES, forecast_tables as run_forecast,
                                      scenario_names)
from sim.interfaces.forecast_folder import ForecastRuns, forecast_tables, write_forecast
from sim.interfaces.progress import progress_for
from sim.model.model import SkillsModel as CityModel
from sim.params import BASELINE_PATH, DEFAULT_MASTER_SEED, Params, load_params

Scenarios = str | Path | Params | Sequence[str | Path] | Mapping[str, str | Path | Params] | None


class SkillsModel(CityModel):
    """The model (:class:`sim.model.model.SkillsModel`) with a figure for a notebook."""

    def plot(self) -> Figure:
        """This run's targets by year against their thresholds."""
        from sim.interfaces.plots.run import plot_run

        return plot_run(self.annual(), f"scenario '{self.scenario}', seed {self.seed}: the "
                                       "plan's targets by year")


@dataclass
class ForecastResult:
    """A finished forecast: ``annual`` (every run, the ``annual.parquet`` rows) and what follows."""

    runs: ForecastRuns
    _tables: tuple[pd.DataFrame, pd.DataFrame] | None = field(default=None, repr=False)
    _meta: dict | None = field(default=None, repr=False)

    @property
    def annual(self) -> pd.DataFrame:
        return self.runs.annual

    @property
    def order(self) -> list[str]:
        return self.runs.order

    @property
    def meta(self) -> dict:
        """What ``manifest.json`` records of the forecast (before its folder is written)."""
        if self._meta is None:
            self._meta = self.runs.manifest()
        return self._meta

    def _att_early(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._tables is None:
            self._tables = forecast_tables(self.annual, self.order)
        return self._tables

    @property
    def attainment(self) -> pd.DataFrame:
        """P(met), median, bands, threshold and n_runs per scenario, target and year (as in
        ``attainment.csv``, rounded to 4 decimals)."""
        return rounded(self._att_early()[0])

    @property
    def earliest_year(self) -> pd.DataFrame:
        """First year each target is met with probability >= 0.5 and >= 0.8."""
        return self._att_early()[1]

    def plot(self, target: str | None = None, scenario: str | None = None) -> Figure:
        """The overview heat map of a scenario (default: the first), or one target's fan chart."""
        from sim.interfaces.plots.forecast import fan_chart
        from sim.interfaces.plots.overview import overview_chart

        scenario = scenario or self.order[0]
        holder: list[Figure] = []
        keep = lambda fig, _path: holder.append(fig)  # noqa: E731 - draw without saving
        if target is None:
            overview_chart(self._att_early()[0], self.annual, scenario, Path("overview.png"), keep)
            return holder[0]
        att = self._att_early()[0]
        rows = att[(att["target"] == target) & (att["scenario"] == scenario)]
        annual = self.annual[(self.annual["target"] == target)
                             & (self.annual["scenario"] == scenario)]
        return fan_chart(rows, annual, target, scenario, self.meta, None)

    def save(self, out: str | Path, overwrite: bool = False) -> Path:
        """Write the folder ``skills-sim forecast --out OUT`` writes (the same files and
        manifest, moved into place whole); returns it. As on the command line, ``out`` must be
        new, empty or an earlier forecast's folder, unless ``overwrite``."""
        out = Path(out)
        write_forecast(OutputFolder(out, "forecast", overwrite), self.runs)
        return out

    def report(self, out: str | Path, overwrite: bool = False) -> Path:
        """Save the folder and return the path of its ``report.html``."""
        return self.save(out, overwrite) / "report.html"


def forecast(scenarios: Scenarios = None, replicates: int = DEFAULT_REPLICATES,
             seed: int = DEFAULT_MASTER_SEED, workers: int | None = 1,
             set: Mapping[str, object] | None = None,  # noqa: A002 - the CLI's --set
             progress: bool | str | None = None,
             fixed_assumptions: bool = False) -> ForecastResult:
    """Run the Monte Carlo forecast of every target; see the module's docstring.

    ``scenarios``: a parameter file, a list of files (named by their stems, as on the command
    line), ``{name: file or Params}``, or None for params/baseline.toml. ``set`` overrides
    parameters by dotted key, as ``--set``. Each replicate draws its own values of the
    ``[uncertain]`` assumptions, as the command does (``fixed_assumptions``: point values, as
    ``--fixed-assumptions``). ``progress``: None = a bar on a terminal and log lines otherwise,
    True = a bar, "log" = lines, False = nothing. ``workers`` > 1 needs the
    ``if __name__ == "__main__":`` guard in a script (not in a notebook)."""
    from sim.interfaces.cli.common import city_folders

    named = _scenarios(scenarios, dict(set or {}))
    params = {name: p for name, (p, _path) in named.items()}
    sources = [path for _p, path in named.values()]
    folders = city_folders(params)
    started, t0 = now_iso(), time.perf_counter()
    ranged, draws, fixed = forecast_draws(params, sources, replicates, seed, fixed_assumptions)
    annual, by_district, flows = run_forecast(params, replicates, workers, seed,
                                              progress=progress_for(progress),
                                              draws=None if fixed else draws, ranged=ranged)
    return ForecastResult(ForecastRuns(
        params, sources, seed, replicates, workers, annual, by_district, draws, ranged, fixed,
        started, time.perf_counter() - t0, overrides=[f"{k}={v}" for k, v in (set or {}).items()],
        city_data=folders, target_flows=flows))


def _scenarios(scenarios: Scenarios, overrides: dict) -> dict[str, tuple[Params, str]]:
    """``{name: (parameters, file or "(in memory)")}`` in the given order."""
    if scenarios is None:
        scenarios = [BASELINE_PATH]
    if isinstance(scenarios, (str, Path, Params)):
        scenarios = [scenarios]
    if isinstance(scenarios, Mapping):
        items = list(scenarios.items())
    else:
        files = [s for s in scenarios if not isinstance(s, Params)]
        names = iter(scenario_names(files))
        items = [(next(names) if not isinstance(s, Params) else f"scenario-{i + 1}", s)
                 for i, s in enumerate(scenarios)]
    out = {}
    for name, s in items:
        if isinstance(s, Params):
            out[name] = (s.override(overrides) if overrides else s, "(in memory)")
        else:
            out[name] = (load_params(s, overrides), str(s))
    return out
