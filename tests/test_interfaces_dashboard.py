"""The dashboard in a real browser: `skills-sim dashboard` serves the SolaraViz page and headless
Chromium drives it (load, map and curves drawn, Step advances the year, a lever changes the next
run's curves, Play runs and pauses). A screenshot is kept in tests/artifacts/dashboard.png.

Skips, saying why, without Debian's chromium/chromium-driver, selenium or the viz extra; .ci/run
installs all of them so in CI the test really runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from sim.cli import main as cli_main

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "artifacts"
PPA = 20  # a small city keeps the browser test quick


def _missing() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return "needs Debian's chromium and chromium-driver (apt-get install them)"
    for module, extra in (("solara", "viz"), ("altair", "viz"), ("selenium", "test")):
        if importlib.util.find_spec(module) is None:
            return f"needs {module}: python3 -m pip install -e '.[{extra}]'"
    return None


needs_browser = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard served by the CLI on a free loopback port; killed (whole group) at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "dashboard", "--port", str(port), "--no-browser",
             "--persons-per-agent", str(PPA)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard did not answer within 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="skills-sim-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 "--window-size=1600,1250"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# -- helpers: read and drive the page through JavaScript (no stale element references) ------

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
    """The month the page says was simulated last (waits out a re-render in progress)."""
    return _wait(driver, lambda: _text(driver, ".skills-date").strip(), "the status line", 20)


def _click(driver, label: str) -> None:
    clicked = driver.execute_script(
        "const b = [...document.querySelectorAll('button')]"
        ".find(b => b.innerText.trim().toUpperCase() === arguments[0] && !b.disabled);"
        "if (b) { b.click(); return true; } return false;", label)
    assert clicked, f"no enabled button {label!r}"


def _image_loaded(driver, cls: str) -> bool:
    return bool(driver.execute_script(
        "const i = document.querySelector('img.' + arguments[0]);"
        "return !!i && i.complete && i.naturalWidth > 300 && i.naturalHeight > 200;", cls))


def _curves_pixels(driver) -> str:
    element = driver.find_element("css selector", "img.skills-curves")
    return hashlib.sha256(element.screenshot_as_png).hexdigest()


def _targets(driver, column: str) -> dict[str, str]:
    return driver.execute_script(
        "const out = {}; document.querySelectorAll('.skills-targets .value.' + arguments[0])"
        ".forEach(e => { out[e.dataset.target] = e.innerText.trim(); }); return out;", column)


def _number(text: str) -> float:
    return float(text.split()[0].replace(",", "").rstrip("%"))


def _step_to(driver, date: str) -> None:
    """Click Step until the page says ``date`` was simulated, checking each month appears."""
    while (now := _months(_date(driver))) < _months(date):
        expected = f"{2022 + now // 12}-{now % 12 + 1:02d}"
        _click(driver, "STEP")
        _wait(driver, lambda e=expected: _date(driver) == e, f"Step to show {expected}")
    assert _date(driver) == date


@needs_browser
def test_dashboard_runs_the_model_in_a_browser(server, browser):
    started = time.monotonic()
    browser.get(server)

    # The page loads: title, controls, levers, the map and the curves drawn as images.
    _wait(browser, lambda: _image_loaded(browser, "skills-map"), "the map image")
    _wait(browser, lambda: _image_loaded(browser, "skills-curves"), "the curves image")
    body = _text(browser, "body")
    assert "skills-sim" in body and "Model Parameters" in body
    assert _date(browser) == "not started"
    assert f"1 agent = {PPA} person(s)" in _text(browser, ".skills-status")
    curves_at_start = _curves_pixels(browser)

    # Stepping advances month by month through the first year, then into the next year.
    _step_to(browser, "2022-12")
    first_run = _targets(browser, "current")
    first_curves = _curves_pixels(browser)
    assert set(first_run) == {f"T{i}" for i in range(1, 10)}
    assert all(v != "—" for k, v in first_run.items()), first_run  # every target observed in 2022
    _click(browser, "STEP")
    _wait(browser, lambda: _date(browser) == "2023-01", "the year to advance to 2023")
    assert "2022" in _text(browser, ".skills-targets")
    assert _targets(browser, "last") == first_run  # last completed year = what 2022 ended at
    _wait(browser, lambda: _image_loaded(browser, "skills-curves"), "the curves image")
    assert _curves_pixels(browser) != curves_at_start, "curves did not change while stepping"

    # A lever: the order-class subsidy to its maximum, Reset, and the same year again.
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    slider = browser.find_element("css selector", '[role="slider"][aria-label^="Order class"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();",
                           slider)
    ActionChains(browser).send_keys(Keys.END).perform()  # keyboard: the slider's maximum
    _wait(browser, lambda: slider.get_attribute("aria-valuenow") == "200", "the slider to move")
    _click(browser, "RESET")
    _wait(browser, lambda: _date(browser) == "not started", "Reset to build a new model")
    _wait(browser, lambda: "order class 200,000 yuan" in _text(browser, ".skills-status"),
          "the new subsidy to be in force")
    _step_to(browser, "2022-12")
    second_run = _targets(browser, "current")
    # The subsidy moves the classes opened (either way: a dearer class also drains the fixed
    # order-class budget line sooner), and the curves drawn for the same month differ.
    assert _number(second_run["T2"]) != _number(first_run["T2"]), (first_run, second_run)
    assert _curves_pixels(browser) != first_curves

    # Play runs the model on its own until paused.
    _click(browser, "▶")
    _wait(browser, lambda: _months(_date(browser)) >= _months("2023-03"), "Play to reach 2023-03")
    _click(browser, "❚❚")
    paused_at = _date(browser)
    time.sleep(1.5)
    assert _months(_date(browser)) - _months(paused_at) <= 1  # at most the step in flight

    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_script("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; });")
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 50_000
    assert time.monotonic() - started < 150


def _months(date: str) -> int:
    """Months simulated by a page date "YYYY-MM" (0 = not started)."""
    return 0 if date == "not started" else (int(date[:4]) - 2022) * 12 + int(date[5:])


def test_dashboard_command_explains_a_missing_extra(monkeypatch, capsys):
    """Without solara the command exits 2 and says which extra to install."""
    import importlib.util as util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == "solara" else
                        real(name, *a))
    assert cli_main(["dashboard", "--no-browser"]) == 2
    assert "python3 -m pip install -e '.[viz]'" in capsys.readouterr().err


# -- the page's model, without a browser ----------------------------------------------------

def _dashboard():
    pytest.importorskip("solara", reason="needs the viz extra: python3 -m pip install -e '.[viz]'")
    from sim.interfaces import dashboard

    return dashboard


def test_untouched_levers_keep_the_scenario_and_presets_are_valid_budgets():
    """Levers at their starting marks override nothing; every allocation preset is a budget."""
    dash = _dashboard()
    from sim.params import load_params

    defaults = {k: (v.value if isinstance(v, dash.Slider) else v["value"])
                for k, v in dash.model_params(persons_per_agent=20).items()}
    levers = {k: v for k, v in defaults.items() if k not in ("scenario", "persons_per_agent",
                                                             "seed")}
    assert dash.slider_overrides(**levers) == {}
    status_quo = dash.DashboardModel(scenario="status_quo", persons_per_agent=20)
    assert status_quo.p == load_params(dash.scenario_files()["status_quo"],
                                       {"run.persons_per_agent": 20})
    moved = dash.slider_overrides(**{**levers, "budget_myuan": 0, "platform": "never",
                                    "talent_subsidy": "on"})
    assert moved == {"budget.total_yuan": 0.0, "platform.enabled": False,
                     "retention.subsidy.enabled": True}
    for name in dash.ALLOCATIONS:
        overrides = dash.slider_overrides(**{**levers, "allocation": name})
        load_params(overrides=overrides)  # validates: known lines, shares sum to 1


def test_year_to_date_curves_end_each_year_at_the_annual_targets():
    """What the curves plot in December is exactly what model.annual() reports for the year."""
    dash = _dashboard()
    model = dash.DashboardModel(persons_per_agent=20, seed=3, **{"run.years": 1})
    model.run()
    assert [(y, m) for y, m, _ in model.target_history] == [(2022, m) for m in range(1, 13)]
    december = model.target_history[-1][2]
    annual = model.annual().set_index("target")["value"]
    assert december == pytest.approx(annual.to_dict())
    series = dash.target_series(model)
    assert series["T2"][1][-1] == pytest.approx(annual["T2"])
    assert png_is_drawn(dash.CityMapFigure(model).render(model))
    assert png_is_drawn(dash.TargetsFigure(model).render(model, series))


def png_is_drawn(png: bytes) -> bool:
    return png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
