"""The optimiser's answer in words and tables: the chosen setting, its cost, the independent check,
the candidates table and ``best.toml``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.folders import now_iso
from sim.experiments.optimize_file import Optimization
from sim.experiments.ranges import SHARE_PREFIX
from sim.experiments.toml_out import toml_assign, toml_value


def years_label(opt: Optimization) -> str:
    first = opt.base.run.start_year
    return f"{first}–{opt.goal.year}" if opt.goal.year > first else f"{first}"


def header_lines(opt: Optimization, best, met_goal: bool, n: int) -> list[str]:
    goal = opt.goal
    what = (f"the cheapest of {n} candidates meeting {', '.join(goal.targets)} with p >= "
            f"{goal.probability:g} in {goal.year}" if met_goal else
            f"NO candidate of {n} met {', '.join(goal.targets)} with p >= {goal.probability:g} "
            f"in {goal.year}; this is the closest")
    return [f"Chosen by skills-sim optimize on {now_iso()}: trial {best.number}, {what}",
            (f"(on {opt.spec.replicates} replicates from master seed {opt.spec.seed}). Cost: "
             f"{best.value:,.0f} yuan allocated {years_label(opt)}. Independent check: "
             "forecast/.")]


def check_summary(opt: Optimization, best, att: pd.DataFrame) -> dict[str, Any]:
    goal = opt.goal
    out = {}
    n1, n2 = opt.spec.replicates, opt.spec.check_replicates
    for t in goal.targets:
        row = att[(att["target"] == t) & (att["year"] == goal.year)]
        p2 = float(row["p_met"].iloc[0]) if len(row) else 0.0
        p1 = candidate(best)["p_met"][t]
        se, ok = compare(p1, n1, p2, n2)
        out[t] = {"p_optimiser": p1, "n_optimiser": n1, "p_check": p2, "n_check": n2,
                  "se_difference": se, "within_sampling_error": ok,
                  "se_check": math.sqrt(p2 * (1 - p2) / n2)}
    return out


def plain_answer(opt: Optimization, best, met_goal: bool, check: dict, n: int) -> list[str]:
    """The answer in words, with the optimiser's and the independent forecast's probabilities."""
    goal = opt.goal
    targets = " and ".join(goal.targets)
    levers = candidate(best)["levers"]
    over = candidate(best)["overrides"]
    parts = []
    for f in opt.levers:
        if f.key.startswith(SHARE_PREFIX) or f.key == "budget.total_yuan":  # said separately
            continue
        parts.append(f"{f.key} = {_show(levers[f.key])}")
    shares = {k: v for k, v in over.items() if k.startswith(SHARE_PREFIX)}
    if shares:
        parts.append("budget shares " + ", ".join(
            f"{k.removeprefix(SHARE_PREFIX)} {v:.0%}" for k, v in
            sorted(shares.items(), key=lambda kv: -kv[1])))
    total = over.get("budget.total_yuan", opt.base.budget.total_yuan)
    lines = []
    parts = parts or ["the other parameters as in the base file"]
    if met_goal:
        lines.append(f"{targets} {'is' if len(goal.targets) == 1 else 'are'} met with p ≥ "
                     f"{goal.probability:g} in {goal.year} at a budget of {money(total)} in "
                     f"{opt.base.run.start_year} ({money(best.value)} allocated "
                     f"{years_label(opt)}), with " + "; ".join(parts) + ".")
    else:
        lines.append(f"No candidate of {n} met {targets} with p ≥ {goal.probability:g} in "
                     f"{goal.year}. The closest (trial {best.number}) costs "
                     f"{money(best.value)} {years_label(opt)}, with " + "; ".join(parts)
                     + ". Widen the levers' ranges or raise trials.")
    for t, c in check.items():
        verdict = ("consistent within sampling error" if c["within_sampling_error"] else
                   "NOT consistent: the optimiser's estimate is off by more than sampling error")
        lines.append(f"  {t}: P(met in {goal.year}) = {c['p_optimiser']:.2f} on the optimiser's "
                     f"{c['n_optimiser']} replicates; {c['p_check']:.2f} ± "
                     f"{c['se_check']:.2f} in an independent forecast of {c['n_check']} fresh "
                     f"replicates ({verdict}; 2 s.e. of the difference = "
                     f"{2 * c['se_difference']:.2f}).")
    if met_goal and any(c["p_check"] < goal.probability for c in check.values()):
        lines.append(f"  The independent forecast puts the chosen setting below p = "
                     f"{goal.probability:g}: it was selected for passing on the optimiser's seeds, "
                     "so allow a margin (a little more budget) or raise replicates.")
    return lines


def money(yuan: float) -> str:
    return f"{yuan / 1e6:,.1f} million yuan" if abs(yuan) >= 1e6 else f"{yuan:,.0f} yuan"


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return str(v)


def compare(p1: float, n1: int, p2: float, n2: int) -> tuple[float, bool]:
    """Standard error of the difference of two independent proportions (pooled), and whether
    the difference is within two of them (sampling error)."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return se, abs(p1 - p2) <= 2 * se + 1e-12


def candidate(trial) -> dict[str, Any]:
    """A trial's candidate record (empty for a trial that failed before its evaluation)."""
    return trial.user_attrs.get("candidate", {})


def candidates_table(study, opt: Optimization) -> pd.DataFrame:
    """Every trial: levers as drawn, the parameters they set, cost, spend and attainment."""
    goal = opt.goal
    share_keys = sorted({k for t in study.get_trials(deepcopy=False)
                         for k in candidate(t).get("overrides", {}) if k.startswith(SHARE_PREFIX)})
    rows = []
    for t in study.get_trials(deepcopy=False):
        a = candidate(t)
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name,
                               "cost_yuan": a.get("cost"), "spent_yuan": a.get("spent"),
                               "feasible": a.get("feasible")}
        p = a.get("p_met", {})
        row["p_min"] = min(p.values()) if p else None
        for tgt in goal.targets:
            row[f"p_met_{tgt}"] = p.get(tgt)
        row["p_all"] = a.get("p_all")
        for tgt in goal.targets:
            row[f"mean_{tgt}"] = a.get("mean", {}).get(tgt)
        levers = a.get("levers", {})
        for f in opt.levers:
            col = f"{f.key} (weight)" if f.key.startswith(SHARE_PREFIX) else f.key
            row[col] = levers.get(f.key)
        over = a.get("overrides", {})
        for k in share_keys:
            row[k] = over.get(k)
        rows.append(row)
    return pd.DataFrame(rows)


def pareto(cost: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Indices of the candidates no other beats on both cost (lower) and probability (higher)."""
    order = np.lexsort((-p, cost))
    front, best = [], -np.inf
    for i in order:
        if p[i] > best:
            front.append(i)
            best = p[i]
    return np.array(front, dtype=int)


def best_toml(opt: Optimization, out: Path, overrides: dict[str, Any], header: list[str]) -> str:
    """A loadable parameter file: ``base`` = the optimisation's base file, its ``[set]`` values
    and the chosen levers (budget shares as the renormalised shares the runs used)."""
    base_path = (opt.path.parent / opt.spec.base).resolve()
    folder = out.resolve()
    try:  # relative when both are in one tree (a moved project keeps working), else absolute
        shared = Path(os.path.commonpath([base_path, folder]))
        base = str(base_path) if shared == Path(shared.anchor) else os.path.relpath(base_path,
                                                                                   folder)
    except ValueError:
        base = str(base_path)
    lines = [f"# {h}" for h in header]
    lines += [f"base = {toml_value(Path(base).as_posix())}", ""]
    if opt.fixed:
        lines.append("# [optimize.set] values the candidates used (run.* too, so a forecast of "
                     "this file is comparable with the optimiser's):")
        lines += [toml_assign(k, v) for k, v in opt.fixed.items()]
        lines.append("")
    lines.append("# chosen levers:")
    lines += [toml_assign(k, v) for k, v in overrides.items()]
    return "\n".join(lines) + "\n"
