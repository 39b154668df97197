"""``skills-sim sweep FILE``."""

from __future__ import annotations

import sys

from sim.experiments.sweep import run_sweep
from sim.experiments.sweep_file import load_sweep
from sim.interfaces.cli.common import city_folders, executor_options, fresh_out, guard_study, say, study_out
from sim.interfaces.plots.sweep import plot_sweep


def command(args) -> int:
    """``skills-sim sweep``: validate everything first, so bad input writes nothing."""
    sweep = load_sweep(args.sweep)
    city_folders({"base": sweep.base})  # a bad city folder row: exit 2 before any run
    executor, scheduler = executor_options(args)
    out = study_out(args, "sweep")
    fresh_out(args, out)
    result = guard_study(
        "sweep", f"the finished runs are kept in {out}, and the same command resumes the sweep",
        lambda: run_sweep(sweep, out, workers=args.workers, executor=executor, scheduler=scheduler,
                          log=say))
    if result is None:
        return 1
    plot_sweep(out)
    ok = result.n_runs - result.failed
    print(f"{ok} of {result.n_runs} runs done ({result.ran} this time). Wrote {out}/annual.parquet, "
          "attainment.csv, failures.csv, manifest.json and sweep_*.png")
    if result.failed:
        print(f"{result.failed} run(s) failed: see {out}/failures.csv; re-running the same command "
              "retries them", file=sys.stderr)
        return 1
    return 0
