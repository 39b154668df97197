"""The answers by district on the city map: a year's tally (``SkillsModel.district_log``, the
rows of ``districts.parquet``) drawn cell by cell, each cell coloured by its district's value.

Layers are the district indicators a planner asks "where?" of: local employment (T9), where the
local jobs are from the graduate's home (the home county, elsewhere in the city), hires and
unfilled posts by the firm's district, entrants by the school's district.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

# indicator -> (title, unit, share): a share is shown in %.
DISTRICT_LAYERS = {
    "T9": ("T9 local employment share of employed secondary graduates, by home", "%", True),
    "local_employment.secondary.home_county":
        ("secondary graduates employed in their home district, by home", "graduates", False),
    "local_employment.secondary.elsewhere_in_city":
        ("secondary graduates employed elsewhere in the city (left the county), by home",
         "graduates", False),
    "destination.secondary.outside": ("secondary graduates employed outside the city, by home",
                                      "graduates", False),
    "hires": ("graduates hired, by the firm's district", "graduates", False),
    "vacancies.unfilled": ("posts unfilled at the season's close, by the firm's district",
                           "posts", False),
    "entrants.secondary": ("secondary entrants, by the school's district", "students", False),
}


def last_tallied_year(model) -> int | None:
    """The latest December tallied by district (None before the first)."""
    return max(model.district_log) if model.district_log else None


def district_layer(model, indicator: str, year: int | None = None) -> pd.DataFrame:
    """One row per cell: x, y, its district and the district's value of ``indicator`` in
    ``year`` (the last tallied year by default; NaN where undefined or not yet tallied)."""
    if indicator not in DISTRICT_LAYERS:
        raise KeyError(f"unknown district layer {indicator!r}; one of {sorted(DISTRICT_LAYERS)}")
    city = model.city
    names = np.array(city.district_names, dtype=object)
    year = last_tallied_year(model) if year is None else year
    values = np.full(len(names), np.nan)
    if year is not None and indicator in model.district_log.get(year, {}):
        values = np.asarray(model.district_log[year][indicator], dtype=float)
    if DISTRICT_LAYERS[indicator][2]:
        values = values * 100
    return pd.DataFrame({"x": city.cell_xy[:, 0], "y": city.cell_xy[:, 1],
                         "district": names[city.district], "value": values[city.district]})


def district_map_chart(model, indicator: str = "T9", width: int = 300) -> alt.Chart:
    """The city coloured by district for ``indicator`` in the last tallied year."""
    title, unit, share = DISTRICT_LAYERS[indicator]
    cells = district_layer(model, indicator)
    year = last_tallied_year(model)
    title = f"{title}, {year}" if year is not None else f"{title}: none yet (tallied each December)"
    w, h = model.city.grid.dimensions
    fmt = ".1f" if share else ",.0f"
    px = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.5, w - 0.5], nice=False))
    py = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-0.5, h - 0.5], nice=False))
    return (alt.Chart(cells).mark_square(size=(width / w) ** 2 * 1.1, opacity=0.9)
            .encode(x=px, y=py,
                    color=alt.Color("value:Q", scale=alt.Scale(scheme="blues"),
                                    legend=alt.Legend(title=unit, format=fmt, orient="bottom")),
                    tooltip=[alt.Tooltip("district:N"),
                             alt.Tooltip("value:Q", title=unit, format=fmt)])
            .properties(width=width, height=width * h / w, title=title)
            .configure(background="white").configure_view(stroke=None))
