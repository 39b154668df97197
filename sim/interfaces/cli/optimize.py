"""``skills-sim optimize FILE``."""

from __future__ import annotations


from sim.experiments.optimize import run_optimize
from sim.experiments.optimize_file import load_optimize
from sim.experiments.optimize_report import money
from sim.experiments.limits import check_workers
from sim.interfaces.cli.common import (bar_on_terminal, city_folders, fresh_out, guard_study,
                                       say, study_out)
from sim.interfaces.plots.optimize import draw_optimize


def command(args) -> int:
    """``skills-sim optimize``: validate everything, then run (or resume) and answer."""
    opt = load_optimize(args.file)
    city_folders({"base": opt.base})  # a bad city folder row: exit 2 before any run
    check_workers(args.workers)
    out = study_out(args, "optimize")
    fresh_out(args, out)
    result = guard_study(
        "optimize", f"finished candidates are kept in {out}/study.db, and the same command resumes",
        lambda: run_optimize(opt, out, workers=args.workers, log=say,
                             progress=bar_on_terminal()))
    if result is None:
        return 1
    draw_optimize(opt, result)
    print("\nAnswer:")
    for line in result.answer:
        print(line if line.startswith("  ") else f"  {line}")
    ok = result.candidates[result.candidates["feasible"].eq(True)]  # None: a failed trial
    if len(ok) > 1:
        print("Cheapest candidates meeting the goal:")
        for r in ok.sort_values(["cost_yuan", "trial"]).head(5).itertuples():
            print(f"  trial {r.trial}: {money(r.cost_yuan)}, lowest P(met) {r.p_min:.2f}")
    print(f"wrote {out}/candidates.csv, tradeoff.png, best.toml, forecast/ (fan charts), "
          f"manifest.json (study in study.db: the same command with a larger trials and --out "
          f"{out} continues it)")
    return 0
