"""Maps of the answers by district: each district's cells shaded by its value.

One figure per headline indicator (``map_<indicator>.png``), one panel per scenario: the
median over replicates in the last simulated year, from ``districts.parquet`` and the cell map
``district_cells.parquet`` (``scenario, x, y, district``), so ``skills-sim plot DIR`` redraws
them from the folder alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.folders import atomic_path

MAP_INDICATORS = {
    "entrants.secondary": "secondary-vocational entrants (persons)",
    "enrolled.secondary": "secondary-vocational students, December (persons)",
    "T1": "T1: entrants in 6+3 majors (share, by school district)",
    "graduates.secondary": "secondary graduates (persons, by home district)",
    "local_employment.secondary.city": "secondary graduates employed in the city (persons, by home)",
    "local_employment.secondary.home_county": "secondary graduates employed in their home district (persons)",
    "destination.secondary.outside": "secondary graduates employed outside the city (persons)",
    "T9": "T9: secondary graduates employed locally / employed (by home district)",
    "share.secondary.home_county_of_employed": "employed in the home district / employed",
    "hires": "graduates hired (persons, by firm district)",
    "vacancies.unfilled": "graduate vacancies left unfilled (persons, by firm district)",
    "training_bases.in_operation": "productive training bases (by school district)",
    "certificates.pilot_majors": "1+X pilot majors (by school district)",
    "partnerships.active": "school-enterprise partnerships (by school district)",
}
DPI = 110


def draw_district_maps(out: Path, districts: pd.DataFrame, cells: pd.DataFrame,
                       scenarios: list[str] | None = None) -> list[Path]:
    """Write ``map_<indicator>.png`` for every headline indicator present; returns the paths."""
    if districts.empty or cells.empty:
        return []
    scenarios = scenarios or list(dict.fromkeys(districts["scenario"]))
    last = districts.groupby("scenario")["year"].max()
    medians = (districts[districts["year"] == districts["scenario"].map(last)]
               .groupby(["scenario", "indicator", "district"])["value"].median())
    paths = []
    for indicator, title in MAP_INDICATORS.items():
        if indicator not in medians.index.get_level_values("indicator"):
            continue
        fig = Figure(figsize=(4.2 * len(scenarios) + 0.8, 4.6), dpi=DPI)
        axes = fig.subplots(1, len(scenarios), squeeze=False)[0]
        values = medians.xs(indicator, level="indicator")
        vmin, vmax = float(values.min()), float(values.max())
        for ax, scenario in zip(axes, scenarios):
            image = _panel(ax, cells[cells["scenario"] == scenario],
                           values.get(scenario, pd.Series(dtype=float)), vmin, vmax, indicator)
            ax.set_title(f"{scenario}, {int(last.get(scenario, 0))}", fontsize=9)
        fig.colorbar(image, ax=list(axes), shrink=0.8)
        fig.suptitle(title, fontsize=10)
        path = out / f"map_{indicator}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        paths.append(path)
    for stale in set(out.glob("map_*.png")) - set(paths):  # from an earlier run in this folder
        stale.unlink()
    return paths


def _panel(ax, cells: pd.DataFrame, values: pd.Series, vmin: float, vmax: float, indicator: str):
    """One scenario's grid: cells coloured by their district's value, borders and labels."""
    w, h = int(cells["x"].max()) + 1, int(cells["y"].max()) + 1
    names = list(dict.fromkeys(cells["district"]))
    index = np.full((w, h), -1)
    index[cells["x"], cells["y"]] = [names.index(d) for d in cells["district"]]
    shade = np.array([values.get(d, np.nan) for d in names])[index]
    image = ax.imshow(shade.T, origin="lower", cmap="viridis", vmin=vmin, vmax=vmax,
                      interpolation="nearest")
    border = np.zeros((w, h), dtype=bool)
    border[1:, :] |= index[1:, :] != index[:-1, :]
    border[:, 1:] |= index[:, 1:] != index[:, :-1]
    ax.imshow(np.where(border, 1.0, np.nan).T, origin="lower", cmap="gray_r", vmin=0, vmax=1,
              alpha=0.6, interpolation="nearest")
    share = indicator.startswith(("T", "share."))
    for k, name in enumerate(names):
        xy = np.argwhere(index == k).mean(axis=0)
        value = values.get(name, np.nan)
        text = "n/a" if np.isnan(value) else (f"{value:.0%}" if share else f"{value:,.0f}")
        ax.text(xy[0], xy[1], f"{name}\n{text}", ha="center", va="center", fontsize=6.5,
                color="white", bbox={"facecolor": "black", "alpha": 0.35, "pad": 1, "lw": 0})
    ax.set_xticks([])
    ax.set_yticks([])
    return image
