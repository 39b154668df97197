"""The report a forecast hands on: report.html rendered by headless Chromium (no console error,
every figure decoded), report.pdf read back with pypdf (pages and text), and the tables beside
it (runs.csv, rounded attainment, versions in the manifest).

One small forecast (one scenario, 20 persons per agent, 2 years, 3 replicates) serves every test.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.forecast import forecast
from sim.interfaces.report import forecast_report
from sim.interfaces.summary import fmt_band, fmt_value, shortfall
from sim.params import BASELINE_PATH, load_params

SMALL = {"run.persons_per_agent": 20, "run.years": 2}
SMALL_SET = [arg for k, v in SMALL.items() for arg in ("--set", f"{k}={v}")]
REPLICATES = 3
SECTIONS = ["Answers", "Figures", "Definitions", "Assumptions", "Run details"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "fc"
    assert main(["forecast", "--replicates", str(REPLICATES), "--workers", "1",
                 "--out", str(out), *SMALL_SET]) == 0
    return out


def test_forecast_writes_report_overview_and_no_overlay_for_one_scenario(folder):
    names = {p.name for p in folder.iterdir()}
    assert {"report.html", "report.pdf", "runs.csv", "overview_baseline.png"} <= names
    assert not any(n.startswith("overlay_") for n in names)  # it would repeat the fan charts


def test_runs_csv_is_annual_parquet_row_for_row(folder):
    annual = pd.read_parquet(folder / "annual.parquet")
    runs = pd.read_csv(folder / "runs.csv").astype(annual.dtypes.to_dict())
    assert len(runs) == len(annual) == annual.groupby(["replicate", "year", "target"]).ngroups
    pd.testing.assert_frame_equal(runs, annual)


def test_manifest_records_library_versions(folder):
    meta = json.loads((folder / "manifest.json").read_text())
    for lib in ("mesa", "numpy", "pandas"):
        assert meta["versions"][lib], lib
    assert meta["targets"]["T2"]["unit"] == "classes opened per year"


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


def test_pdf_has_answers_first_then_a_page_per_figure_then_definitions_and_details(folder):
    pages = _pdf_pages(folder / "report.pdf")
    figures = len(list(folder.glob("*.png")))
    assert len(pages) == 1 + figures + 2
    first = pages[0]
    assert "answers" in first and "Reduced scale" in first  # the caveat of a 1:20 city
    annual = pd.read_parquet(folder / "annual.parquet")
    for target in annual["target"].unique():
        assert target in first
    for year in annual["year"].unique():
        assert str(year) in first
    assert "hinges on" in first and "shortfall" in first
    assert "Definitions" in pages[-2] and "T9" in pages[-2]
    assert "Run details" in pages[-1] and "master seed" in pages[-1] and "mesa" in pages[-1]
    for text in pages:
        assert str(folder.parent) not in text and "/tmp" not in text


def test_pdf_figure_pages_embed_each_figure_at_its_own_pixels(folder):
    from PIL import Image
    from pypdf import PdfReader

    from sim.interfaces.report_files import _forecast
    from sim.interfaces.plots.forecast import read_manifest

    report = _forecast(folder, read_manifest(folder))
    assert report.figures
    # matplotlib's pages share one dictionary of images: the document's, in page order.
    embedded = [im.image for im in PdfReader(folder / "report.pdf").pages[1].images]
    sizes = []
    for _caption, png in report.figures:
        with Image.open(png) as original:
            sizes.append(original.size)
    assert [im.size for im in embedded] == sizes  # not resampled to the page's resolution
    assert {im.mode for im in embedded} == {"RGB"}  # opaque figures need no alpha mask


def test_report_command_rewrites_both_files_and_refuses_a_run_folder(folder, tmp_path, capsys):
    d = tmp_path / "copy"
    shutil.copytree(folder, d)
    (d / "report.html").unlink()
    (d / "report.pdf").unlink()
    assert main(["report", str(d)]) == 0
    assert (d / "report.html").read_text() == (folder / "report.html").read_text()
    assert len(_pdf_pages(d / "report.pdf")) == len(_pdf_pages(folder / "report.pdf"))
    run = tmp_path / "run"
    assert main(["run", "--out", str(run), *SMALL_SET]) == 0
    assert main(["report", str(run)]) == 2
    assert "forecast or sweep" in capsys.readouterr().err


def test_answers_carry_shortfall_integer_counts_and_a_hinges_on_slot():
    params = load_params(BASELINE_PATH, SMALL)
    annual = forecast({"baseline": params}, 2, workers=1, progress=False)
    meta = {"hinges_on": {"T1": "the share of majors schools may adjust each year"}}
    report = forecast_report(annual, meta, ["baseline"], [])
    a = report.answers.set_index("target")
    assert a.loc["T1", "hinges_on"] == "the share of majors schools may adjust each year"
    assert (a.drop(index="T1")["hinges_on"] == "").all()
    last = pd.Series({"median": 0.65, "year": 2023})
    assert shortfall(last, 0.75, share=True) == "median 65.0% vs 75.0% in 2023, 10.0 points short"
    assert shortfall(pd.Series({"median": 19.5, "year": 2023}), 20, share=False) == \
        "median 19.5 vs 20 in 2023, 0.5 short"
    assert shortfall(pd.Series({"median": 80.0, "year": 2023}), 20, share=False) == ""
    assert fmt_band(9.45, 20, share=False) == "[9–20]"  # counts: whole band ends
    assert fmt_band(9.45, 19.2, share=False) == "[9–20]"
    assert fmt_band(0.6512, 0.7, share=True) == "[65.1%–70.0%]"
    assert fmt_value(12000.4, share=False) == "12,000" and fmt_value(7.0, share=False) == "7"


def _missing_browser() -> str | None:
    import importlib.util

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return "needs Debian's chromium and chromium-driver (apt-get install them)"
    if importlib.util.find_spec("selenium") is None:
        return "needs selenium: python3 -m pip install -e '.[test]'"
    return None


@pytest.mark.skipif(_missing_browser() is not None, reason=_missing_browser() or "")
def test_html_renders_in_chromium_without_console_errors(folder):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="skills-sim-report-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get((folder / "report.html").as_uri())  # as a double-click opens it: file://
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        headings = driver.execute_script(
            "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        cells = driver.execute_script(
            "return document.querySelectorAll('table.answers tbody tr').length")
        external = driver.execute_script(
            "return Array.from(document.querySelectorAll('[src],[href]')).map("
            "e => e.getAttribute('src') || e.getAttribute('href'))"
            ".filter(u => !u.startsWith('data:'))")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    assert errors == []
    assert headings == SECTIONS
    assert len(images) == len(list(folder.glob("*.png"))) and all(
        ok and width > 300 for ok, width in images)
    assert cells == pd.read_parquet(folder / "annual.parquet")["target"].nunique()
    assert external == []  # self-contained: nothing to fetch


# ---------------------------------------------------------------------------------------------
# Sweeps: the answer (which setting first meets each target) and the report


def test_sweep_prints_and_writes_which_setting_first_meets_each_target(tmp_path, capsys):
    sweep = tmp_path / "launch.toml"
    sweep.write_text("\n".join([
        "[sweep]", 'name = "launch"', f'base = "{BASELINE_PATH.as_posix()}"', "replicates = 2",
        "seed = 5", 'design = "grid"', "[sweep.set]",
        *(f'"{k}" = {v}' for k, v in SMALL.items()),
        "[sweep.axes]", '"platform.launch" = ["2022-07", "2024-07"]']))
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    att = pd.read_csv(out / "attainment.csv")
    summary = (out / "summary.md").read_text()
    for target, g in att.groupby("target"):
        met = g[g["p_met"] >= 0.5]
        line = next(x for x in printed.splitlines() if x.strip().startswith(f"{target} ("))
        if met.empty:
            assert "not met by any setting" in line
        else:
            year = int(met["year"].min())
            first = met[met["year"] == year].sort_values("point").iloc[0]["platform.launch"]
            assert f"first met in {year} with platform.launch = {first}" in line
            assert f"| {target} |" in summary and f"| {year} | platform.launch = {first} |" in summary
    pages = _pdf_pages(out / "report.pdf")
    assert len(pages) == 1 + len(list(out.glob("sweep_T*.png"))) + 2
    assert "platform.launch = 2024-07" in pages[0]
    assert "platform: launch month" in (out / "report.html").read_text()


# ---------------------------------------------------------------------------------------------
# Progress in a log, --version, help


def test_progress_lines_appear_in_a_log_when_stderr_is_not_a_terminal(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log"
    env = {**os.environ, "SKILLS_SIM_PROGRESS_EVERY": "0"}  # a line per finished run
    with open(log, "w") as f:  # as `nohup skills-sim forecast ... > log 2>&1`
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "forecast", "--replicates", "2", "--workers", "1",
             "--out", str(tmp_path / "fc"), "--set", "run.persons_per_agent=20",
             "--set", "run.years=1"], stdout=f, stderr=subprocess.STDOUT, env=env,
            cwd=Path(__file__).parent.parent)
    text = log.read_text()
    assert proc.returncode == 0, text
    lines = [x for x in text.splitlines() if "replicates:" in x and "runs done" in x]
    assert [x.split("] ", 1)[1].split(" runs done")[0] for x in lines] == [
        "replicates: 0/2", "replicates: 1/2", "replicates: 2/2"], text
    assert "left" in lines[1] and "elapsed" in lines[-1]


def test_version_and_every_subcommand_help_show_defaults_and_an_example(capsys):
    from sim.interfaces.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("skills-sim ")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        text = parser.format_help()
        assert "examples:\n  skills-sim " + name in text, name
        assert str(BASELINE_PATH.parent) not in text  # no absolute path of this machine
    assert "(default: 20220101)" in sub.choices["forecast"].format_help()
    assert "(default: params/baseline.toml)" in sub.choices["run"].format_help()


# ---------------------------------------------------------------------------------------------
# The notebook API


def test_notebook_forecast_reproduces_the_cli_attainment_table(folder, tmp_path):
    import sim
    from matplotlib.figure import Figure

    fc = sim.forecast(replicates=REPLICATES, set=SMALL, workers=1, progress=False)
    cli = pd.read_csv(folder / "attainment.csv")
    pd.testing.assert_frame_equal(fc.attainment.reset_index(drop=True),
                                  cli.astype(fc.attainment.dtypes.to_dict()))
    pd.testing.assert_frame_equal(fc.annual, pd.read_parquet(folder / "annual.parquet"))
    assert isinstance(fc.plot(), Figure) and isinstance(fc.plot("T2"), Figure)
    html = fc.report(tmp_path / "nb")
    assert html.name == "report.html" and (html.parent / "report.pdf").is_file()
    assert (html.parent / "manifest.json").is_file()


def test_notebook_save_writes_the_folder_the_command_writes(folder, tmp_path):
    """Through the same OutputFolder: the same files (assumptions and drivers included) with
    the same numbers, a manifest recording the same forecast, and the command's refusals."""
    import sim
    from sim.params import ParamError

    fc = sim.forecast(replicates=REPLICATES, set=SMALL, workers=1, progress=False)
    out = fc.save(tmp_path / "nb")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in folder.iterdir())
    for name in ("attainment.csv", "earliest_year.csv", "drivers.csv", "runs.csv",
                 "value_of_information.csv", "districts_attainment.csv"):
        assert (out / name).read_bytes() == (folder / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "assumptions.parquet"),
                                  pd.read_parquet(folder / "assumptions.parquet"))
    mine, cli = (json.loads((f / "manifest.json").read_text()) for f in (out, folder))
    assert set(mine) == set(cli) and set(mine["files"]) == set(cli["files"])
    for key in ("seeds", "parameters", "assumptions", "replicates", "hinges_on"):
        assert mine[key] == cli[key], key
    assert [s["name"] for s in mine["scenarios"]] == ["baseline"]
    assert fc.save(out) == out  # an earlier forecast's folder is replaced whole
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ParamError, match="give a new or empty folder"):
        fc.save(other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
