"""A forecast's folder, written the same way by ``skills-sim forecast`` and the notebook API.

The manifest goes first and comes back last: a folder holding ``manifest.json`` is a complete
forecast, and every file present is itself complete (atomic writes)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.attainment import attainment, earliest_year, rounded
from sim.experiments.folders import manifest, now_iso, write_csv, write_json, write_parquet
from sim.experiments.forecast import sort_by_scenario
from sim.experiments.seeds import SEED_METHOD, replicate_seeds
from sim.params import Params


def forecast_manifest(scenarios: dict[str, Params], paths: list[str], seed: int,
                      replicates: int, workers: int | None, started: str, elapsed: float,
                      overrides: list[str]) -> dict:
    """Everything needed to reproduce the forecast's numbers."""
    return manifest(
        "forecast",
        {name: p.to_dict() for name, p in scenarios.items()},
        {"master_seed": seed, "method": SEED_METHOD,
         "replicates": replicate_seeds(seed, replicates)},
        started,
        scenarios=[{"name": n, "params_file": str(p)} for n, p in zip(scenarios, paths)],
        overrides=overrides,
        replicates=replicates,
        workers=workers,
        simulation_seconds=round(elapsed, 1),
    )


def forecast_tables(annual: pd.DataFrame, order: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attainment table and the earliest years, in the scenarios' order."""
    att = sort_by_scenario(attainment(annual, by=["scenario"]), order)
    return att, sort_by_scenario(earliest_year(att, by=["scenario"]), order)


def write_forecast(out: Path, annual: pd.DataFrame, meta: dict,
                   order: list[str]) -> tuple[pd.DataFrame, list[Path]]:
    """Tables, figures, summary, report and manifest; returns the earliest years and figures."""
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.interfaces.report_files import write_report

    out = Path(out)
    att, early = forecast_tables(annual, order)
    (out / "manifest.json").unlink(missing_ok=True)
    write_parquet(annual, out / "annual.parquet")
    write_csv(annual, out / "runs.csv")  # the same rows, for spreadsheets
    write_csv(rounded(att), out / "attainment.csv")
    write_csv(early, out / "earliest_year.csv")
    figures = draw_forecast(out, annual, meta)
    meta["finished"] = now_iso()
    write_report(out, meta)
    write_json(meta, out / "manifest.json")
    return early, figures
