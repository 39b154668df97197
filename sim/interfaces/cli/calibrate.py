"""``skills-sim calibrate OBSERVED.csv --fit KEY=LOW:HIGH ...``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sim.experiments.calibrate import (CalibrationError, Evaluation, prepare_calibration,
                                       run_calibration)
from sim.experiments.observed import fmt_number
from sim.interfaces.cli.common import bar_on_terminal, city_folders, fresh_out, study_out
from sim.interfaces.plots.calibrate import draw_fit


def command(args) -> int:
    """Validate everything, then run (or resume) the study, write, draw and summarise."""
    out = study_out(args, "calibrate")
    overwrite = getattr(args, "overwrite", False)
    method = args.method or ("point" if args.fit else "posterior")
    if method == "posterior":
        from sim.interfaces.cli.calibrate_posterior import posterior_command

        return posterior_command(args, out, overwrite)
    if args.holdout or args.candidates is not None or args.draws is not None:
        from sim.params import MISSING, ParamError

        raise ParamError("command line", "--holdout/--candidates/--draws", MISSING,
                         "these are for a posterior calibration (no --fit, or --method posterior)")
    if not args.fit:
        from sim.params import MISSING, ParamError

        raise ParamError("--fit", "<none>", MISSING, "a point fit needs at least one --fit "
                         "KEY=LOW:HIGH (a numeric parameter and its range)")
    cal = prepare_calibration(args.observed, args.fit, args.params, args.set, args.trials,
                              args.seeds, args.workers, args.seed, out, overwrite=overwrite)
    city_folders({"base": cal.base})  # a bad city folder row: exit 2 before any run
    fresh_out(args, out)
    try:
        result = run_calibration(cal, log=lambda msg: print(msg, flush=True),
                                 progress=bar_on_terminal())
    except CalibrationError as exc:
        print(f"skills-sim calibrate: error: {exc}", file=sys.stderr)
        return 1
    best, ev = result.best, result.evaluation
    draw_fit(cal.rows, ev, out / "fit.png",
             f"Calibration fit: best of {result.n_done} trials (#{best.number}), score "
             f"{best.value:.3g} (mean z², {cal.n_seeds} seeds)\n"
             + ", ".join(f"{k} = {fmt_number(v)}" for k, v in result.best_values.items()))
    print_summary(cal.rows, cal.fits, ev, best, result.n_done, result.n_new, out)
    return 0


def print_summary(rows, fits, ev: Evaluation, best, n_done: int, n_new: int, out: Path) -> None:
    """Plain-language result: the fitted values, how good the fit is, the worst statistics."""
    print(f"\n{n_done} trial(s) finished ({n_new} in this session). Best: trial {best.number}, "
          f"score {best.value:.4g} (mean squared distance in tolerances; about 1 or less means "
          f"the statistics are matched within their tolerances).")
    for f in fits:
        v = best.params[f.key]
        edge = (f.high - f.low) * 0.02
        at_edge = v <= f.low + edge or v >= f.high - edge
        note = "   <- at the edge of the range: widen it" if at_edge else ""
        shown = fmt_number(v) if f.kind == "float" else v
        print(f"  {f.key} = {shown}   (searched {f.low} to {f.high}){note}")
    within = int(np.sum(np.abs(ev.z) <= 1))
    print(f"{within} of {len(rows)} observed statistics are within tolerance.")
    order = np.argsort(-np.nan_to_num(np.abs(ev.z), nan=np.inf))
    worst = [i for i in order[:3] if not (abs(ev.z[i]) <= 1)]
    if worst:
        print("Worst fitting:")
        for i in worst:
            r = rows[i]
            if np.isnan(ev.z[i]):
                print(f"  {r.label}: observed {fmt_number(r.value)}, but no run produced this statistic")
                continue
            side = "too high" if ev.z[i] > 0 else "too low"
            print(f"  {r.label}: observed {fmt_number(r.value)} ± {fmt_number(r.tolerance)}, simulated "
                  f"{fmt_number(ev.mean[i])} ({abs(ev.z[i]):.1f} tolerances {side})")
    print(f"wrote {out}/fitted.toml, trials.csv, fit.csv, fit.png, manifest.json "
          f"(study in study.db: the same command with a larger --trials and --out {out} "
          f"continues it)")
