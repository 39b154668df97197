"""``skills-sim forecast [FILES...]``."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from sim.experiments.assumptions import ASSUMPTION_METHOD, forecast_draws
from sim.experiments.executors import default_workers
from sim.experiments.forecast import (DEFAULT_REPLICATES, forecast_tables, scenario_names,
                                      sort_by_scenario)
from sim.experiments.limits import check_replicates, check_seed, check_workers
from sim.experiments.seeds import SEED_METHOD, replicate_seed, replicate_seeds
from sim.interfaces.cli.common import city_folders, write_district_answers
from sim.params import BASELINE_PATH, MISSING, ParamError, Params, load_params, parse_set_options

FORECAST_FILES = ["annual.parquet", "runs.csv", "attainment.csv", "earliest_year.csv",
                  "assumptions.parquet", "drivers.csv", "value_of_information.csv",
                  "chance_vs_assumptions.csv", "districts.parquet", "districts_attainment.csv",
                  "district_cells.parquet", "report.html", "report.pdf"]



def command(args) -> int:
    """``skills-sim forecast``: validate everything, simulate, then write the folder.

    Nothing is written before every run has finished, and then into a new folder beside
    ``--out`` that is moved into place whole (manifest included), so ``--out`` holds either the
    earlier result or this one, never a mixture.
    """
    from sim.experiments.folders import OutputFolder, default_out, manifest, now_iso, write_csv, write_parquet
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.experiments.attainment import attainment, earliest_year, rounded
    from sim.interfaces.hinges import hinges_by_target, read_tables
    from sim.interfaces.report_files import write_report
    from sim.interfaces.summary import targets_in

    # -- validate every input before any work or any file ---------------------------------------
    replicates = DEFAULT_REPLICATES if args.replicates is None else args.replicates
    check_replicates(replicates)
    check_workers(args.workers)
    workers = default_workers() if args.workers is None else args.workers
    check_seed(args.seed)
    paths = list(args.params) or [str(BASELINE_PATH)]
    names = scenario_names(paths)
    scenarios = load_scenarios(names, paths, parse_set_options(args.set))
    folders = city_folders(scenarios)
    out = Path(args.out) if args.out else default_out("forecast")

    ranged, draws, fixed = forecast_draws(scenarios, paths, replicates, args.seed,
                                          args.fixed_assumptions)
    posterior = posterior_draws(args, scenarios, ranged, draws, replicates)
    if posterior is not None:
        draws = posterior

    with OutputFolder(out, "forecast", getattr(args, "overwrite", False)) as folder:
        started, t0 = now_iso(), time.perf_counter()
        print(f"forecast: {len(scenarios)} scenario(s) x {replicates} replicates on {workers} "
              f"worker(s), " + ("assumptions at their point values" if fixed else
                                f"{max(map(len, ranged.values()))} uncertain assumption(s) "
                                "drawn per replicate") + f" -> {out}", flush=True)
        annual, by_district = forecast_tables(scenarios, replicates, workers, args.seed,
                                              draws=None if fixed else draws, ranged=ranged)
        elapsed = time.perf_counter() - t0

        order, new = list(scenarios), folder.path
        att = sort_by_scenario(attainment(annual, by=["scenario"]), order)
        early = sort_by_scenario(earliest_year(att, by=["scenario"]), order)
        write_parquet(annual, new / "annual.parquet")
        write_csv(annual, new / "runs.csv")  # the same rows, for spreadsheets
        write_csv(rounded(att), new / "attainment.csv")
        write_csv(early, new / "earliest_year.csv")
        maps = write_districts(new, scenarios, by_district, replicate_seed(args.seed, 0))
        write_parquet(draws, new / "assumptions.parquet")
        t1 = time.perf_counter()
        write_driver_tables(new, annual, draws, att, order, fixed)
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
            drivers_seconds=round(time.perf_counter() - t1, 1),
            assumptions={"fixed": fixed, "method": None if fixed else ASSUMPTION_METHOD,
                         "source": (f"posterior {args.assumptions}" if posterior is not None
                                    else "point values" if fixed else "prior ranges"),
                         "ranges": {name: {f.key: f.spec() for f in factors}
                                    for name, factors in ranged.items()}},
        )
        figures = draw_forecast(new, annual, meta, maps)
        meta["hinges_on"] = hinges_by_target(targets_in(annual), att, order, read_tables(new),
                                             fixed)
        meta["finished"] = now_iso()
        write_report(new, meta)
        folder.commit(meta, FORECAST_FILES)

    _print_earliest(early)
    print(f"wrote {out}/: report.html, report.pdf, summary.md, annual.parquet, runs.csv, "
          f"attainment.csv, earliest_year.csv, assumptions.parquet, drivers.csv, "
          f"value_of_information.csv, chance_vs_assumptions.csv, districts.parquet, "
          f"districts_attainment.csv, district_cells.parquet, {len(figures) + len(maps)} figures, "
          f"manifest.json ({elapsed:.0f} s of simulation)")
    return 0


def posterior_draws(args, scenarios: dict[str, Params], ranged: dict, draws: pd.DataFrame,
                    replicates: int) -> pd.DataFrame | None:
    """``--assumptions POSTERIOR``: the draws with the posterior's keys taken from it (checked
    before any run: a missing or malformed file exits 2)."""
    if not getattr(args, "assumptions", None):
        return None
    from sim.experiments.posterior import read_posterior, with_posterior
    from sim.params import flatten

    if args.fixed_assumptions:
        raise ParamError("command line", "--assumptions", args.assumptions,
                         "not with --fixed-assumptions (one or the other)")
    known = set().union(*(flatten(p.to_dict()) for p in scenarios.values()))
    post = read_posterior(args.assumptions, known)
    covered = set(post["key"]) & {f.key for factors in ranged.values() for f in factors}
    if not covered:
        raise ParamError(args.assumptions, "key", sorted(set(post["key"]))[0],
                         "none of the posterior's keys is ranged in [uncertain] of any scenario")
    return with_posterior(draws, post, replicates, args.seed)


def load_scenarios(names: list[str], paths: list[str], overrides: dict) -> dict[str, Params]:
    """Every scenario validated before any run; every bad one is reported, not just the first."""
    scenarios, problems = {}, []
    for name, path in zip(names, paths):
        try:
            scenarios[name] = load_params(path, overrides)
        except ParamError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ParamError("forecast", "<file>", MISSING, f"{len(problems)} of {len(paths)} "
                         "scenarios are invalid:\n  " + "\n  ".join(map(str, problems)))
    return scenarios


def write_districts(new, scenarios: dict[str, Params], by_district: pd.DataFrame,
                    first_seed: int) -> list:
    """The answers by district: T1 and T9 attainment by district, the table, the cell map of
    each scenario's city (a drawn city's is replicate 0's) and the maps; returns the maps."""
    from sim.experiments.attainment import district_attainment
    from sim.experiments.folders import write_csv

    thresholds = {name: p.targets for name, p in scenarios.items()}
    att = sort_by_scenario(district_attainment(by_district, thresholds), list(scenarios),
                           keys=("district", "target", "year"))
    write_csv(att, new / "districts_attainment.csv")
    return write_district_answers(new, scenarios, first_seed, by_district)


def write_driver_tables(out: Path, annual: pd.DataFrame, draws: pd.DataFrame, att: pd.DataFrame,
                        order: list[str], fixed: bool) -> None:
    """drivers.csv, value_of_information.csv and chance_vs_assumptions.csv (headers only when
    the assumptions were held at their point values: nothing varied to decide anything)."""
    from sim.experiments.assumptions import wide
    from sim.experiments.drivers import forecast_drivers
    from sim.experiments.folders import write_csv

    x_of = {} if fixed else {s: wide(draws, s) for s in order}
    tables = forecast_drivers(annual, x_of, att)
    for name, table in tables.items():
        write_csv(sort_by_scenario(table, order, keys=("target", "year")), out / f"{name}.csv")


def _print_earliest(early: pd.DataFrame) -> None:
    if early.empty:
        print("no target values within the horizon")
        return
    shown = early.astype({"year_p50": "string", "year_p80": "string"}).fillna("never")
    print("first year met with probability >= 0.5 / >= 0.8:")
    print(shown.to_string(index=False))
