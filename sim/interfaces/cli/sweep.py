"""``skills-sim sweep FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.experiments.sweep import run_sweep
from sim.experiments.sweep_file import load_sweep
from sim.interfaces.cli.common import (city_folders, executor_options, fresh_out, guard_study,
                                       runs_progress, say, study_out)
from sim.interfaces.plots.sweep import plot_sweep


def write_sweep_answer(out: Path) -> list[str]:
    """summary.md and the report of a finished sweep folder; returns the answer's lines."""
    import pandas as pd

    from sim.experiments.folders import write_text
    from sim.experiments.sweep import read_definition
    from sim.interfaces.report_files import write_report
    from sim.interfaces.sweep_report import print_lines, sweep_summary_markdown

    att = pd.read_csv(out / "attainment.csv")
    d = read_definition(out)
    write_text(sweep_summary_markdown(att, d, d.get("name", out.name)), out / "summary.md")
    write_report(out)
    return print_lines(att, d["keys"]) if not att.empty else []


def command(args) -> int:
    """``skills-sim sweep``: validate everything first, so bad input writes nothing."""
    sweep = load_sweep(args.sweep)
    city_folders({"base": sweep.base})  # a bad city folder row: exit 2 before any run
    executor, scheduler = executor_options(args)
    out = study_out(args, "sweep")
    fresh_out(args, out)
    result = guard_study(
        "sweep", f"the finished runs are kept in {out}, and the same command resumes the sweep",
        lambda: run_sweep(sweep, out, workers=args.workers, executor=executor,
                          scheduler=scheduler, log=say, progress=runs_progress()))
    if result is None:
        return 1
    plot_sweep(out)
    answer = write_sweep_answer(out)
    ok = result.n_runs - result.failed
    print(f"{ok} of {result.n_runs} runs done ({result.ran} this time). Wrote {out}/report.html, "
          "report.pdf, summary.md, annual.parquet, target_flows.parquet, attainment.csv, "
          "failures.csv, manifest.json "
          "and sweep_*.png")
    if answer:
        print("which setting first meets each target (P(met) >= 50 %):")
        print("\n".join(f"  {line}" for line in answer))
    if result.failed:
        print(f"{result.failed} run(s) failed: see {out}/failures.csv; re-running the same command "
              "retries them", file=sys.stderr)
        return 1
    return 0
