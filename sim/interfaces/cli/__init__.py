"""The ``skills-sim`` command line: one module per command (``run``, ``forecast``, ``sweep``,
``plot``, ``check``, ``init-city``, ``calibrate``, ``sensitivity``, ``optimize``, ``dashboard``), each with a
``command(args)``; the commands, files and Python API are described in docs/.

Exit status: 0 done; 2 bad input (the message names file, key, value and what is allowed, and
nothing is written); 1 anything else.
"""

from __future__ import annotations

import argparse
import sys

try:
    from sim.params import BASELINE_PATH, DEFAULT_MASTER_SEED, ParamError, dist_version
except KeyboardInterrupt:  # Ctrl-C while the command is still starting: no import traceback
    print("skills-sim: interrupted", file=sys.stderr)
    raise SystemExit(130) from None


def _command(name: str):
    """The ``command(args)`` of ``sim.interfaces.cli.<name>``, imported when it runs (so
    ``skills-sim check`` does not import Optuna, SALib or matplotlib)."""
    def run(args) -> int:
        from importlib import import_module

        return import_module(f"sim.interfaces.cli.{name}").command(args)

    return run


def _study_options(p: argparse.ArgumentParser, cluster: bool) -> None:
    """--workers and a resumable --out; with ``cluster``, --executor and --scheduler too."""
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    if cluster:
        p.add_argument("--executor", choices=["local", "dask"], default="local",
                       help="where runs go: this machine's processes or a Dask cluster")
        p.add_argument("--scheduler", help="Dask scheduler address, with --executor dask")
    p.add_argument("--out", help="output folder (default: a new folder under results/); "
                                 "re-running on the same folder resumes")
    _overwrite_option(p)


def _overwrite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder made by another command or holding other files")


def _version() -> str:
    return dist_version("skills-sim") or "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skills-sim",
        description="Agent-based forecast of a city's industry-education integration plan.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    set_help = "override a parameter with a dotted key, e.g. --set budget.total_yuan=2.5e8"

    p = sub.add_parser("run", help="one simulation to the horizon")
    p.add_argument("params", nargs="?", default=str(BASELINE_PATH),
                   help="parameter file (default: params/baseline.toml)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", help="output folder (default: a new folder under results/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    _overwrite_option(p)
    p.set_defaults(func=_command("run"))

    p = sub.add_parser("forecast", help="Monte Carlo forecast of every target")
    p.add_argument("params", nargs="*", default=[str(BASELINE_PATH)],
                   help="parameter files; several = scenarios compared side by side "
                        "(default: params/baseline.toml)")
    p.add_argument("--replicates", type=int, default=None,
                   help="replicates per scenario (default 50)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED, help="master seed")
    p.add_argument("--fixed-assumptions", action="store_true",
                   help="hold the [uncertain] assumptions at their point values (chance only)")
    p.add_argument("--assumptions", metavar="POSTERIOR", default=None,
                   help="draw each replicate's values of the keys a posterior calibration "
                        "covers from its posterior.parquet (skills-sim calibrate) instead of "
                        "their prior ranges; the same draw in every scenario")
    p.add_argument("--out", help="output folder (default: a new folder under results/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    _overwrite_option(p)
    p.set_defaults(func=_command("forecast"))

    p = sub.add_parser("sweep", help="a parameter sweep described by a sweep file (resumable)")
    p.add_argument("sweep", help="sweep file (TOML)")
    _study_options(p, cluster=True)
    p.set_defaults(func=_command("sweep"))

    p = sub.add_parser("sensitivity",
                       help="which levers and uncertainties drive each target (SALib; resumable)")
    p.add_argument("file", help="sensitivity file (TOML, a [sensitivity] table)")
    _study_options(p, cluster=True)
    p.set_defaults(func=_command("sensitivity"))

    p = sub.add_parser("optimize",
                       help="cheapest lever setting meeting targets with a given probability "
                            "(Optuna; resumable)")
    p.add_argument("file", help="optimisation file (TOML, an [optimize] table)")
    _study_options(p, cluster=False)
    p.set_defaults(func=_command("optimize"))

    _add_calibrate(sub, set_help)

    p = sub.add_parser("init-city", help="write a city folder (the synthetic city) to edit")
    p.add_argument("dir", help="folder to write (must not hold a city already)")
    p.add_argument("--params", default=str(BASELINE_PATH), help="parameter file the city is drawn from")
    p.add_argument("--seed", type=int, default=1, help="random seed of the drawn city (default 1)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.set_defaults(func=_command("init_city"))

    p = sub.add_parser("check", help="validate a parameter, sweep, sensitivity or optimize file")
    p.add_argument("params", help="parameter, sweep, sensitivity or optimize file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.set_defaults(func=_command("check"))

    _add_plot_and_report(sub)
    _add_dashboard(sub)
    _add_defaults_and_examples(sub)
    return parser


EXAMPLES = {
    "run": ["skills-sim run", "skills-sim run params/scenarios/plan.toml --seed 3",
            "skills-sim run --set run.persons_per_agent=10 --out results/quick"],
    "forecast": ["skills-sim forecast",
                 "skills-sim forecast params/scenarios/status_quo.toml params/scenarios/plan.toml",
                 "skills-sim forecast --replicates 200 --out results/final",
                 "skills-sim forecast --replicates 8 --set run.persons_per_agent=10  # a quick look"],
    "sweep": ["skills-sim sweep experiments/platform_launch.toml",
              "skills-sim sweep experiments/funding_x_subsidy.toml --out results/fx  # resumable",
              "skills-sim sweep experiments/screening_lhs.toml --executor dask "
              "--scheduler tcp://10.0.0.5:8786"],
    "sensitivity": ["skills-sim sensitivity experiments/sensitivity_levers.toml"],
    "optimize": ["skills-sim optimize experiments/optimize_budget.toml"],
    "plot": ["skills-sim plot results/forecast-20260101-120000"],
    "report": ["skills-sim report results/forecast-20260101-120000"],
    "calibrate": ["skills-sim calibrate params/calibration/national_statistics.csv "
                  "--fit labour_market.further_study_secondary=1:3 --trials 40 "
                  "--out results/calib"],
    "check": ["skills-sim check params/scenarios/plan.toml",
              "skills-sim check experiments/platform_launch.toml"],
    "init-city": ["skills-sim init-city cities/my-city",
                  "skills-sim init-city cities/my-city --params params/scenarios/plan.toml --seed 3"],
    "dashboard": ["skills-sim dashboard", "skills-sim dashboard --persons-per-agent 10 --no-browser"],
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows every option's default (unless its help already says it), keeps the examples'
    line breaks, and never prints an absolute path of this machine as a default."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if ("default" in text or default in (None, False, argparse.SUPPRESS)
                or isinstance(default, list) or action.nargs == 0):
            return text
        if str(default) == str(BASELINE_PATH):
            default = "params/baseline.toml"
        return f"{text} (default: {default})"


def _add_defaults_and_examples(sub) -> None:
    for name, p in sub.choices.items():
        p.formatter_class = _HelpFormatter
        if name in EXAMPLES and not p.epilog:
            p.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])


def _add_calibrate(sub, set_help: str) -> None:
    p = sub.add_parser(
        "calibrate", help="a posterior over uncertain coefficients, or a point fit (resumable)",
        description="Match the model to OBSERVED.csv (indicator, year, value, tolerance; empty "
                    "year = mean over the simulated years). Without --fit: a posterior over the "
                    "parameter file's [uncertain] ranges (posterior.parquet, validation.csv, "
                    "identifiability.csv; --holdout keeps statistics out of the fit to validate "
                    "on them). With --fit KEY=LOW:HIGH: a point fit of those coefficients "
                    "(Optuna), or a posterior over those ranges with --method posterior. "
                    "Re-running the same command on the same --out continues the study. For "
                    "speed, e.g. --set run.persons_per_agent=10 --set run.years=2.")
    p.add_argument("observed", help="CSV of observed statistics: indicator, year, value, tolerance")
    p.add_argument("--params", help="parameter file to start from (default: the baseline)")
    p.add_argument("--fit", action="append", metavar="KEY=LOW:HIGH",
                   help="a numeric parameter to fit and its range; repeat for several")
    p.add_argument("--method", choices=("posterior", "point"), default=None,
                   help="posterior (default without --fit) or point (Optuna; default with --fit)")
    p.add_argument("--holdout", action="append", metavar="INDICATOR",
                   help="posterior: keep this statistic out of the fit and validate on it; "
                        "repeat for several (rows with role = validate in OBSERVED.csv are "
                        "held out too)")
    p.add_argument("--candidates", type=int, default=None,
                   help="posterior: candidates drawn from the ranges (default 200)")
    p.add_argument("--draws", type=int, default=None,
                   help="posterior: equal-weight draws written (default 200, at least 100)")
    p.add_argument("--trials", type=int, default=None,
                   help="point fit: finished trials in total (default 30)")
    p.add_argument("--seeds", type=int, default=None,
                   help="seeds per candidate or trial (default 2 posterior, 3 point)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: min(seeds, cores))")
    p.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED, help="master seed")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    p.add_argument("--out", help="output folder (default: a new folder under results/); "
                                 "re-running on the same folder resumes")
    _overwrite_option(p)
    p.set_defaults(func=_command("calibrate"))


def _add_plot_and_report(sub) -> None:
    p = sub.add_parser("plot", help="redraw the figures of a finished run, forecast or sweep")
    p.add_argument("dir", help="output folder")
    p.set_defaults(func=_command("plot"))
    p = sub.add_parser("report", help="write report.html and report.pdf of a forecast or sweep")
    p.add_argument("dir", help="a finished forecast or sweep folder")
    p.set_defaults(func=_command("report"))


def _add_dashboard(sub) -> None:
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
    p.set_defaults(func=_command("dashboard"))


RESUMABLE = ("sweep", "sensitivity", "optimize", "calibrate")
# Commands that run their simulations on a local pool of workers (with --workers other than 1):
# its fork server starts before the command's own imports (start_fork_server_early).
POOLED = ("forecast", *RESUMABLE)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        print("skills-sim: interrupted", file=sys.stderr)
        return 130
    try:
        if args.command in POOLED and getattr(args, "executor", "local") == "local":
            from sim.experiments.processes import start_fork_server_early

            start_fork_server_early(getattr(args, "workers", 1))
        return args.func(args)
    except ParamError as exc:
        print(f"skills-sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skills-sim {args.command}: {interrupted(args.command)}", file=sys.stderr)
        return 130
    except OSError as exc:  # disk full, read-only, permissions: one line naming the path
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"skills-sim {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


def interrupted(command: str) -> str:
    """What Ctrl-C leaves: resumable studies keep their finished runs; run and forecast
    write their folder whole at the end, so an interrupted one leaves ``--out`` as it was."""
    if command in RESUMABLE:
        return "interrupted; re-run the same command to resume"
    if command in ("run", "forecast"):
        return "interrupted; nothing was written (--out is as it was)"
    return "interrupted"


if __name__ == "__main__":
    sys.exit(main())
