"""One figure per target: P(met) by year for every scenario, beside what decides it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.experiments.drivers import focus_year
from sim.interfaces.hinges import drivers_for_figure
from sim.interfaces.plots.style import DPI, save_figure, scenario_colours, short_wording


def drivers_chart(att: pd.DataFrame, target: str, order: list[str], tables: dict | None,
                  meta: dict, path: Path) -> None:
    """Left: P(met) by year per scenario. Right: the top drivers (extra-trees importance) of the
    first scenario with any, in its focus year; bars of keys in the PRIM box are dark."""
    fig = Figure(figsize=(10.0, 4.4), dpi=DPI)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    for scenario, colour in zip(order, scenario_colours(len(order))):
        a = att[(att["scenario"] == scenario) & (att["target"] == target)].sort_values("year")
        left.plot(a["year"], a["p_met"], color=colour, lw=2, marker="o", label=scenario)
    for p in (0.5, 0.8):
        left.axhline(p, color="#999", lw=0.8, ls=":")
    left.set_ylim(-0.04, 1.04)
    left.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("P(target met)")
    left.set_xlabel("year")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="best")
    shown = None
    for scenario in order:
        year = focus_year(att[(att["scenario"] == scenario) & (att["target"] == target)])
        top = drivers_for_figure(tables, scenario, target, year)
        if not top.empty:
            shown = (scenario, year, top)
            break
    if shown is None:
        right.text(0.5, 0.5, "no uncertain verdict to explain:\nP(met) is near 0 or 1, or the "
                   "assumptions\nwere held at their point values", ha="center", va="center",
                   fontsize=9, color="#555", transform=right.transAxes)
        right.set_axis_off()
    else:
        scenario, year, top = shown
        top = top.iloc[::-1]
        boxed = top["low"].notna()
        right.barh(top["key"], top["importance"], color=["#2b6cb0" if b else "#a0aec0"
                                                         for b in boxed])
        for i, r in enumerate(top.itertuples()):
            if pd.notna(r.low):
                right.text(r.importance, i, f"  {r.low:.3g}–{r.high:.3g}", va="center", fontsize=7)
        right.tick_params(axis="y", labelsize=7)
        right.set_xlabel("importance (extra-trees feature score)")
        cov, den = top["coverage"].iloc[-1], top["density"].iloc[-1]
        box = (f"\ndark: PRIM box, range beside (coverage {cov:.0%}, density {den:.0%})"
               if boxed.any() else "\nno PRIM box")
        right.set_title(f"what decides it: '{scenario}', {year}{box}", fontsize=8, loc="left",
                        color="#555")
    fig.suptitle(f"{target}: {short_wording(meta, target)}", fontsize=10, x=0.01, ha="left")
    save_figure(fig, path)
