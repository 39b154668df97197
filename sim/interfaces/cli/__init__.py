"""The ``skills-sim`` command line (see ../shared/design/INTERFACE.md for the contract).

Exit status: 0 done; 2 bad input (the message names file, key, value and what is allowed, and
nothing is written); 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.params import BASELINE_PATH, DEFAULT_MASTER_SEED, ParamError, load_params, parse_set_options


def _progress_enabled() -> bool:
    return sys.stderr.isatty()


def cmd_run(args) -> int:
    from sim.experiments.folders import default_out, manifest, now_iso, write_csv, write_json, write_parquet
    from sim.experiments.runner import run_one

    params = load_params(args.params, parse_set_options(args.set))
    out = Path(args.out) if args.out else default_out("run")
    started = now_iso()
    result = run_one(params, seed=args.seed, scenario=Path(args.params).stem,
                     progress=_progress_enabled())
    write_parquet(result.annual, out / "annual.parquet")
    write_parquet(result.monthly, out / "monthly.parquet")
    write_csv(result.ledger, out / "ledger.csv")
    write_json(manifest("run", params.to_dict(), {"seed": args.seed}, started,
                        params_file=str(args.params), overrides=args.set or []),
               out / "manifest.json")
    _print_annual(result.annual)
    print(f"wrote {out}/annual.parquet, monthly.parquet, ledger.csv, manifest.json")
    return 0


def _print_annual(annual) -> None:
    if annual.empty:
        return
    table = annual.pivot_table(index="target", columns="year", values="value")
    print(table.round(3).to_string())


def cmd_check(args) -> int:
    path = Path(args.params)
    from sim.params import read_toml

    raw = read_toml(path)
    if "sweep" in raw:
        from sim.experiments.sweep import load_sweep  # noqa: PLC0415 - only sweep files need it

        sweep = load_sweep(path)
        print(f"{path}: OK (sweep of {sweep.n_points} points x {sweep.replicates} replicates)")
        return 0
    if "sensitivity" in raw:
        from sim.experiments.sensitivity import load_sensitivity

        sens = load_sensitivity(path)
        print(f"{path}: OK ({sens.spec.method} sensitivity of {len(sens.factors)} factors: "
              f"{sens.sweep.n_points} points x {sens.spec.replicates} replicates)")
        return 0
    if "optimize" in raw:
        from sim.experiments.optimize import load_optimize

        opt = load_optimize(path)
        print(f"{path}: OK (optimisation of {len(opt.levers)} levers: {opt.spec.trials} trials x "
              f"{opt.spec.replicates} replicates)")
        return 0
    params = load_params(path, parse_set_options(getattr(args, "set", None)))
    print(f"{path}: OK ({params.run.years} years from {params.run.start_year}, "
          f"{len(params.sectors)} sectors, {params.run.persons_per_agent} person(s) per agent)")
    return 0


def cmd_forecast(args) -> int:
    from sim.experiments.forecast import forecast_command

    return forecast_command(args)


def cmd_plot(args) -> int:
    from sim.interfaces.plots.forecast import plot_command

    return plot_command(args)


def cmd_sweep(args) -> int:
    from sim.experiments.sweep import sweep_command

    return sweep_command(args)


def cmd_sensitivity(args) -> int:
    from sim.experiments.sensitivity import sensitivity_command

    return sensitivity_command(args)


def cmd_optimize(args) -> int:
    from sim.experiments.optimize import optimize_command

    return optimize_command(args)


def cmd_dashboard(args) -> int:
    """Serve the SolaraViz dashboard (app.py) on this machine; needs the viz extra."""
    import importlib.util
    import os
    import subprocess

    missing = [m for m in ("solara", "altair") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"skills-sim dashboard: error: {', '.join(missing)} not installed; install the "
              "dashboard extra: python3 -m pip install -e '.[viz]'", file=sys.stderr)
        return 2
    folder = BASELINE_PATH.parent / "scenarios"
    scenarios = ["baseline", *sorted(p.stem for p in folder.glob("*.toml"))]
    if args.scenario not in scenarios:
        raise ParamError("--scenario", "scenario", args.scenario,
                         f"expected one of {', '.join(scenarios)}")
    app = Path(__file__).resolve().parent.parent / "app.py"
    target = str(app) if app.exists() else "sim.interfaces.dashboard"  # a non-editable install has no app.py
    env = dict(os.environ, SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT=str(args.persons_per_agent),
               SKILLS_SIM_DASHBOARD_SCENARIO=args.scenario)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # a local tool: no usage reports
    command = [sys.executable, "-m", "solara", "run", target, "--host", args.host,
               "--port", str(args.port), "--open" if args.open else "--no-open"]
    print(f"skills-sim dashboard: serving http://{args.host}:{args.port} (Ctrl-C stops)",
          file=sys.stderr)
    return subprocess.call(command, env=env)


def cmd_calibrate(args) -> int:
    from sim.experiments.calibrate import calibrate_command

    return calibrate_command(args)


def _study_options(p: argparse.ArgumentParser, cluster: bool) -> None:
    """--workers and a resumable --out; with ``cluster``, --executor and --scheduler too."""
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    if cluster:
        p.add_argument("--executor", choices=["local", "dask"], default="local")
        p.add_argument("--scheduler", help="Dask scheduler address, with --executor dask")
    p.add_argument("--out", help="output folder; re-running on the same folder resumes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skills-sim",
        description="Agent-based forecast of a city's industry-education integration plan.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    set_help = "override a parameter with a dotted key, e.g. --set budget.total_yuan=2.5e8"

    p = sub.add_parser("run", help="one simulation to the horizon")
    p.add_argument("params", nargs="?", default=str(BASELINE_PATH), help="parameter file")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", help="output folder (default: a new folder under results/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("forecast", help="Monte Carlo forecast of every target")
    p.add_argument("params", nargs="*", default=[str(BASELINE_PATH)],
                   help="parameter files; several = scenarios compared side by side")
    p.add_argument("--replicates", type=int, default=None, help="replicates per scenario")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED, help="master seed")
    p.add_argument("--out", help="output folder (default: a new folder under results/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("sweep", help="a parameter sweep described by a sweep file (resumable)")
    p.add_argument("sweep", help="sweep file (TOML)")
    _study_options(p, cluster=True)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("sensitivity",
                       help="which levers and uncertainties drive each target (SALib; resumable)")
    p.add_argument("file", help="sensitivity file (TOML, a [sensitivity] table)")
    _study_options(p, cluster=True)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("optimize",
                       help="cheapest lever setting meeting targets with a given probability "
                            "(Optuna; resumable)")
    p.add_argument("file", help="optimisation file (TOML, an [optimize] table)")
    _study_options(p, cluster=False)
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("plot", help="redraw the figures of a finished run, forecast or sweep")
    p.add_argument("dir", help="output folder")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser(
        "calibrate", help="fit coefficients to observed statistics (Optuna; resumable)",
        description="Fit --fit coefficients so the model matches OBSERVED.csv (indicator, year, "
                    "value, tolerance; empty year = mean over the simulated years). Re-running "
                    "the same command on the same --out continues the study. For speed, e.g. "
                    "--set run.persons_per_agent=10 --set run.years=2.")
    p.add_argument("observed", help="CSV of observed statistics: indicator, year, value, tolerance")
    p.add_argument("--params", help="parameter file to start from (default: the baseline)")
    p.add_argument("--fit", action="append", required=True, metavar="KEY=LOW:HIGH",
                   help="a numeric parameter to fit and its range; repeat for several")
    p.add_argument("--trials", type=int, default=None, help="finished trials in total (default 30)")
    p.add_argument("--seeds", type=int, default=None, help="seeds per trial (default 3)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: min(seeds, cores))")
    p.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED, help="master seed")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.add_argument("--out", help="output folder; re-running on the same folder resumes")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("check", help="validate a parameter, sweep, sensitivity or optimize file")
    p.add_argument("params", help="parameter, sweep, sensitivity or optimize file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("dashboard", help="interactive dashboard in a browser (needs the viz extra)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--open", dest="open", action="store_true", default=True,
                   help="open a browser tab (default)")
    p.add_argument("--no-browser", dest="open", action="store_false", help="do not open a browser")
    p.add_argument("--persons-per-agent", type=int, default=1, choices=[1, 2, 5, 10, 20],
                   help="scale the page starts at (default 1 = full scale)")
    p.add_argument("--scenario", default="baseline",
                   help="scenario the page starts from: baseline or a name in params/scenarios/")
    p.set_defaults(func=cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ParamError as exc:
        print(f"skills-sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skills-sim {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
