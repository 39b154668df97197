"""``skills-sim forecast [FILES...]``."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from sim.experiments.executors import default_workers
from sim.experiments.forecast import (DEFAULT_REPLICATES, check_count, check_master_seed,
                                      forecast_tables, scenario_names, sort_by_scenario)
from sim.experiments.seeds import SEED_METHOD, replicate_seeds
from sim.interfaces.cli.common import city_folders, write_district_answers
from sim.params import BASELINE_PATH, ParamError, load_params, parse_set_options

def command(args) -> int:
    """``skills-sim forecast``: validate everything, simulate, then write the folder.

    Nothing is written before every run has finished; ``manifest.json`` is removed first and
    written last, so a folder holding a manifest is a complete forecast and an interrupted one
    is recognisably incomplete (every file that is present is itself complete: atomic writes).
    """
    from sim.experiments.folders import default_out, manifest, now_iso, write_csv, write_json, write_parquet
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.experiments.attainment import attainment, earliest_year

    # -- validate every input before any work or any file ---------------------------------------
    replicates = DEFAULT_REPLICATES if args.replicates is None else args.replicates
    check_count("--replicates", replicates)
    workers = default_workers() if args.workers is None else args.workers
    check_count("--workers", workers)
    check_master_seed(args.seed)
    paths = list(args.params) or [str(BASELINE_PATH)]
    overrides = parse_set_options(args.set)
    names = scenario_names(paths)
    scenarios = {name: load_params(path, overrides) for name, path in zip(names, paths)}
    folders = city_folders(scenarios)
    out = Path(args.out) if args.out else default_out("forecast")
    if out.exists() and not out.is_dir():
        raise ParamError("command line", "--out", str(out), "exists and is not a folder")

    started, t0 = now_iso(), time.perf_counter()
    print(f"forecast: {len(scenarios)} scenario(s) x {replicates} replicates on {workers} "
          f"worker(s) -> {out}", flush=True)
    annual, by_district = forecast_tables(scenarios, replicates, workers, args.seed)
    elapsed = time.perf_counter() - t0

    # -- write: the manifest goes first and comes back last -------------------------------------
    order = list(scenarios)
    att = sort_by_scenario(attainment(annual, by=["scenario"]), order)
    early = sort_by_scenario(earliest_year(att, by=["scenario"]), order)
    (out / "manifest.json").unlink(missing_ok=True)
    write_parquet(annual, out / "annual.parquet")
    write_csv(att, out / "attainment.csv")
    write_csv(early, out / "earliest_year.csv")
    from sim.experiments.attainment import district_attainment

    write_csv(sort_by_scenario(district_attainment(by_district, {n: p.targets for n, p in scenarios.items()}),
                               order, keys=("district", "target", "year")),
              out / "districts_attainment.csv")
    first_seed = replicate_seeds(args.seed, replicates)[0]
    maps = write_district_answers(out, scenarios, first_seed, by_district)
    meta = manifest(
        "forecast",
        {name: p.to_dict() for name, p in scenarios.items()},
        {"master_seed": args.seed, "method": SEED_METHOD,
         "replicates": replicate_seeds(args.seed, replicates)},
        started,
        scenarios=[{"name": n, "params_file": str(p)} for n, p in zip(names, paths)],
        overrides=args.set or [],
        replicates=replicates,
        workers=workers,
        simulation_seconds=round(elapsed, 1),
        **({"city_data": folders} if folders else {}),
    )
    figures = draw_forecast(out, annual, meta, maps)
    meta["finished"] = now_iso()
    write_json(meta, out / "manifest.json")

    _print_earliest(early)
    print(f"wrote {out}/: annual.parquet, attainment.csv, earliest_year.csv, districts.parquet, "
          f"districts_attainment.csv, district_cells.parquet, summary.md, "
          f"{len(figures) + len(maps)} figures, manifest.json ({elapsed:.0f} s of simulation)")
    return 0


def _print_earliest(early: pd.DataFrame) -> None:
    if early.empty:
        print("no target values within the horizon")
        return
    shown = early.astype({"year_p50": "string", "year_p80": "string"}).fillna("never")
    print("first year met with probability >= 0.5 / >= 0.8:")
    print(shown.to_string(index=False))
