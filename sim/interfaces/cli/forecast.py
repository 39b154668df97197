"""``skills-sim forecast [FILES...]``."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from sim.experiments.assumptions import forecast_draws
from sim.experiments.executors import default_workers
from sim.experiments.forecast import DEFAULT_REPLICATES, forecast_tables, scenario_names
from sim.experiments.limits import check_replicates, check_seed, check_workers
from sim.interfaces.cli.common import city_folders, runs_progress
from sim.params import BASELINE_PATH, MISSING, ParamError, Params, load_params, parse_set_options


def command(args) -> int:
    """``skills-sim forecast``: validate everything, simulate, then write the folder.

    Nothing is written before every run has finished, and then into a new folder beside
    ``--out`` that is moved into place whole (manifest included), so ``--out`` holds either the
    earlier result or this one, never a mixture.
    """
    from sim.experiments.folders import OutputFolder, default_out, now_iso
    from sim.interfaces.forecast_folder import ForecastRuns, write_forecast

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
    folder = OutputFolder(out, "forecast", getattr(args, "overwrite", False))  # checks --out

    started, t0 = now_iso(), time.perf_counter()
    print(f"forecast: {len(scenarios)} scenario(s) x {replicates} replicates on {workers} "
          f"worker(s), " + ("assumptions at their point values" if fixed else
                            f"{max(map(len, ranged.values()))} uncertain assumption(s) "
                            "drawn per replicate") + f" -> {out}", flush=True)
    annual, by_district, flows = forecast_tables(scenarios, replicates, workers, args.seed,
                                                 progress=runs_progress(),
                                                 draws=None if fixed else draws, ranged=ranged)
    runs = ForecastRuns(scenarios, paths, args.seed, replicates, workers, annual, by_district,
                        draws, ranged, fixed, started, time.perf_counter() - t0,
                        overrides=args.set or [],
                        posterior=args.assumptions if posterior is not None else None,
                        city_data=folders, target_flows=flows)
    early, figures = write_forecast(folder, runs)

    _print_earliest(early)
    print(f"wrote {out}/: report.html, report.pdf, summary.md, annual.parquet, runs.csv, "
          f"attainment.csv, earliest_year.csv, assumptions.parquet, drivers.csv, "
          f"value_of_information.csv, chance_vs_assumptions.csv, districts.parquet, "
          f"districts_attainment.csv, district_cells.parquet, target_flows.parquet, "
          f"{len(figures)} figures, "
          f"manifest.json ({runs.elapsed:.0f} s of simulation)")
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


def _print_earliest(early: pd.DataFrame) -> None:
    if early.empty:
        print("no target values within the horizon")
        return
    shown = early.astype({"year_p50": "string", "year_p80": "string"}).fillna("never")
    print("first year met with probability >= 0.5 / >= 0.8:")
    print(shown.to_string(index=False))
