"""The optimiser's trade-off figure, and its chosen setting's forecast figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.optimize import OptimizeOutcome
from sim.experiments.optimize_file import Goal, Optimization
from sim.experiments.optimize_report import pareto, years_label
from sim.interfaces.plots.forecast import draw_forecast, read_annual, read_manifest


def draw_tradeoff(table: pd.DataFrame, goal: Goal, best: int, check_p: float | None,
                  check_band: float | None, path: Path, title: str) -> None:
    """Cost against the lowest probability among the goal's targets, Pareto front marked."""
    from matplotlib.figure import Figure

    from sim.experiments.folders import atomic_path

    t = table[table["state"] == "COMPLETE"]
    cost = t["cost_yuan"].to_numpy(float) / 1e6
    p = t["p_min"].to_numpy(float)
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    ax = fig.subplots()
    ok = t["feasible"].to_numpy(bool)
    ax.scatter(cost[~ok], p[~ok], s=22, color="0.6", label="candidate short of the goal")
    ax.scatter(cost[ok], p[ok], s=26, color="#2b6cb0", label="candidate meeting the goal")
    if len(t):
        front = pareto(cost, p)
        ax.step(cost[front], p[front], where="post", color="#2f855a", lw=1.5,
                label="Pareto front (cheapest for its probability)")
        ax.scatter(cost[front], p[front], s=60, facecolors="none", edgecolors="#2f855a")
    ax.axhline(goal.probability, color="#c53030", ls="--", lw=1,
               label=f"goal: p ≥ {goal.probability:g}")
    b = t[t["trial"] == best]
    if len(b):
        bx, by = float(b["cost_yuan"].iloc[0]) / 1e6, float(b["p_min"].iloc[0])
        ax.scatter([bx], [by], marker="*", s=260, color="#d69e2e", edgecolor="k", zorder=5,
                   label=f"chosen (trial {best})")
        if check_p is not None:
            ax.errorbar([bx], [check_p], yerr=[[min(check_band, check_p)],
                                              [min(check_band, 1 - check_p)]],
                        fmt="D", color="#805ad5", capsize=4, zorder=6,
                        label="chosen, independent forecast (±2 s.e.)")
    ax.set_xlabel(f"cost: budget allocated {title} (million yuan)")
    ax.set_ylabel(f"P({goal.targets[0]} met in {goal.year})" if len(goal.targets) == 1 else
                  "lowest P(met) among " + ", ".join(goal.targets) + f" in {goal.year}")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside: points stay seen
    ax.set_title(f"Cost against attainment: {len(t)} candidates", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    fig.clear()


def draw_optimize(opt: Optimization, result: OptimizeOutcome) -> list[Path]:
    """``tradeoff.png`` and the independent check's forecast figures (``forecast/``)."""
    out = result.out
    p_check = min(c["p_check"] for c in result.check.values())
    band = 2 * max(c["se_check"] for c in result.check.values())
    draw_tradeoff(result.candidates, opt.goal, result.best.number, p_check, band, out / "tradeoff.png",
                  years_label(opt))
    sub = out / "forecast"
    return [out / "tradeoff.png", *draw_forecast(sub, read_annual(sub), read_manifest(sub))]
