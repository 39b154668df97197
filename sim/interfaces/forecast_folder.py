"""A forecast's folder, written the same way by ``skills-sim forecast`` and the notebook API
(``sim.forecast(...).save(DIR)``): tables, assumptions and drivers, answers by district,
figures, report and manifest, into a new folder beside ``DIR`` that
:class:`sim.experiments.folders.OutputFolder` moves into place whole, so ``DIR`` holds either
the earlier result or this one, never a mixture."""

from __future__ import annotations

import io
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
    figures (maps included). Leaving early (an error, Ctrl-C) leaves ``folder.out`` as it was.

    The driver tables (PRIM and the trees, the longest part) are computed on worker processes
    of their own (``workers - 1`` of them) while this process writes the district maps and draws
    the figures that do not need them (queued behind the drivers' jobs, so a worker done with
    those draws too); then this process joins in, drawing each target's drivers figure as its
    cells are done; the summary and report follow. The manifest records the wall seconds of
    the drivers (``drivers_seconds``, overlapping the figures) and of this whole step after the
    simulation (``output_seconds``)."""
    from sim.interfaces.hinges import hinges_by_target, read_tables
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.interfaces.report_files import write_report
    from sim.interfaces.summary import targets_in

    t0 = time.perf_counter()
    with folder:
        new, order = folder.path, runs.order
        att, early = forecast_tables(runs.annual, order)
        with driver_tables(runs.annual, runs.draws, att, order, runs.fixed,
                           runs.workers) as drivers:
            write_parquet(runs.annual, new / "annual.parquet")
            write_csv(runs.annual, new / "runs.csv")  # the same rows, for spreadsheets
            write_csv(rounded(att), new / "attainment.csv")
            write_csv(early, new / "earliest_year.csv")
            if runs.target_flows is not None:
                write_parquet(runs.target_flows, new / "target_flows.parquet")
            maps = write_districts(new, runs.scenarios, runs.by_district,
                                   replicate_seed(runs.seed, 0))
            write_parquet(runs.draws, new / "assumptions.parquet")
            meta = runs.manifest(drivers_seconds=None)

            def write_drivers() -> None:
                if meta["drivers_seconds"] is None:  # once
                    write_driver_tables(new, drivers.result(), order)
                    meta["drivers_seconds"] = round(drivers.seconds, 1)

            def pending_drivers(target: str | None) -> dict:
                """A target's drivers rows as drivers.csv will hold them; with None, the
                tables written (see draw_forecast)."""
                if target is not None:
                    rows = sort_by_scenario(drivers.drivers_of(target), order, ("target", "year"))
                    return {"drivers": pd.read_csv(io.StringIO(rows.to_csv(index=False)))}
                write_drivers()
                return read_tables(new)

            figures = draw_forecast(new, runs.annual, meta, maps, pending_drivers=pending_drivers,
                                    shared=drivers.shared)
            write_drivers()  # (a stand-in draw_forecast may not have asked)
        meta["hinges_on"] = hinges_by_target(targets_in(runs.annual), att, order,
                                             read_tables(new), runs.fixed)
        meta["finished"] = now_iso()
        write_report(new, meta)
        meta["output_seconds"] = round(time.perf_counter() - t0, 1)
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


def driver_tables(annual: pd.DataFrame, draws: pd.DataFrame, att: pd.DataFrame,
                  order: list[str], fixed: bool, workers: int | None = 1):
    """The driver tables' computation, started on entering (see
    :class:`sim.experiments.drivers.DriverTables`); nothing to compute when the assumptions
    were held at their point values (nothing varied to decide anything)."""
    from sim.experiments.assumptions import wide
    from sim.experiments.drivers import DriverTables
    from sim.interfaces.summary import targets_in

    x_of = {} if fixed else {s: wide(draws, s) for s in order}
    return DriverTables(annual, x_of, att, workers, targets_in(annual))


def write_driver_tables(out: Path, tables: dict[str, pd.DataFrame], order: list[str]) -> None:
    """drivers.csv, value_of_information.csv and chance_vs_assumptions.csv (headers only when
    the assumptions were held at their point values)."""
    for name, table in tables.items():
        write_csv(sort_by_scenario(table, order, keys=("target", "year")), out / f"{name}.csv")
