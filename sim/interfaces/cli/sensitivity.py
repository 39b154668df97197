"""``skills-sim sensitivity FILE``, and the answer in words."""

from __future__ import annotations


import numpy as np
import pandas as pd

from sim.experiments.sensitivity import MEASURES, load_sensitivity, run_sensitivity
from sim.interfaces.cli.common import (city_folders, executor_options, fresh_out, guard_study,
                                       runs_progress, say, study_out)
from sim.interfaces.plots.sensitivity import plot_sensitivity
from sim.interfaces.plots.sweep import plot_sweep


def describe(table: pd.DataFrame, method: str, negligible: float = 0.05) -> list[str]:
    """Plain-language ranking: per target, what drives its value and its P(met)."""
    lines = []
    key = "mu_star" if method == "morris" else "ST"
    for target, g in table.groupby("target", sort=False):
        for measure in MEASURES:
            rows = g[g["measure"] == measure]
            h = rows.dropna(subset=[key]).sort_values("rank")
            year = int(g["year"].iloc[0])
            head = f"{target} {'value' if measure == 'value' else 'P(met)'} in {year}"
            if h.empty:
                lines.append(f"{head}: not analysed ({rows['note'].iloc[0]})")
                continue
            top = float(h[key].iloc[0])
            if not top > 0:
                lines.append(f"{head}: no factor moves it over these ranges"
                             + (" (it is the same at every point)" if measure == "p_met" else ""))
                continue
            floor = float(h["noise"].iloc[0]) if np.isfinite(h["noise"].iloc[0]) else 0.0
            cut = max(negligible * top, floor)
            strong = h[h[key] >= cut]
            weak = h[h[key] < cut]
            if strong.empty:
                lines.append(f"{head}: no factor stands out from replicate noise (largest "
                             f"{key} {_num(top)}, noise level {_num(floor)}); raise replicates")
                continue
            if method == "morris":
                parts = [f"{r.factor} (μ* = {_num(r.mu_star)})" for r in strong.itertuples()]
            else:
                parts = [f"{r.factor} (ST = {r.ST:.2f}, S1 = {r.S1:.2f})"
                         for r in strong.itertuples()]
            text = f"{head}: driven by " + ", then ".join(parts[:4])
            if len(parts) > 4:
                text += f" and {len(parts) - 4} more"
            if len(weak):
                names = list(weak["factor"])
                text += (f"; little or no effect (< {negligible:.0%} of the top"
                         + (", or within replicate noise" if floor > negligible * top else "")
                         + "): "
                         + ", ".join(names[:6])
                         + (f" and {len(names) - 6} more" if len(names) > 6 else ""))
            lines.append(text)
    return lines


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def command(args) -> int:
    """``skills-sim sensitivity``: validate everything first, so bad input writes nothing."""
    sens = load_sensitivity(args.file)
    city_folders({"base": sens.sweep.base})  # a bad city folder row: exit 2 before any run
    executor, scheduler = executor_options(args)
    out = study_out(args, "sensitivity")
    fresh_out(args, out)
    print(f"sensitivity ({sens.spec.method}): {len(sens.factors)} factors, "
          f"{sens.sweep.n_points} design points x {sens.spec.replicates} replicates = "
          f"{sens.sweep.n_runs} runs -> {out}", flush=True)
    result = guard_study(
        "sensitivity", f"finished runs are kept in {out}/sweep, and the same command resumes",
        lambda: run_sensitivity(sens, out, workers=args.workers, executor=executor,
                                scheduler=scheduler, log=say,
                                progress=runs_progress()))
    if result is None:
        return 1
    plot_sweep(out / "sweep")  # the design's runs are a sweep folder, with its figures
    plot_sensitivity(out, result.table, sens.spec.method)
    what = ("Morris screening: μ* = mean absolute change of the target when a factor moves "
            "across its range, σ = how much that change varies (interactions, curvature)"
            if sens.spec.method == "morris" else
            "Sobol indices: S1 = share of the target's variance due to a factor alone, ST = "
            "including its interactions")
    print(f"\n{what}.")
    for line in describe(result.table, sens.spec.method):
        print(f"  {line}")
    print(f"\nwrote {out}/sensitivity.csv, sensitivity_*.png, manifest.json; the runs are in "
          f"{out}/sweep ({result.ran} of {result.n_runs} run this time)")
    return 0
