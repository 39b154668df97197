"""A forecast's folder, written the same way by ``skills-sim forecast`` and the notebook API
(``sim.forecast(...).save(DIR)``): tables, assumptions and drivers, answers by district,
figures, report and manifest, into a new folder beside ``DIR`` that
:class:`sim.experiments.folders.OutputFolder` moves into place whole, so ``DIR`` holds either
the earlier result or this one, never a mixture."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiments.assumptions import ASSUMPTION_METHOD
from sim.experiments.attainment import attainment, earliest_year, rounded
from sim.experiments.folders import OutputFolder, manifest, now_iso, write_csv, write_parquet
from sim.experiments.forecast import sort_by_scenario
from sim.experiments.ranges import Factor
from sim.experiments.seeds import SEED_METHOD, replicate_seed, replicate_seeds
from sim.params import Params

FORECAST_FILES = ["annual.parquet", "runs.csv", "attainment.csv", "earliest_year.csv",
                  "assumptions.parquet", "drivers.csv", "value_of_information.csv",
                  "chance_vs_assumptions.csv", "districts.parquet", "districts_attainment.csv",
                  "district_cells.parquet", "target_flows.parquet", "report.html", "report.pdf"]


@dataclass
class ForecastRuns:
    """A finished forecast's runs and what they were run from: everything its folder holds."""

    scenarios: dict[str, Params]
    paths: list[str]                    # each scenario's parameter file (or "(in memory)")
    seed: int
    replicates: int
    workers: int | None
    annual: pd.DataFrame
    by_district: pd.DataFrame
    draws: pd.DataFrame                 # scenario, replicate, key, value of the assumptions
    ranged: dict[str, list[Factor]]
    fixed: bool                         # assumptions at their point values
    started: str
    elapsed: float                      # seconds of simulation
    overrides: list[str] = field(default_factory=list)   # as --set KEY=VALUE
    posterior: str | None = None        # the posterior file the draws came from
    city_data: dict = field(default_factory=dict)        # sim.interfaces.cli.common.city_folders
    target_flows: pd.DataFrame | None = None  # the runs' target_flows rows (companions of the targets)

    @property
    def order(self) -> list[str]:
        return list(self.scenarios)

    def manifest(self, **extra) -> dict:
        """Everything needed to reproduce the forecast's numbers."""
        source = (f"posterior {self.posterior}" if self.posterior is not None
                  else "point values" if self.fixed else "prior ranges")
        return manifest(
            "forecast",
            {name: p.to_dict() for name, p in self.scenarios.items()},
            {"master_seed": self.seed, "method": SEED_METHOD,
             "replicates": replicate_seeds(self.seed, self.replicates)},
            self.started,
            scenarios=[{"name": n, "params_file": str(p)} for n, p in zip(self.order, self.paths)],
            overrides=self.overrides,
            replicates=self.replicates,
            workers=self.workers,
            simulation_seconds=round(self.elapsed, 1),
            **({"city_data": self.city_data} if self.city_data else {}),
            **extra,
            assumptions={"fixed": self.fixed, "method": None if self.fixed else ASSUMPTION_METHOD,
                         "source": source,
                         "ranges": {name: {f.key: f.spec() for f in factors}
                                    for name, factors in self.ranged.items()}},
        )


def forecast_tables(annual: pd.DataFrame, order: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attainment table and the earliest years, in the scenarios' order."""
    att = sort_by_scenario(attainment(annual, by=["scenario"]), order)
    return att, sort_by_scenario(earliest_year(att, by=["scenario"]), order)


def write_forecast(folder: OutputFolder, runs: ForecastRuns) -> tuple[pd.DataFrame, list[Path]]:
    """Write the whole folder and move it into place; returns the earliest years and the
    figures (maps included). Leaving early (an error, Ctrl-C) leaves ``folder.out`` as it was."""
    from sim.interfaces.hinges import hinges_by_target, read_tables
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.interfaces.report_files import write_report
    from sim.interfaces.summary import targets_in

    with folder:
        new, order = folder.path, runs.order
        att, early = forecast_tables(runs.annual, order)
        write_parquet(runs.annual, new / "annual.parquet")
        write_csv(runs.annual, new / "runs.csv")  # the same rows, for spreadsheets
        write_csv(rounded(att), new / "attainment.csv")
        write_csv(early, new / "earliest_year.csv")
        if runs.target_flows is not None:
            write_parquet(runs.target_flows, new / "target_flows.parquet")
        maps = write_districts(new, runs.scenarios, runs.by_district, replicate_seed(runs.seed, 0))
        write_parquet(runs.draws, new / "assumptions.parquet")
        t1 = time.perf_counter()
        write_driver_tables(new, runs.annual, runs.draws, att, order, runs.fixed, runs.workers)
        meta = runs.manifest(drivers_seconds=round(time.perf_counter() - t1, 1))
        figures = draw_forecast(new, runs.annual, meta, maps)
        meta["hinges_on"] = hinges_by_target(targets_in(runs.annual), att, order,
                                             read_tables(new), runs.fixed)
        meta["finished"] = now_iso()
        write_report(new, meta)
        folder.commit(meta, FORECAST_FILES)
    return early, figures + maps


def write_districts(new: Path, scenarios: dict[str, Params], by_district: pd.DataFrame,
                    first_seed: int) -> list:
    """The answers by district: T1 and T9 attainment by district, the table, the cell map of
    each scenario's city (a drawn city's is replicate 0's) and the maps; returns the maps."""
    from sim.experiments.attainment import district_attainment
    from sim.interfaces.cli.common import write_district_answers

    thresholds = {name: p.targets for name, p in scenarios.items()}
    att = sort_by_scenario(district_attainment(by_district, thresholds), list(scenarios),
                           keys=("district", "target", "year"))
    write_csv(att, new / "districts_attainment.csv")
    return write_district_answers(new, scenarios, first_seed, by_district)


def write_driver_tables(out: Path, annual: pd.DataFrame, draws: pd.DataFrame, att: pd.DataFrame,
                        order: list[str], fixed: bool, workers: int = 1) -> None:
    """drivers.csv, value_of_information.csv and chance_vs_assumptions.csv (headers only when
    the assumptions were held at their point values: nothing varied to decide anything)."""
    from sim.experiments.assumptions import wide
    from sim.experiments.drivers import forecast_drivers

    x_of = {} if fixed else {s: wide(draws, s) for s in order}
    tables = forecast_drivers(annual, x_of, att, workers)
    for name, table in tables.items():
        write_csv(sort_by_scenario(table, order, keys=("target", "year")), out / f"{name}.csv")
