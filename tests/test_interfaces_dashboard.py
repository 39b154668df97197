"""The dashboard: its pieces without a browser, then the served page in headless Chromium.

The browser test serves the page from SKILLS_SIM_VIZ_PYTHON when set: .ci/run installs the viz
extra into a fresh virtual environment and points it there, so an import the viz extra forgets
fails CI instead of hiding behind the test interpreter's packages. Without the variable the
page is served by this interpreter. Screenshots (1600x1200, 1280x800, dark theme) go to a
temporary folder whose path the test prints.

Skips, saying why, without Debian's chromium/chromium-driver or selenium (and, when serving from
this interpreter, without the viz extra); .ci/run installs all of them.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.interfaces.dashboard import compare, levers
from sim.interfaces.dashboard.model import DashboardModel, Settings, start_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
VIZ_PYTHON = os.environ.get("SKILLS_SIM_VIZ_PYTHON") or sys.executable
PPA = 20  # a small city keeps the browser test quick


# -- levers, model and comparison, without a browser ----------------------------------------

def test_levers_show_the_value_each_scenario_puts_in_force():
    """Every lever of every scenario sits inside its range, on its step, and left alone
    overrides nothing; more_funding's budget reads 180 M yuan/yr, not the baseline's 120."""
    for scenario in levers.scenario_files():
        params = levers.scenario_params(scenario)
        values = levers.in_force(params)
        for lever in levers.SLIDERS:
            v = values[lever.name]
            assert lever.low <= v <= lever.high, (scenario, lever.name, v)
            assert abs(v / lever.step - round(v / lever.step)) < 1e-9, (scenario, lever.name, v)
            assert lever.unit and lever.help and lever.label
        for name in levers.CHOICES:
            assert values[name] in levers.choice_values(name, params), (scenario, name)
        assert levers.overrides(scenario, values) == {}
    assert start_settings("more_funding").levers["budget"] == 180
    assert start_settings("status_quo").levers["platform"] == "never"


def test_every_slider_is_a_range_the_parameter_files_accept():
    """A slider's range is a sim.experiments.ranges.Factor, checked as a study file's factor
    is: both ends valid for the schema, the same kind, and a whole number of steps wide."""
    from sim.experiments.ranges import parse_factors

    base = levers.scenario_params("baseline")
    table = {lever.key: {"low": lever.factor.low, "high": lever.factor.high}
             for lever in levers.SLIDERS}
    checked = parse_factors(table, base, "dashboard", "sliders", {})
    for lever, factor in zip(levers.SLIDERS, checked):
        assert (factor.key, factor.kind, factor.low, factor.high) == (
            lever.key, lever.factor.kind, lever.factor.low, lever.factor.high)
        steps = (lever.high - lever.low) / lever.step
        assert abs(steps - round(steps)) < 1e-9 and steps >= 4, lever.name


def test_a_moved_lever_overrides_only_itself_and_reaches_the_model():
    settings = start_settings("more_funding", persons_per_agent=20)
    moved = Settings("more_funding", 20, 1, {**settings.levers, "budget": 200.0,
                                             "outside_wage_premium": 45.0,
                                             "talent_subsidy": "on"})
    assert moved.overrides() == {"budget.total_yuan": 2e8,
                                 "labour_market.outside_wage_premium": 0.45,
                                 "retention.subsidy.enabled": True}
    model = DashboardModel(moved)
    assert model.p.budget.total_yuan == 2e8
    assert model.p.labour_market.outside_wage_premium == pytest.approx(0.45)
    assert levers.in_force(model.p)["budget"] == 200
    for preset in levers.ALLOCATIONS:  # every preset is a valid budget (shares sum to one)
        Settings("baseline", 20, 1, {**settings.levers, "allocation": preset}).params()


def test_year_to_date_history_ends_each_year_at_the_annual_targets():
    """What the page plots in December is exactly what model.annual() reports for the year."""
    model = DashboardModel(start_settings("baseline", 20), **{"run.years": 1})
    model.run()
    assert [(y, m) for y, m, _ in model.target_history] == [(2022, m) for m in range(1, 13)]
    annual = model.annual().set_index("target")["value"]
    assert model.target_history[-1][2] == pytest.approx(annual.to_dict())
    districts = model.by_district()
    assert districts["students"].sum() == pytest.approx(model.school_students().sum())
    assert districts["unfilled"].sum() == pytest.approx(
        model.enterprises.unfilled_last.sum() * model.persons_per_agent)


def test_a_comparison_gives_the_forecast_commands_rows(tmp_path):
    """Both runs of a comparison are what `skills-sim forecast` writes for the command shown."""
    current = Settings("baseline", PPA, 1, {**start_settings("baseline").levers,
                                            "outside_wage_premium": 60.0})
    runs = compare.run_comparison(current, "status_quo", "dearer outside", 2, PPA)
    assert [r.name for r in runs] == ["dearer outside", "status_quo"]
    for run in runs:
        out = tmp_path / run.name.replace(" ", "_")
        argv = shlex.split(run.command())[1:] + ["--workers", "1", "--out", str(out)]
        assert cli_main(argv) == 0
        expected = pd.read_parquet(out / "annual.parquet").drop(columns="scenario")
        pd.testing.assert_frame_equal(run.annual.drop(columns="scenario"), expected,
                                      check_dtype=False)
    assert "--set labour_market.outside_wage_premium=0.6" in runs[0].command()
    kept = compare.keep(runs, compare.run_comparison(current, "status_quo", "again", 1, PPA))
    assert [(r.name, r.replicates) for r in kept] == [("dearer outside", 2), ("again", 1),
                                                      ("status_quo", 1)]  # same name: replaced


def _viz():
    pytest.importorskip("altair", reason="needs the viz extra: python3 -m pip install -e '.[viz]'")
    from sim.interfaces.dashboard import charts, tables

    return charts, tables


def test_tables_say_so_far_this_year_for_flows_and_list_the_first_year_met():
    charts, tables = _viz()
    model = DashboardModel(start_settings("baseline", PPA), **{"run.years": 2})
    for _ in range(3):
        model.step()
    html = tables.this_year_html(model)
    assert html.count("so far this year") == len(charts.FLOW_TARGETS)
    flow_rows = [row for row in html.split("<tr>") if "so far this year" in row]
    assert all("✘" not in row for row in flow_rows), "a flow is not missed before December"
    model.run()
    summary = tables.all_years_html(model)
    for tid, target in charts.TARGETS.items():
        threshold = float(getattr(model.p.targets, target.threshold_key))
        met = [y for y, m, v in model.target_history
               if m == 12 and v[tid] is not None and v[tid] >= threshold]
        expected = str(met[0]) if met else "not yet"
        assert f'data-target="{tid}">{expected}</td>' in summary


def test_year_results_are_drawn_at_their_own_year():
    charts, _ = _viz()
    model = DashboardModel(start_settings("baseline", PPA), **{"run.years": 1})
    model.run()
    th = {tid: float(getattr(model.p.targets, t.threshold_key)) for tid, t in charts.TARGETS.items()}
    frame = charts.history_frame(model.target_history, th)
    years = frame[frame["kind"] == "year"]
    assert set(years["date"].dt.year) == {2022} and set(years["date"].dt.month) == {12}
    t9 = years.set_index("target").loc["T9", "value"]
    assert t9 == pytest.approx(model.target_history[-1][2]["T9"] * 100)  # shares shown in %
    assert charts.text("T4", 52345.0) == "52,345 person-times"


def test_dashboard_command_explains_a_missing_extra(monkeypatch, capsys):
    """Without solara the command exits 2 and says which extra to install."""
    import importlib.util as util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == "solara" else
                        real(name, *a))
    assert cli_main(["dashboard", "--no-browser"]) == 2
    assert "python3 -m pip install -e '.[viz]'" in capsys.readouterr().err


def test_chart_scripts_are_served_from_the_installed_assets(tmp_path):
    """The chart widget asks for vega@5 etc.; they resolve to what solara-assets installed."""
    from sim.interfaces.cli.dashboard import VEGA_ALIASES, offline_assets

    shipped = Path(sys.prefix) / "share" / "solara" / "cdn"
    if not shipped.is_dir():
        pytest.skip("solara-assets is not installed in this interpreter")
    folder = Path(offline_assets(tmp_path))
    for alias in VEGA_ALIASES:
        assert (folder / alias / "build").is_dir(), alias


# -- the served page in a browser -------------------------------------------------------------

def _missing() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return "needs Debian's chromium and chromium-driver (apt-get install them)"
    if importlib.util.find_spec("selenium") is None:
        return "needs selenium: python3 -m pip install -e '.[test]'"
    if VIZ_PYTHON == sys.executable and importlib.util.find_spec("solara") is None:
        return "needs the viz extra: python3 -m pip install -e '.[viz]'"
    return None


needs_browser = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard served by the CLI of VIZ_PYTHON; killed (whole group) at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [VIZ_PYTHON, "-m", "sim.cli", "dashboard", "--port", str(port), "--no-browser",
             "--persons-per-agent", str(PPA)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard ({VIZ_PYTHON}) exited with {proc.returncode}:\n"
                            f"{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard did not answer within 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def _chrome(size: str, downloads: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="skills-sim-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--hide-scrollbars",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 f"--window-size={size}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    return driver, profile


@pytest.fixture(scope="module")
def browsers(tmp_path_factory):
    """Two independent browsers: a large window and a laptop's 1280x800."""
    downloads = tmp_path_factory.mktemp("downloads")
    made = [_chrome(size, downloads) for size in ("1600,1200", "1280,800")]
    try:
        yield made[0][0], made[1][0], downloads
    finally:
        for driver, profile in made:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)


# helpers: read and drive the page through JavaScript (no stale element references)

def _wait(driver, predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; page says: {_text(driver, 'body')[:1500]}")


def _text(driver, selector: str) -> str:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector)


def _date(driver) -> str:
    return _wait(driver, lambda: _text(driver, ".skills-date").strip(), "the status line", 20)


def _click(driver, label: str) -> None:
    clicked = driver.execute_script(
        "const b = [...document.querySelectorAll('button')]"
        ".find(b => b.innerText.trim().toUpperCase() === arguments[0] && !b.disabled);"
        "if (b) { b.click(); return true; } return false;", label)
    assert clicked, f"no enabled button {label!r}"


def _choose(driver, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label``."""
    opened = driver.execute_script(
        "const s = [...document.querySelectorAll('.v-select')].find(s => "
        "(s.querySelector('label') || {}).innerText === arguments[0]);"
        "if (!s) return false; s.querySelector('.v-select__slot').click(); return true;", label)
    assert opened, f"no select {label!r}"
    _wait(driver, lambda: driver.execute_script(
        "const i = [...document.querySelectorAll('.menuable__content__active .v-list-item')]"
        ".find(i => i.innerText.trim() === arguments[0]); if (i) { i.click(); return true; }"
        "return false;", option), f"option {option!r} of {label!r}", 10)


def _slider_to_end(driver, lever: str, start: bool = False) -> None:
    """The slider to its last value (its first with ``start``), as the keyboard's End/Home."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    slider = driver.find_element("css selector", f'.skills-slider-{lever} [role="slider"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();",
                          slider)
    ActionChains(driver).send_keys(Keys.HOME if start else Keys.END).perform()


def _lever(driver, name: str) -> str:
    return _text(driver, f'.skills-lever[data-lever="{name}"]')


def _targets(driver) -> dict[str, str]:
    return driver.execute_script(
        "const out = {}; document.querySelectorAll('.skills-this-year .value.current')"
        ".forEach(e => { out[e.dataset.target] = e.innerText.trim(); }); return out;")


def _months(date: str) -> int:
    return 0 if date == "not started" else (int(date[:4]) - 2022) * 12 + int(date[5:])


def _step_to(driver, date: str) -> None:
    while (now := _months(_date(driver))) < _months(date):
        expected = f"{2022 + now // 12}-{now % 12 + 1:02d}"
        _click(driver, "STEP")
        _wait(driver, lambda e=expected: _date(driver) == e, f"Step to show {expected}")


def _chart_drawn(driver, selector: str) -> bool:
    return bool(driver.execute_script(
        "const s = document.querySelector(arguments[0] + ' svg.marks');"
        "return !!s && s.getBoundingClientRect().width > 300;", selector))


def _cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its children (Linux /proc)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in [pid, *map(int, children.read_text().split())]:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@needs_browser
def test_dashboard_in_a_browser(server, browsers, tmp_path_factory):
    url, proc = server
    big, laptop, downloads = browsers
    shots = tmp_path_factory.mktemp("screenshots")
    print(f"dashboard served by {VIZ_PYTHON}; screenshots in {shots}")
    for driver in (big, laptop):
        driver.get(url)
        _wait(driver, lambda d=driver: _chart_drawn(d, ".skills-targets-chart"), "the charts")
        body = _text(driver, "body")
        assert "skills-sim" in body and _date(driver) == "not started"
        for leftover in ("PAGE 0", "Page 0", "Use Threads", "Render Interval", "Play Interval",
                         "Step:", " ms"):
            assert leftover not in body, leftover

    # Two sessions step independently: each has its own model.
    _step_to(big, "2022-03")
    assert _date(laptop) == "not started"
    _step_to(laptop, "2022-01")
    assert _date(big) == "2022-03"

    # A scenario's levers read the values it puts in force.
    _choose(laptop, "Scenario file to start from", "more_funding")
    _wait(laptop, lambda: "180" in _lever(laptop, "budget"), "the budget to read 180")
    _choose(laptop, "Scenario file to start from", "baseline")
    _wait(laptop, lambda: "120" in _lever(laptop, "budget"), "the budget to read 120")

    # A lever moved and applied is in force, and what it does shows in the year's targets. The
    # subsidy goes to nothing: fewer sponsors open classes (at its top end instead the plan's
    # order-class line binds and is shared pro rata, so the first year's T2 would not move).
    _step_to(laptop, "2022-12")
    before = _targets(laptop)
    _slider_to_end(laptop, "order_class_subsidy", start=True)
    _wait(laptop, lambda: "50" not in _lever(laptop, "order_class_subsidy"), "the slider to move")
    assert "APPLY" in _text(laptop, ".skills-pending").upper()
    _click(laptop, "APPLY & RESTART")
    _wait(laptop, lambda: _date(laptop) == "not started", "a restart")
    _wait(laptop, lambda: "order class 0 yuan/class" in _text(laptop, ".skills-in-force"),
          "the new subsidy to be in force")
    _step_to(laptop, "2022-12")
    after = _targets(laptop)
    assert after["T2"] != before["T2"], (before, after)

    # The Apply button stays in view with the sidebar scrolled to its end, at 1280x800.
    laptop.execute_script("document.querySelectorAll('*').forEach(e => { e.scrollTop = 1e6; });")
    assert laptop.execute_script(
        "const r = document.querySelector('.skills-apply').getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight;")
    assert laptop.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1;")

    # Play runs on its own until paused.
    _click(big, "▶")
    _wait(big, lambda: _months(_date(big)) >= _months("2022-06"), "Play to reach 2022-06")
    _click(big, "❚❚")

    # Compare: a moved lever against the baseline over three seeds, banded, then exported.
    _slider_to_end(big, "outside_wage_premium")
    _wait(big, lambda: "100" in _lever(big, "outside_wage_premium"), "the premium to move")
    big.execute_script("[...document.querySelectorAll('.v-tab')]"
                       ".find(t => t.innerText.toUpperCase().includes('COMPARE')).click();")
    _wait(big, lambda: _text(big, ".skills-compare"), "the comparison button")
    _click(big, "RUN COMPARISON")
    _wait(big, lambda: _chart_drawn(big, ".skills-compare-chart"), "the comparison chart", 240)

    def bands_drawn():
        """The legend's runs once two bands (50 %, 90 %) per run and target are drawn, read
        from one chart in one call (the page may embed the chart again while it settles)."""
        legend, bands = big.execute_script(
            "const c = document.querySelector('.skills-compare-chart');"
            "return [[...c.querySelectorAll('.role-legend-label text')].map(t => t.textContent),"
            "        c.querySelectorAll('.mark-area path').length];")
        return legend if bands >= 2 * 2 * 9 else None

    legend = _wait(big, bands_drawn, "the comparison's bands, two per run and target")
    assert sorted(legend) == ["baseline", "my setting"], legend
    assert "first year P(met)" in _text(big, ".skills-p-met")
    big.execute_script("document.querySelector('a.skills-download[download=\"runs_annual.csv\"]')"
                       ".click();")
    csv = _wait(big, lambda: next(iter(downloads.glob("runs_annual*.csv")), None), "the CSV", 30)
    _wait(big, lambda: not list(downloads.glob("*.crdownload")), "the download to finish", 30)
    exported = pd.read_csv(csv)
    commands = big.execute_script(
        "return [...document.querySelectorAll('.skills-runs code')].map(c => c.innerText);")
    assert len(commands) == 2 and "outside_wage_premium=1" in commands[0], commands
    for name, command in zip(["my setting", "baseline"], commands):
        out = tmp_path_factory.mktemp("forecast")
        assert cli_main(shlex.split(command)[1:] + ["--workers", "1", "--out", str(out)]) == 0
        expected = pd.read_parquet(out / "annual.parquet").drop(columns="scenario")
        mine = exported[exported["scenario"] == name].drop(columns="scenario")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), expected, check_dtype=False)

    # Screenshots at both sizes, and the dark theme legible.
    for driver, name in ((big, "compare-1600x1200"), (laptop, "run-1280x800")):
        driver.execute_script("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; });")
        driver.save_screenshot(str(shots / f"{name}.png"))
    laptop.execute_script("document.querySelector('.v-app-bar .v-btn:last-child, "
                          "header button:last-of-type').click();")
    _wait(laptop, lambda: laptop.execute_script(
        "return !!document.querySelector('.theme--dark.v-application');"), "the dark theme", 10)
    luminance = laptop.execute_script(
        "const c = getComputedStyle(document.querySelector('.skills-lever')).color"
        ".match(/\\d+/g).map(Number); return (0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]) / 255;")
    assert luminance > 0.6, f"lever text too dark on the dark theme: {luminance}"
    laptop.save_screenshot(str(shots / "run-1280x800-dark.png"))
    assert all((shots / f).stat().st_size > 50_000 for f in
               ("compare-1600x1200.png", "run-1280x800.png", "run-1280x800-dark.png"))

    # Nothing runs without a page: a session left playing stops once its tab is gone.
    _click(laptop, "▶")
    laptop.get("about:blank")
    big.get("about:blank")
    time.sleep(3)
    used = _cpu_seconds(proc.pid)
    time.sleep(4)
    assert _cpu_seconds(proc.pid) - used < 1.0, "the server kept working with no page open"
