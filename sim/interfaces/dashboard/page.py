"""The page (``solara run app.py`` or ``skills-sim dashboard``): levers in the sidebar, the run's
targets, tables and map, and a comparison of settings with their uncertainty.

Every browser session gets its own model (the state lives in the ``Page`` component, so Solara
keeps it per session); Play stops as soon as the session's page is gone. The page is composed
from Solara's and Mesa's pieces rather than ``SolaraViz``'s fixed layout, whose developer
controls (play/render intervals, threads, page tabs, step counter) analysts have no use for.
"""

from __future__ import annotations

import base64
import html
import os
import threading
import time

import solara
import solara.lab

from sim.interfaces.dashboard import charts, compare, district_maps, tables
from sim.interfaces.dashboard.levers import CHOICES, SLIDERS, choice_values, scenario_files, \
    scenario_params
from sim.interfaces.dashboard.model import PPA_CHOICES, DashboardModel, Settings, start_settings
from sim.model.indicators import TARGETS

PPA_ENV = "SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT"
SCENARIO_ENV = "SKILLS_SIM_DASHBOARD_SCENARIO"
PLAY_INTERVAL_S = 0.05  # pause between months while playing
RENDER_WAIT_S = 10.0  # longest wait for the page to show a month before playing on
TITLE = "skills-sim: the city's vocational-education plan"

PAGE_CSS = tables.TABLE_CSS + """
.skills-controls{position:sticky;top:0;z-index:5}
.v-navigation-drawer__content > div{height:auto !important}
.skills-help{font-size:11.5px;opacity:.8;margin:-22px 0 10px;line-height:1.25}
.skills-lever{font-size:14px;margin-top:4px}
.skills-card{background:white;border-radius:4px;padding:4px;display:inline-block;max-width:100%;
  overflow-x:auto}
.skills-status{font-size:14px}
.skills-pending{color:#b9770e;font-weight:600}
.v-footer{display:none !important}
"""


def default_persons_per_agent() -> int:
    """Scale the page starts at: full scale unless the environment (CLI, tests) says otherwise."""
    value = int(os.environ.get(PPA_ENV, "1"))
    return value if value in PPA_CHOICES else 1


def default_scenario() -> str:
    name = os.environ.get(SCENARIO_ENV, "baseline")
    return name if name in scenario_files() else "baseline"


def thresholds(model: DashboardModel) -> dict[str, float]:
    return {tid: float(getattr(model.p.targets, t.threshold_key)) for tid, t in TARGETS.items()}


def _page_alive(context) -> bool:
    """Whether the session still has a page connected (False once its tab is closed)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus
    return not context.closed_event.is_set() and PageStatus.CONNECTED in \
        context.page_status.values()


@solara.component
def Levers(pending: solara.Reactive[Settings]):
    """Scenario, scale, seed and the levers, each with its unit, range and one-line help."""
    settings = pending.value

    def put(name, value):
        pending.value = Settings(settings.scenario, settings.persons_per_agent, settings.seed,
                                 {**settings.levers, name: value})

    solara.Select("Scenario file to start from", values=list(scenario_files()),
                  value=settings.scenario,
                  on_value=lambda s: pending.set(pending.value.with_scenario(s)))
    solara.Select("Scale (persons per student agent; 1 = full city)", values=PPA_CHOICES,
                  value=settings.persons_per_agent,
                  on_value=lambda v: pending.set(Settings(settings.scenario, int(v),
                                                          settings.seed, settings.levers)))
    solara.SliderInt(f"Random seed: {settings.seed}", value=settings.seed, min=1, max=100,
                     on_value=lambda v: pending.set(Settings(settings.scenario,
                                                             settings.persons_per_agent, int(v),
                                                             settings.levers)))
    for lever in SLIDERS:
        value = settings.levers[lever.name]
        solara.HTML(tag="div", classes=["skills-lever"], attributes={"data-lever": lever.name},
                    unsafe_innerHTML=f"{lever.label}: <b>{value:,.10g}</b> {lever.unit}")
        with solara.Div(classes=[f"skills-slider-{lever.name}"]):
            solara.SliderFloat("", value=value, min=lever.low, max=lever.high, step=lever.step,
                               thumb_label=False,
                               on_value=lambda v, n=lever.name: put(n, float(v)))
        solara.HTML(tag="div", classes=["skills-help"],
                    unsafe_innerHTML=f"{lever.low:,g}–{lever.high:,g} {lever.unit} · {lever.help}")
    params = scenario_params(settings.scenario)
    for name, (label, help_text) in CHOICES.items():
        solara.Select(label, values=choice_values(name, params), value=settings.levers[name],
                      on_value=lambda v, n=name: put(n, v))
        solara.HTML(tag="div", classes=["skills-help"], unsafe_innerHTML=help_text)


@solara.component
def Controls(model: solara.Reactive[DashboardModel], pending: solara.Reactive[Settings],
             tick: solara.Reactive[int], rendered: threading.Event):
    """Apply & restart, Play/Pause and Step; always in view at the top of the sidebar."""
    playing = solara.use_reactive(False)
    context = solara.use_memo(_current_context, [])
    lock = solara.use_memo(threading.Lock, [])

    def step_once():
        with lock:
            model.value.step()
        tick.value += 1

    def play():
        while playing.value and model.value.running:
            if not _page_alive(context):
                break  # nobody is watching: stop, the session will be culled
            rendered.clear()
            step_once()
            rendered.wait(RENDER_WAIT_S)
            time.sleep(PLAY_INTERVAL_S)
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def restart():
        playing.value = False
        with lock:
            model.value = DashboardModel(pending.value)
        tick.value += 1

    m = model.value
    tick.get()  # re-render after every month
    changed = pending.value != m.settings
    with solara.Card(classes=["skills-controls"], margin=0):
        with solara.Row(justify="space-between"):
            solara.Button("Apply & restart", color="warning" if changed else "primary",
                          on_click=restart, classes=["skills-apply"])
            solara.Button("❚❚" if playing.value else "▶", color="primary",
                          disabled=not m.running, on_click=lambda: playing.set(not playing.value))
            solara.Button("Step", color="primary", disabled=playing.value or not m.running,
                          on_click=step_once)
        when = f"{m.last_date[0]}-{m.last_date[1]:02d}" if m.last_date else "not started"
        solara.HTML(tag="div", classes=["skills-status"], unsafe_innerHTML=(
            f'Simulated through <b class="skills-date">{when}</b> (month {len(m.dates)} of '
            f"{m.months})"))
        if changed:
            solara.HTML(tag="div", classes=["skills-pending"],
                        unsafe_innerHTML="Settings changed: press APPLY &amp; RESTART to run them")


def _current_context():
    try:
        from solara.server.kernel_context import get_current_context
        return get_current_context()
    except Exception:  # not served (a notebook, a test)
        return None


@solara.component
def Figure(make, dependencies: list, classes: list[str]):
    """An Altair chart whose Vega-Lite spec is rebuilt only when ``dependencies`` change
    (solara.FigureAltair converts the chart again on every render of the page)."""
    spec = solara.use_memo(lambda: make().to_dict(), dependencies)
    with solara.Div(classes=["skills-card", *classes]):
        solara.widgets.VegaLite.element(spec=spec, on_click=None, listen_to_click=False,
                                        on_hover=None, listen_to_hover=False)


@solara.component
def RunView(model: DashboardModel, tick: int):
    """The running model: targets year to date, this year's and every year's table, the map."""
    metric = solara.use_reactive("unfilled")
    layer = solara.use_reactive("T9")
    p = model.p
    start, end = p.run.start_year, p.run.start_year + p.run.years
    quarter = (model.last_date or (0, 0))
    map_key = [id(model), quarter[0], (quarter[1] - 1) // 3, metric.value]
    scale = model.persons_per_agent
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<b>{model.scenario}</b> · 1 agent = {scale} person(s) · seed {model.seed}"
        + ("" if scale == 1 else f" · <i>{compare.SCALE_NOTE}</i>")))
    solara.HTML(tag="div", unsafe_innerHTML=tables.in_force_html(model))
    solara.HTML(tag="div", unsafe_innerHTML=(
        "<b>Targets so far this year</b> (line: year to date, restarting each January for "
        "flows; dot: the year's result at the end of its year; dashed: threshold). Hover for "
        "values; the ⋯ menu saves the figure."))
    Figure(lambda: charts.targets_chart(model.target_history, thresholds(model), start, end),
           [id(model), tick], ["skills-targets-chart"])
    solara.HTML(tag="div", unsafe_innerHTML="<b>This year</b>")
    solara.HTML(tag="div", unsafe_innerHTML=tables.this_year_html(model))
    solara.HTML(tag="div", unsafe_innerHTML="<b>All years</b> (✔ met, ✘ not met)")
    solara.HTML(tag="div", unsafe_innerHTML=tables.all_years_html(model))
    with solara.Row():
        solara.Select("Map layer", values=list(charts.MAP_METRICS), value=metric,
                      style={"max-width": "260px"})
    Figure(lambda: charts.map_chart(model, metric.value), map_key, ["skills-map"])
    with solara.Row():
        solara.Select("Answers by district", values=list(district_maps.DISTRICT_LAYERS),
                      value=layer, style={"max-width": "360px"})
    Figure(lambda: district_maps.district_map_chart(model, layer.value),
           [id(model), district_maps.last_tallied_year(model), layer.value], ["skills-district-map"])


@solara.component
def CompareView(pending: solara.Reactive[Settings], runs: solara.Reactive[list]):
    """Run the setting on the levers and a reference over a few seeds; bands, P(met), export."""
    reference = solara.use_reactive("baseline")
    seeds = solara.use_reactive(compare.SEED_CHOICES[0])
    scale = solara.use_reactive(pending.value.persons_per_agent)
    name = solara.use_reactive("my setting")
    error = solara.use_reactive("")

    def run():
        error.value = ""
        try:
            new = compare.run_comparison(pending.value, reference.value, name.value.strip()
                                         or "my setting", int(seeds.value), int(scale.value))
        except Exception as exc:  # shown on the page: a bad combination of levers
            error.value = str(exc)
            return
        runs.value = compare.keep(runs.value, new)

    task = solara.lab.use_task(run, dependencies=None, prefer_threaded=True)
    solara.HTML(tag="div", unsafe_innerHTML=(
        "Runs the setting on the levers (named below) and a reference scenario as written, over "
        "the same seeds as <code>skills-sim forecast</code>; bands show the spread across "
        "seeds."))
    with solara.Row():
        solara.InputText("Name of this setting", value=name)
        solara.Select("Reference", values=list(scenario_files()), value=reference)
        solara.Select("Seeds", values=compare.SEED_CHOICES, value=seeds)
        solara.Select("Scale (persons per agent)", values=PPA_CHOICES, value=scale)
    if int(scale.value) > 1:
        solara.Warning(f"1 agent = {scale.value} persons: {compare.SCALE_NOTE}.")
    solara.Button("Run comparison", color="primary", on_click=task, disabled=task.pending,
                  classes=["skills-compare"])
    if task.pending:
        solara.Info(f"Running {2 * int(seeds.value)} simulations…")
    if error.value:
        solara.Error(error.value)
    if runs.value:
        ComparisonResult(runs)


@solara.component
def ComparisonResult(runs: solara.Reactive[list]):
    names = [r.name for r in runs.value]
    shown = solara.use_reactive(names[-2:])
    chosen = [r for r in runs.value if r.name in shown.value] or runs.value[-2:]
    solara.SelectMultiple("Runs drawn", values=shown.value, all_values=names,
                          on_value=shown.set)
    th = {tid: float(getattr(chosen[0].settings.params(chosen[0].persons_per_agent).targets,
                             t.threshold_key)) for tid, t in TARGETS.items()}
    key = [tuple(id(r) for r in chosen)]
    chart = solara.use_memo(lambda: charts.comparison_chart(compare.attainment_table(chosen), th),
                            key)
    Figure(lambda: chart, key, ["skills-compare-chart"])
    solara.HTML(tag="div", unsafe_innerHTML="<b>P(met)</b>: share of seeds meeting each target, "
                                            "by year")
    solara.HTML(tag="div", unsafe_innerHTML=tables.p_met_html(compare.p_met_summary(chosen)))
    # The files as download links made once per list of runs (plain links: nothing to
    # fetch from the server when clicked).
    every = [tuple(id(r) for r in runs.value)]
    links = solara.use_memo(lambda: " ".join([
        _download(compare.annual_table(runs.value).to_csv(index=False), "runs_annual.csv",
                  "text/csv", "Runs (CSV, every seed)"),
        _download(compare.attainment_table(runs.value).to_csv(index=False),
                  "runs_attainment.csv", "text/csv", "Attainment (CSV)"),
        _download(chart.to_html(), "comparison.html", "text/html", "Figure (HTML)")]), every)
    solara.HTML(tag="div", classes=["skills-downloads"], unsafe_innerHTML=links)
    items = "".join(f"<li><b>{r.name}</b>: {r.replicates} seeds at 1 agent = "
                    f"{r.persons_per_agent} person(s); same rows: <code>{r.command()}</code></li>"
                    for r in runs.value)
    solara.HTML(tag="div", unsafe_innerHTML=f"<b>Named runs</b><ul class='skills-runs'>{items}</ul>")


def _download(text: str, filename: str, mime: str, label: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f'<a class="skills-download v-btn v-btn--outlined theme--light primary--text" '
            f'style="padding:6px 12px;margin:4px" download="{filename}" '
            f'href="data:{mime};charset=utf-8;base64,{data}">{html.escape(label)}</a>')


@solara.component
def Page():
    """One model per browser session, built when the page opens."""
    first = solara.use_memo(lambda: start_settings(default_scenario(),
                                                   default_persons_per_agent()), [])
    pending = solara.use_reactive(first)
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(first), []))
    tick = solara.use_reactive(0)
    # Set once the page has rendered the latest month: Play waits for it, so each month is
    # shown (a render that keeps being overtaken by new months would hold every update back).
    rendered = solara.use_memo(threading.Event, [])
    solara.use_effect(rendered.set, [tick.value, id(model.value)])
    runs = solara.use_reactive([])
    tab = solara.use_reactive(0)
    solara.Style(PAGE_CSS)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar():
        Controls(model, pending, tick, rendered)
        with solara.Card("Setting and levers", margin=0):
            Levers(pending)
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab("This run"):
            RunView(model.value, tick.value)
        with solara.lab.Tab("Compare settings"):
            CompareView(pending, runs)
