"""The interactive dashboard: the city on a map, levers as sliders, targets as live curves.

Mesa's ``SolaraViz`` runs the page (``solara run app.py`` or ``skills-sim dashboard``) so that
analysts can move a lever and watch what it does to T1–T9 before committing to a sweep. This
module holds the three pieces the page needs:

* :class:`DashboardModel`, a ``SkillsModel`` whose keyword arguments are the page's levers
  (SolaraViz rebuilds the model from them on Reset) and which keeps the year-to-date value of
  every target after each month, because the annual T1–T9 only exist for completed years;
* the components: a map of student density per cell with schools and enterprises by sector,
  target curves with their thresholds, a table of the year's targets met or not, and a status
  card saying which month was simulated and which levers are in force;
* :func:`make_page`, the SolaraViz page.

Everything drawn is an aggregate (students per cell, students per school, one dot per
enterprise), so the page stays responsive at full scale (~84,000 student agents).
Needs the ``viz`` extra (solara, altair): ``python3 -m pip install -e '.[viz]'``.
"""

from __future__ import annotations

import html
import os
import time
import warnings
from pathlib import Path

import solara

with warnings.catch_warnings():
    # Solara's hook linter flags a harmless early return inside Mesa 3.3's SolaraViz.
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.utils import update_counter

from sim.model.indicators import TARGETS
from sim.model.model import SkillsModel
from sim.params import BASELINE_PATH, load_params
from sim.interfaces.plots.dashboard import (PLOT_TITLES, SHARE_TARGETS, TARGET_LABELS,
                                           CityMapFigure, TargetsFigure, student_density,
                                           students_per_school, target_series)

PPA_ENV = "SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT"
SCENARIO_ENV = "SKILLS_SIM_DASHBOARD_SCENARIO"
PPA_CHOICES = [1, 2, 5, 10, 20]

# Short names of the targets for plot titles and the table (the full wording is in indicators).


def scenario_files() -> dict[str, Path]:
    """Parameter files the page can start from: the baseline and params/scenarios/*.toml."""
    files = {"baseline": BASELINE_PATH}
    files.update({p.stem: p for p in sorted((BASELINE_PATH.parent / "scenarios").glob("*.toml"))})
    return files


# ---------------------------------------------------------------------------------------------
# Levers: friendly names on the page -> dotted parameter keys

_BASE = load_params(BASELINE_PATH)
_PLAN_SHARES = _BASE.budget.shares

# Budget allocations offered as presets, so the shares always sum to one.
ALLOCATIONS: dict[str, dict[str, float] | None] = {
    "scenario": None,  # keep the scenario file's shares
    "plan": _PLAN_SHARES,
    "training bases first": {"order_classes": 0.06, "apprenticeship": 0.10, "certificates": 0.04,
                             "training_bases": 0.45, "combos": 0.03, "social_training": 0.12,
                             "retention": 0.15, "platform": 0.05},
    "people first": {"order_classes": 0.12, "apprenticeship": 0.25, "certificates": 0.04,
                     "training_bases": 0.15, "combos": 0.03, "social_training": 0.13,
                     "retention": 0.23, "platform": 0.05},
    "even": {line: 1 / len(_PLAN_SHARES) for line in _PLAN_SHARES},
}
PLATFORM_CHOICES = ["scenario", "2022-01", "2022-07", "2023-01", "2023-07", "2024-01", "2025-01",
                    "never"]
SWITCH_CHOICES = ["scenario", "on", "off"]

# Sliders: page name -> (dotted key, factor from the slider's unit to the parameter's unit).
SLIDER_LEVERS = {
    "budget_myuan": ("budget.total_yuan", 1e6),
    "order_class_subsidy_kyuan": ("order_classes.subsidy_per_class_yuan", 1e3),
    "apprentice_subsidy_student_yuan": ("apprenticeship.subsidy_per_student_yuan", 1.0),
    "apprentice_subsidy_employee_yuan": ("apprenticeship.subsidy_per_employee_yuan", 1.0),
    "talent_subsidy_yuan": ("retention.talent_subsidy_yuan", 1.0),
}


def _baseline_slider(name: str) -> int:
    key, factor = SLIDER_LEVERS[name]
    section, field = key.split(".")
    return int(round(getattr(getattr(_BASE, section), field) / factor))


def default_persons_per_agent() -> int:
    """Scale the page starts at: full scale unless the environment (CLI, tests) says otherwise."""
    value = int(os.environ.get(PPA_ENV, "1"))
    return value if value in PPA_CHOICES else 1


def default_scenario() -> str:
    name = os.environ.get(SCENARIO_ENV, "baseline")
    return name if name in scenario_files() else "baseline"


def slider_overrides(
    *,
    budget_myuan: int,
    allocation: str,
    order_class_subsidy_kyuan: int,
    apprentice_subsidy_student_yuan: int,
    apprentice_subsidy_employee_yuan: int,
    platform: str,
    hometown_campaign: str,
    talent_subsidy: str,
    talent_subsidy_yuan: int,
) -> dict[str, object]:
    """Dotted-key overrides for the levers that were moved.

    A slider left at its starting mark (the baseline value) keeps the scenario file's value,
    and a switch at "scenario" likewise, so picking a scenario and leaving the levers alone runs
    that scenario as written; the status card lists the values actually in force.
    """
    values = {
        "budget_myuan": budget_myuan,
        "order_class_subsidy_kyuan": order_class_subsidy_kyuan,
        "apprentice_subsidy_student_yuan": apprentice_subsidy_student_yuan,
        "apprentice_subsidy_employee_yuan": apprentice_subsidy_employee_yuan,
        "talent_subsidy_yuan": talent_subsidy_yuan,
    }
    out: dict[str, object] = {}
    for name, value in values.items():
        if int(value) != _baseline_slider(name):
            key, factor = SLIDER_LEVERS[name]
            out[key] = float(value) * factor
    shares = ALLOCATIONS[allocation]
    if shares is not None:
        out.update({f"budget.share_{line}": share for line, share in shares.items()})
    if platform == "never":
        out["platform.enabled"] = False
    elif platform != "scenario":
        out["platform.enabled"] = True
        out["platform.launch"] = platform
    for switch, key in ((hometown_campaign, "retention.campaign.enabled"),
                        (talent_subsidy, "retention.subsidy.enabled")):
        if switch != "scenario":
            out[key] = switch == "on"
    return out


# ---------------------------------------------------------------------------------------------
# The model the page runs


class DashboardModel(SkillsModel):
    """``SkillsModel`` built from the page's levers, keeping the targets' year-to-date values.

    SolaraViz re-creates the model on Reset with the levers as keyword arguments; any further
    dotted-key overrides pass through to ``SkillsModel``.
    """

    def __init__(
        self,
        scenario: str = "baseline",
        persons_per_agent: int = 1,
        seed: int = 1,
        budget_myuan: int = _baseline_slider("budget_myuan"),
        allocation: str = "scenario",
        order_class_subsidy_kyuan: int = _baseline_slider("order_class_subsidy_kyuan"),
        apprentice_subsidy_student_yuan: int = _baseline_slider("apprentice_subsidy_student_yuan"),
        apprentice_subsidy_employee_yuan: int = _baseline_slider(
            "apprentice_subsidy_employee_yuan"),
        platform: str = "scenario",
        hometown_campaign: str = "scenario",
        talent_subsidy: str = "scenario",
        talent_subsidy_yuan: int = _baseline_slider("talent_subsidy_yuan"),
        **kwargs,
    ):
        started = time.perf_counter()
        self.levers = slider_overrides(
            budget_myuan=budget_myuan, allocation=allocation,
            order_class_subsidy_kyuan=order_class_subsidy_kyuan,
            apprentice_subsidy_student_yuan=apprentice_subsidy_student_yuan,
            apprentice_subsidy_employee_yuan=apprentice_subsidy_employee_yuan,
            platform=platform, hometown_campaign=hometown_campaign,
            talent_subsidy=talent_subsidy, talent_subsidy_yuan=talent_subsidy_yuan,
        )
        dotted = {**self.levers, "run.persons_per_agent": int(persons_per_agent), **kwargs}
        params = load_params(scenario_files()[scenario], dotted)
        super().__init__(params, seed=int(seed), scenario=scenario)
        self.build_seconds = time.perf_counter() - started
        self.step_seconds: float | None = None
        self.draw_seconds: dict[str, float] = {}
        self.png_cache: dict[str, tuple[tuple, bytes]] = {}
        self.figures: dict[str, object] = {}
        # (year, month, {target: year-to-date value or None}) after each simulated month.
        self.target_history: list[tuple[int, int, dict[str, float | None]]] = []

    def step(self) -> None:
        """One month, then the year-to-date value of every target."""
        if not self.running:
            return
        started = time.perf_counter()
        super().step()
        year, month = self.dates[-1]
        self.target_history.append(
            (year, month, {tid: t.compute(self, year) for tid, t in TARGETS.items()}))
        self.step_seconds = time.perf_counter() - started

    @property
    def last_date(self) -> tuple[int, int] | None:
        """The month simulated last, or None before the first step."""
        return self.dates[-1] if self.dates else None

    def year_complete(self, year: int) -> bool:
        return (year, 12) in self.dates


def targets_table_html(model: DashboardModel) -> str:
    """The current year's targets met or not (year to date), beside the last completed year."""
    date = model.last_date
    if date is None:
        return "<p>No month simulated yet: press STEP or ▶.</p>"
    year = date[0]
    current = model.target_history[-1][2]
    complete = model.year_complete(year)
    done = year if complete else year - 1
    last = next((v for y, m, v in model.target_history if y == done and m == 12), None)
    head = f"{year}" if complete else f"{year} to {date[0]}-{date[1]:02d}"
    rows = []
    for tid, target in TARGETS.items():
        threshold = float(getattr(model.p.targets, target.threshold_key))
        cells = [f"<b>{tid}</b>", html.escape(TARGET_LABELS[tid]), _fmt(tid, threshold)]
        for values, cls in ((current, "current"), (last if not complete else None, "last")):
            value = None if values is None else values[tid]
            met = value is not None and value >= threshold
            mark = "" if value is None else (" ✔" if met else " ✘")
            color = "#777" if value is None else ("#1e8449" if met else "#c0392b")
            cells.append(f'<span class="value {cls}" data-target="{tid}" style="color:{color}">'
                         f"{_fmt(tid, value)}{mark}</span>")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    last_head = str(done) if (last is not None and not complete) else ""
    header = (f"<tr><th colspan=2>target (✔ met, ✘ not met)</th><th>threshold</th>"
              f"<th>{head}</th><th>{last_head}</th></tr>")
    return ('<table class="skills-targets">'
            f"{header}{''.join(rows)}</table>"
            "<style>.skills-targets{border-collapse:collapse;font-size:13px}"
            ".skills-targets td,.skills-targets th{padding:1px 8px;border-bottom:1px solid #ddd;"
            "text-align:right}.skills-targets td:nth-child(2){text-align:left}</style>")


def _fmt(tid: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if tid in SHARE_TARGETS else f"{value:,.0f}"


def status_html(model: DashboardModel) -> str:
    """Which month was simulated, how fast, and the levers in force."""
    p = model.p
    date = model.last_date
    when = f"{date[0]}-{date[1]:02d}" if date else "not started"
    step = f"{model.step_seconds * 1000:,.0f} ms" if model.step_seconds is not None else "—"
    draw = " + ".join(f"{k} {v * 1000:,.0f} ms" for k, v in sorted(model.draw_seconds.items()))
    enrolled = sum(model.indicators[f"enrolled.{t}"] for t in ("secondary", "higher"))
    b, pf, r = p.budget, p.platform, p.retention
    shares = ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in b.shares.items())
    in_force = [
        ("scenario", f"{model.scenario}; 1 agent = {model.persons_per_agent} person(s); "
                     f"seed {model.seed}"),
        ("budget", f"{b.total_yuan / 1e6:,.0f} M yuan/year (+{b.growth_per_year:.0%}/yr): "
                   f"{shares}"),
        ("subsidies", f"order class {p.order_classes.subsidy_per_class_yuan:,.0f} yuan; "
                      f"apprentice {p.apprenticeship.subsidy_per_student_yuan:,.0f} (student) / "
                      f"{p.apprenticeship.subsidy_per_employee_yuan:,.0f} (employee) yuan/yr"),
        ("platform", f"from {pf.launch}" if pf.enabled else "off"),
        ("retention", f"campaign {'on' if r.campaign.enabled else 'off'}; talent subsidy "
                      + (f"{r.talent_subsidy_yuan:,.0f} yuan/hire" if r.subsidy.enabled
                         else "off")),
    ]
    items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in in_force)
    scale_note = ("" if model.persons_per_agent == 1 else
                  " · <b>order classes (T2, T3) are not scale-free</b>: judge them at 1")
    return (
        f'<div class="skills-status"><span style="font-size:18px">Simulated through '
        f'<b class="skills-date">{when}</b></span> (month {len(model.dates)} of '
        f"{p.run.years * 12})<br>{enrolled:,.0f} students enrolled · step {step}"
        f"{' · drawing ' + draw if draw else ''} · built in {model.build_seconds:.1f} s"
        f"{scale_note}<br><b>Levers in force</b> <small>(a slider at its starting mark or a "
        f"switch at 'scenario' keeps the scenario file's value; RESET applies the levers)"
        f"</small><ul style='margin:0;font-size:12px'>{items}</ul></div>"
    )


# ---------------------------------------------------------------------------------------------
# Components (each re-renders when SolaraViz steps the model)

# Show every slider's value beside its thumb (SolaraViz's sliders only show it while dragged).
SLIDER_VALUE_CSS = """
.v-slider__thumb-container::after { content: attr(aria-valuenow); position: absolute;
  top: 9px; left: 50%; transform: translateX(-50%); font-size: 11px; color: #333; }
.v-input__slider { padding-bottom: 8px; }
"""


def _figure(model: DashboardModel, name: str, cls):
    figure = model.figures.get(name)
    if figure is None:
        figure = model.figures[name] = cls(model)
    return figure


def _drawn(model: DashboardModel, name: str, key: tuple, draw) -> bytes:
    """PNG from ``draw()``, redrawn only when ``key`` changes (not on every page re-render)."""
    cached = model.png_cache.get(name)
    if cached is None or cached[0] != key:
        started = time.perf_counter()
        cached = (key, draw())
        model.png_cache[name] = cached
        model.draw_seconds[name] = time.perf_counter() - started
    return cached[1]


@solara.component
def CityMap(model: DashboardModel):
    update_counter.get()
    png = _drawn(model, "map", (len(model.dates),),
                 lambda: _figure(model, "map", CityMapFigure).render(model))
    solara.Image(png, format="png", width="100%", classes=["skills-map"])


@solara.component
def TargetCurves(model: DashboardModel):
    update_counter.get()
    # Remember the run before the last Reset, drawn in grey beside this one.
    memory = solara.use_ref({"model": None, "previous": None})
    if memory.current["model"] is not model:
        old = memory.current["model"]
        if old is not None and old.target_history:
            memory.current["previous"] = target_series(old)
        memory.current["model"] = model
    previous = memory.current["previous"]
    png = _drawn(model, "curves", (len(model.dates), id(previous)),
                 lambda: _figure(model, "curves", TargetsFigure).render(model, previous))
    solara.Image(png, format="png", width="100%", classes=["skills-curves"])


@solara.component
def TargetsTable(model: DashboardModel):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=targets_table_html(model), classes=["skills-table"])


@solara.component
def Status(model: DashboardModel):
    update_counter.get()
    solara.Style(SLIDER_VALUE_CSS)
    solara.HTML(tag="div", unsafe_innerHTML=status_html(model))


def model_params(persons_per_agent: int | None = None, scenario: str | None = None) -> dict:
    """The levers as SolaraViz ``model_params``; defaults are the baseline's values."""
    ppa = persons_per_agent or default_persons_per_agent()
    return {
        "scenario": {"type": "Select", "value": scenario or default_scenario(),
                     "values": list(scenario_files()), "label": "Scenario file to start from"},
        "persons_per_agent": {"type": "Select", "value": ppa, "values": PPA_CHOICES,
                              "label": "Persons per student agent (1 = full scale)"},
        "seed": Slider("Random seed", value=1, min=1, max=100, step=1),
        "budget_myuan": Slider("Budget (M yuan/yr)", value=_baseline_slider("budget_myuan"),
                               min=0, max=400, step=10),
        "allocation": {"type": "Select", "value": "scenario", "values": list(ALLOCATIONS),
                       "label": "Budget allocation"},
        "order_class_subsidy_kyuan": Slider(
            "Order class (k yuan)",
            value=_baseline_slider("order_class_subsidy_kyuan"), min=0, max=200, step=10),
        "apprentice_subsidy_student_yuan": Slider(
            "Apprentice, student",
            value=_baseline_slider("apprentice_subsidy_student_yuan"), min=0, max=10000, step=500),
        "apprentice_subsidy_employee_yuan": Slider(
            "Apprentice, employee",
            value=_baseline_slider("apprentice_subsidy_employee_yuan"), min=0, max=15000, step=500),
        "platform": {"type": "Select", "value": "scenario", "values": PLATFORM_CHOICES,
                     "label": "Information platform launch"},
        "hometown_campaign": {"type": "Select", "value": "scenario", "values": SWITCH_CHOICES,
                              "label": "Hometown campaign (retention)"},
        "talent_subsidy": {"type": "Select", "value": "scenario", "values": SWITCH_CHOICES,
                           "label": "Talent subsidy for staying graduates"},
        "talent_subsidy_yuan": Slider("Talent subsidy (yuan)",
                                      value=_baseline_slider("talent_subsidy_yuan"),
                                      min=0, max=20000, step=1000),
    }


def make_page(persons_per_agent: int | None = None, scenario: str | None = None):
    """The SolaraViz page: status, map, curves and table; levers in the sidebar."""
    params = model_params(persons_per_agent, scenario)
    model = DashboardModel(**{k: (v.value if isinstance(v, Slider) else v["value"])
                              for k, v in params.items()})
    return SolaraViz(
        model,
        components=[(CityMap, 0), (TargetCurves, 0), (TargetsTable, 0), (Status, 0)],
        model_params=params,
        name="skills-sim: the city's vocational-education plan",
        play_interval=50,
    )


__all__ = ["CityMapFigure", "DashboardModel", "TargetsFigure", "slider_overrides", "make_page",
           "model_params", "scenario_files", "student_density", "students_per_school", "PLOT_TITLES"]
