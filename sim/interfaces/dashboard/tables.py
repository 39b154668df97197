"""The page's tables (HTML): this year's targets so far, every year's results with the first
year met, the P(met) of compared runs, and the levers in force.

Flow targets (T2–T5) build up over the year, so before December they read "so far this year"
and are not marked missed; levels (T1, T6–T9) read as they stand now.
"""

from __future__ import annotations

import html

import pandas as pd

from sim.interfaces.dashboard.charts import FLOW_TARGETS, MET, MISSED, TITLES, text
from sim.model.indicators import TARGETS

TABLE_CSS = """
.skills-table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
.skills-table td,.skills-table th{padding:2px 8px;border-bottom:1px solid rgba(128,128,128,.35);
  text-align:right;white-space:nowrap}
.skills-table td:first-child,.skills-table th:first-child{text-align:left}
.skills-table .met{color:%s;font-weight:600}.skills-table .missed{color:%s;font-weight:600}
.skills-table .pending{opacity:.75}
""" % (MET, MISSED)


def _cell(value_text: str, cls: str, tid: str, column: str) -> str:
    mark = {"met": " ✔", "missed": " ✘"}.get(cls, "")
    return (f'<td><span class="value {column} {cls}" data-target="{tid}">'
            f"{html.escape(value_text)}{mark}</span></td>")


def this_year_html(model) -> str:
    """The current year's targets: so far (flows) or now (levels), against the threshold."""
    date = model.last_date
    if date is None:
        return "<p>No month simulated yet: press STEP or ▶.</p>"
    year, month = date
    values = model.target_history[-1][2]
    rows = []
    for tid, target in TARGETS.items():
        threshold = float(getattr(model.p.targets, target.threshold_key))
        value = values[tid]
        flow = tid in FLOW_TARGETS
        if value is None:
            cls, reading = "pending", "not observed yet"
        elif value >= threshold:
            cls, reading = "met", "met" if month == 12 or not flow else "met already"
        elif flow and month < 12:
            cls, reading = "pending", f"{value / threshold:.0%} of threshold so far"
        else:
            cls, reading = "missed", "not met" if month == 12 else "below threshold now"
        kind = "so far this year" if flow else "level now"
        rows.append(f"<tr><td><b>{tid}</b> {html.escape(TITLES[tid])}</td>"
                    f"<td>{html.escape(text(tid, threshold))}</td><td>{kind}</td>"
                    + _cell(text(tid, value), cls, tid, "current")
                    + f"<td>{html.escape(reading)}</td></tr>")
    head = (f"<tr><th>target</th><th>threshold</th><th>{year} through "
            f"{year}-{month:02d}</th><th>value</th><th></th></tr>")
    return f'<table class="skills-table skills-this-year">{head}{"".join(rows)}</table>'


def all_years_html(model) -> str:
    """Every completed year's result per target (✔ met, ✘ not), and the first year met."""
    years = [y for y, m, _ in model.target_history if m == 12]
    results = {y: v for y, m, v in model.target_history if m == 12}
    if not years:
        return "<p>No year completed yet: results appear each December.</p>"
    rows = []
    for tid, target in TARGETS.items():
        threshold = float(getattr(model.p.targets, target.threshold_key))
        cells, first = [], None
        for y in years:
            value = results[y][tid]
            met = value is not None and value >= threshold
            first = first or (y if met else None)
            cls = "pending" if value is None else ("met" if met else "missed")
            cells.append(_cell(text(tid, value), cls, tid, f"y{y}"))
        rows.append(f"<tr><td><b>{tid}</b> {html.escape(TITLES[tid])}</td>{''.join(cells)}"
                    f'<td class="first" data-target="{tid}">{first or "not yet"}</td></tr>')
    head = "".join(f"<th>{y}</th>" for y in years)
    return (f'<table class="skills-table skills-all-years"><tr><th>target</th>{head}'
            f"<th>first year met</th></tr>{''.join(rows)}</table>")


def p_met_html(summary: pd.DataFrame) -> str:
    """P(met) by year for each target and run, and the first year with P(met) >= 0.5."""
    if summary.empty:
        return ""
    years = [c for c in summary.columns if isinstance(c, (int,)) or str(c).isdigit()]
    rows = []
    for _, r in summary.iterrows():
        tid = r["target"]
        cells = "".join(f"<td>{r[y]:.0%}</td>" for y in years)
        first = r["first year P>=0.5"]
        first = "never" if pd.isna(first) else str(int(first))
        rows.append(f'<tr data-target="{tid}" data-run="{html.escape(str(r["scenario"]))}">'
                    f"<td><b>{tid}</b> {html.escape(str(r['scenario']))}</td>{cells}"
                    f"<td>{first}</td></tr>")
    head = "".join(f"<th>{y}</th>" for y in years)
    return (f'<table class="skills-table skills-p-met"><tr><th>target, run</th>{head}'
            f"<th>first year P(met) ≥ 0.5</th></tr>{''.join(rows)}</table>")


def in_force_html(model) -> str:
    """The levers in force for the running model, with the scenario they come from."""
    p = model.p
    b, pf, r = p.budget, p.platform, p.retention
    shares = ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in b.shares.items())
    items = [
        ("budget", f"{b.total_yuan / 1e6:,.0f} M yuan/yr (+{b.growth_per_year:.0%}/yr): {shares}"),
        ("subsidies", f"order class {p.order_classes.subsidy_per_class_yuan:,.0f} yuan/class; "
                      f"apprentice {p.apprenticeship.subsidy_per_student_yuan:,.0f} (student) / "
                      f"{p.apprenticeship.subsidy_per_employee_yuan:,.0f} (employee) yuan/yr"),
        ("labour market", f"outside wage premium {p.labour_market.outside_wage_premium:.0%}"),
        ("platform", f"from {pf.launch}" if pf.enabled else "off"),
        ("retention", f"campaign {'on' if r.campaign.enabled else 'off'}; talent subsidy "
                      + (f"{r.talent_subsidy_yuan:,.0f} yuan/hire" if r.subsidy.enabled
                         else "off")),
    ]
    moved = model.settings.overrides()
    note = (f"{len(moved)} setting(s) moved off the scenario file" if moved
            else "the scenario file as written")
    lis = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in items)
    return (f'<div class="skills-in-force"><b>In force</b> ({html.escape(note)})'
            f'<ul style="margin:0;padding-left:18px;font-size:12px">{lis}</ul></div>')
