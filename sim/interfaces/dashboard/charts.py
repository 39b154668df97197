"""The page's charts (Altair, as Mesa's own visualisation components): the nine targets year
to date, the comparison of named runs with their bands, and the city map by district.

Values are shown in the targets' units: shares in %, the others as counts with thousands
separators. Each completed year's result is a dot at the end of that year (the year's label sits
in the middle of its span), so 2022's result is drawn over "2022".
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sim.model.indicators import TARGETS

SHARE_TARGETS = {"T1", "T9"}
# Short names and units of the targets (the full wording is in sim.model.indicators).
TITLES = {"T1": "majors matching 6+3 industries", "T2": "order classes opened",
          "T3": "talent delivered", "T4": "social training", "T5": "apprentices started",
          "T6": "1+X pilot majors", "T7": "training bases in operation",
          "T8": "demonstration combos", "T9": "local employment share"}
UNITS = {"T1": "%", "T2": "classes", "T3": "graduates", "T4": "person-times",
         "T5": "apprentices", "T6": "majors", "T7": "bases", "T8": "combos", "T9": "%"}
# Flows build up over a year and restart each January; the others are levels at a moment.
FLOW_TARGETS = {"T2", "T3", "T4", "T5"}
MET, MISSED, OURS, REFERENCE = "#1e8449", "#c0392b", "#1f5fa8", "#e67e22"
BACKGROUND = "white"  # charts sit on white cards, legible in the light and the dark theme
# SVG rather than canvas: crisp text at any zoom, and marks a browser test can inspect.
EMBED = {"embedOptions": {"renderer": "svg"}}


def shown(tid: str, value: float | None) -> float | None:
    """A target value in its display unit (shares as %)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value) * 100 if tid in SHARE_TARGETS else float(value)


def text(tid: str, value: float | None) -> str:
    """A target value for reading: '61.2 %', '1,800 apprentices', '—' when not observed."""
    v = shown(tid, value)
    if v is None:
        return "—"
    return f"{v:.1f} %" if tid in SHARE_TARGETS else f"{v:,.0f} {UNITS[tid]}"


def facet_title(tid: str, threshold: float) -> str:
    return f"{tid} {TITLES[tid]} (≥ {text(tid, threshold)})"


def _month_end(year: int, month: int) -> pd.Timestamp:
    return pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)


def _year_axis(start: int, end: int) -> alt.X:
    """A time axis labelled in the middle of each year, gridlines at the year boundaries."""
    return alt.X("date:T", title=None,
                 scale=alt.Scale(domain=[f"{start}-01-01", f"{end}-01-01"]),
                 axis=alt.Axis(values=[f"{y}-07-01" for y in range(start, end)], format="%Y",
                               grid=False, labelAngle=0))


def history_frame(history, thresholds: dict[str, float]) -> pd.DataFrame:
    """Long table of a run's year-to-date values (kind "month") and year results ("year")."""
    rows = []
    for year, month, values in history:
        for tid, value in values.items():
            v = shown(tid, value)
            if v is None:
                continue
            base = {"target": tid, "title": facet_title(tid, thresholds[tid]),
                    "date": _month_end(year, month), "value": v,
                    "threshold": shown(tid, thresholds[tid]), "unit": UNITS[tid],
                    "reading": text(tid, value), "when": f"{year}-{month:02d}",
                    "met": "met" if value >= thresholds[tid] else "not met"}
            rows.append({**base, "kind": "month"})
            if month == 12:
                rows.append({**base, "kind": "year", "when": f"{year} result"})
    return pd.DataFrame(rows)


def _facet(layers, frame: pd.DataFrame, columns: int = 3, width: int = 200, height: int = 95):
    return (alt.layer(*layers, data=frame)
            .properties(width=width, height=height)
            .facet(facet=alt.Facet("title:N", title=None, sort=alt.SortField("target"),
                                   header=alt.Header(labelFontSize=12, labelFontWeight="bold")),
                   columns=columns)
            .resolve_scale(y="independent")
            .properties(usermeta=EMBED)
            .configure(background=BACKGROUND)
            .configure_axis(labelFontSize=11, titleFontSize=11))


def targets_chart(history, thresholds: dict[str, float], start: int, end: int,
                  width: int = 180):
    """Nine panels: the value so far this year (line), each year's result (dot: green met, red
    not), the threshold (dashed); hover for the values with their units."""
    # A row per target even before it is observed, so every panel and threshold shows.
    empty = pd.DataFrame([{"target": t, "title": facet_title(t, thresholds[t]),
                           "date": pd.Timestamp(start, 1, 1), "value": float("nan"),
                           "threshold": shown(t, thresholds[t]), "unit": UNITS[t],
                           "reading": "—", "when": "", "met": "", "kind": "none"}
                          for t in TARGETS])
    frame = pd.concat([empty, history_frame(history, thresholds)], ignore_index=True)
    x = _year_axis(start, end)
    tips = [alt.Tooltip("when:N", title="month"), alt.Tooltip("reading:N", title="value"),
            alt.Tooltip("threshold:Q", title="threshold", format=",.4~f"),
            alt.Tooltip("met:N", title="target")]
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=",.0f"))
    line = (alt.Chart().mark_line(color=OURS, strokeWidth=2, point=alt.OverlayMarkDef(size=14))
            .encode(x=x, y=y, detail="year(date):T", tooltip=tips)
            .transform_filter(alt.datum.kind == "month"))
    dots = (alt.Chart().mark_point(filled=True, size=70, opacity=1)
            .encode(x=x, y=y, tooltip=tips,
                    color=alt.Color("met:N", scale=alt.Scale(domain=["met", "not met"],
                                                             range=[MET, MISSED]),
                                    legend=alt.Legend(title="year result", orient="top")),
                    shape=alt.Shape("met:N", scale=alt.Scale(domain=["met", "not met"],
                                                             range=["circle", "cross"]),
                                    legend=None))
            .transform_filter(alt.datum.kind == "year"))
    rule = (alt.Chart().mark_rule(color=MISSED, strokeDash=[5, 3])
            .encode(y=alt.Y("mean(threshold):Q"),
                    tooltip=[alt.Tooltip("mean(threshold):Q", title="threshold",
                                         format=",.4~f")]))
    return _facet([rule, line, dots], frame, width=width)


def comparison_chart(att: pd.DataFrame, thresholds: dict[str, float], width: int = 180):
    """Per target, each run's median by year with its 50 % and 90 % bands across seeds,
    the threshold, and P(met) in the hover."""
    frame = att.copy()
    for col in ("median", "q05", "q25", "q75", "q95"):
        frame[col] = [shown(t, v) for t, v in zip(frame["target"], frame[col])]
    frame["threshold"] = [shown(t, thresholds[t]) for t in frame["target"]]
    frame["title"] = [facet_title(t, thresholds[t]) for t in frame["target"]]
    frame["unit"] = frame["target"].map(UNITS)
    frame["run"] = frame["scenario"]
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    runs = list(dict.fromkeys(frame["run"]))  # in the order given: the setting first, in blue
    color = alt.Color("run:N", legend=alt.Legend(title="run · bands: 50 % and 90 % of seeds",
                                                 orient="top", titleLimit=400),
                      scale=alt.Scale(domain=runs,
                                      range=[OURS, REFERENCE, "#7d3c98", "#16a085", "#7f8c8d",
                                             "#b7950b"][:max(len(runs), 1)]))
    tips = [alt.Tooltip("run:N"), alt.Tooltip("year:O"),
            alt.Tooltip("median:Q", format=",.4~f"), alt.Tooltip("unit:N"),
            alt.Tooltip("q25:Q", title="50 % band from", format=",.4~f"),
            alt.Tooltip("q75:Q", title="50 % band to", format=",.4~f"),
            alt.Tooltip("q05:Q", title="90 % band from", format=",.4~f"),
            alt.Tooltip("q95:Q", title="90 % band to", format=",.4~f"),
            alt.Tooltip("p_met:Q", title="P(met)", format=".0%")]
    outer = alt.Chart().mark_area(opacity=0.15).encode(x=x, y=alt.Y("q05:Q", title=None),
                                                       y2="q95:Q", color=color)
    inner = alt.Chart().mark_area(opacity=0.3).encode(x=x, y="q25:Q", y2="q75:Q", color=color)
    median = (alt.Chart().mark_line(point=True)
              .encode(x=x, y=alt.Y("median:Q", axis=alt.Axis(format=",.0f")), color=color,
                      tooltip=tips))
    rule = alt.Chart().mark_rule(color=MISSED, strokeDash=[5, 3]).encode(y="mean(threshold):Q")
    return _facet([outer, inner, rule, median], frame, width=width)


def district_frame(model, metric: str) -> pd.DataFrame:
    """One row per cell: its district and the district's value of ``metric``."""
    w, h = model.city.grid.dimensions
    values = model.by_district()[metric]
    district = model.city.district
    cells = np.arange(model.city.n_cells)
    names = ["urban core", *(f"county {i}" for i in range(1, len(values)))]
    return pd.DataFrame({"x": cells // h, "y": cells % h, "district": [names[d] for d in district],
                         "value": values[district]})


MAP_METRICS = {
    "unfilled": ("posts left unfilled at the last recruitment close (T3, T9)", "posts"),
    "students": ("students enrolled, by home", "students"),
}


def map_chart(model, metric: str = "unfilled", width: int = 300):
    """The city by district: ``metric`` per district, schools sized by their students."""
    title, unit = MAP_METRICS[metric]
    cells = district_frame(model, metric)
    if not cells["value"].any():
        title += ": none yet (the first close is in the first summer)"
    w, h = model.city.grid.dimensions
    sch = model.schools
    students = model.school_students()
    schools = pd.DataFrame({"x": sch.cell // h, "y": sch.cell % h, "students": students,
                            "kind": [("secondary", "technician", "higher")[k] for k in sch.kind]})
    px = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.5, w - 0.5], nice=False))
    py = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-0.5, h - 0.5], nice=False))
    base = (alt.Chart(cells).mark_square(size=(width / w) ** 2 * 1.1, opacity=0.9)
            .encode(x=px, y=py,
                    color=alt.Color("value:Q", scale=alt.Scale(scheme="oranges", domainMin=0),
                                    legend=alt.Legend(title=unit, format=",.0f",
                                                      orient="bottom")),
                    tooltip=[alt.Tooltip("district:N"),
                             alt.Tooltip("value:Q", title=unit, format=",.0f")]))
    dots = (alt.Chart(schools).mark_point(filled=True, color="#1f5fa8", opacity=0.8)
            .encode(x=px, y=py, shape=alt.Shape("kind:N", legend=alt.Legend(
                        title="school", orient="bottom")),
                    size=alt.Size("students:Q", legend=None, scale=alt.Scale(range=[10, 250])),
                    tooltip=[alt.Tooltip("kind:N", title="school"),
                             alt.Tooltip("students:Q", format=",.0f")]))
    return (alt.layer(base, dots)
            .properties(width=width, height=width * h / w, title=title, usermeta=EMBED)
            .configure(background=BACKGROUND).configure_view(stroke=None))
