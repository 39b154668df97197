"""The Monte Carlo forecast: numbers recomputable from annual.parquet, common random numbers,
worker-count independence, figures, the summary, bad input, and interruption (Ctrl-C).

All runs use a small city (10 persons per agent, 2 years) so the file stays under a minute.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from sim.cli import main
from sim.experiments.forecast import scenario_names
from sim.experiments.seeds import replicate_seeds
from sim.interfaces.plots.districts import MAP_INDICATORS
from sim.params import BASELINE_PATH, load_params
from sim.experiments.ranges import parse_uncertain
from sim.experiments.runner import run_one
from tests.test_experiments_executors import hears_ctrl_c

SMALL_SET = ["--set", "run.persons_per_agent=10", "--set", "run.years=2"]
REPLICATES = 4
MASTER = 7
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory):
    """Baseline, the same city under another name, and a variant that must differ."""
    d = tmp_path_factory.mktemp("scenarios")
    base = f'base = "{BASELINE_PATH.as_posix()}"\n'
    (d / "copy.toml").write_text(base)
    (d / "variant.toml").write_text(base + "[labour_market]\noutside_wage_premium = 1.0\n")
    return [str(BASELINE_PATH), str(d / "copy.toml"), str(d / "variant.toml")]


def _forecast_args(files, out, workers):
    return ["forecast", *files, "--replicates", str(REPLICATES), "--workers", str(workers),
            "--seed", str(MASTER), "--out", str(out), *SMALL_SET]


@pytest.fixture(scope="module")
def forecast_dir(scenario_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("fc") / "w2"
    assert main(_forecast_args(scenario_files, out, workers=2)) == 0
    return out


@pytest.fixture(scope="module")
def annual(forecast_dir):
    return pd.read_parquet(forecast_dir / "annual.parquet")


# ---------------------------------------------------------------------------------------------
# Numbers


def test_p_met_is_share_of_replicates_meeting_the_target(forecast_dir, annual):
    assert (annual["met"] == (annual["value"] >= annual["threshold"])).all()
    att = pd.read_csv(forecast_dir / "attainment.csv")
    # The sweep's columns too (threshold, n_runs); CSV numbers rounded to 4 decimals.
    assert list(att.columns) == ["scenario", "target", "year", "p_met", "median",
                                 "q05", "q25", "q75", "q95", "threshold", "n_runs"]
    groups = annual.groupby(["scenario", "target", "year"])
    assert len(att) == groups.ngroups > 0
    for _, row in att.iterrows():
        g = groups.get_group((row["scenario"], row["target"], row["year"]))
        assert sorted(g["replicate"]) == list(range(REPLICATES)) and row["n_runs"] == REPLICATES
        assert row["threshold"] == pytest.approx(g["threshold"].iloc[0], abs=5e-5)
        assert row["p_met"] == pytest.approx(sum(bool(m) for m in g["met"]) / len(g), abs=5e-5)
        assert row["median"] == pytest.approx(np.median(g["value"]), abs=5e-5)
        assert row["q05"] == pytest.approx(np.quantile(g["value"], 0.05), abs=5e-5)
        assert row["q95"] == pytest.approx(np.quantile(g["value"], 0.95), abs=5e-5)
        assert row["p_met"] == round(row["p_met"], 4) and row["median"] == round(row["median"], 4)
        assert row["q05"] <= row["q25"] <= row["median"] <= row["q75"] <= row["q95"]


def test_earliest_year_is_first_year_over_each_probability(forecast_dir):
    att = pd.read_csv(forecast_dir / "attainment.csv")
    early = pd.read_csv(forecast_dir / "earliest_year.csv")
    assert list(early.columns) == ["scenario", "target", "year_p50", "year_p80"]
    for _, row in early.iterrows():
        a = att[(att["scenario"] == row["scenario"]) & (att["target"] == row["target"])]
        for col, p in (("year_p50", 0.5), ("year_p80", 0.8)):
            hit = a.loc[a["p_met"] >= p, "year"]
            assert (pd.isna(row[col]) and hit.empty) or row[col] == hit.min()


def test_identical_scenarios_give_identical_rows_and_share_seeds(annual):
    names = list(dict.fromkeys(annual["scenario"]))
    assert names == ["baseline", "copy", "variant"]  # the order given on the command line
    by = {s: annual[annual["scenario"] == s].drop(columns="scenario").reset_index(drop=True)
          for s in names}
    pd.testing.assert_frame_equal(by["baseline"], by["copy"])
    # Common random numbers: replicate k has one seed in every scenario ...
    seeds = annual.groupby("replicate")["seed"].nunique()
    assert (seeds == 1).all() and annual.groupby("replicate")["seed"].first().is_unique
    # ... and the variant's parameters really reached the runs.
    assert not np.allclose(by["baseline"]["value"], by["variant"]["value"])


def test_seeds_derive_from_the_master_seed_and_reproduce_a_replicate(forecast_dir, annual):
    meta = json.loads((forecast_dir / "manifest.json").read_text())
    seeds = meta["seeds"]["replicates"]
    assert meta["seeds"]["master_seed"] == MASTER and seeds == replicate_seeds(MASTER, REPLICATES)
    assert annual.groupby("replicate")["seed"].first().tolist() == seeds
    assert replicate_seeds(MASTER, 3) == seeds[:3]  # more replicates keep the first ones
    assert replicate_seeds(MASTER + 1, 3) != seeds[:3]
    # A replicate is reproducible from the manifest and its assumption values, outside the forecast.
    params = load_params(BASELINE_PATH, {"run.persons_per_agent": 10, "run.years": 2})
    draws = pd.read_parquet(forecast_dir / "assumptions.parquet")
    mine = draws[(draws["scenario"] == "baseline") & (draws["replicate"] == 2)]
    factors = {f.key: f for f in parse_uncertain(params, "baseline")}
    assert set(mine["key"]) == set(factors)
    params = params.override({k: factors[k].decode(v) for k, v in zip(mine["key"], mine["value"])})
    alone = run_one(params, seed=seeds[2], monthly=False).annual
    rep = annual[(annual["scenario"] == "baseline") & (annual["replicate"] == 2)]
    np.testing.assert_array_equal(alone["value"].to_numpy(), rep["value"].to_numpy())


def test_target_flows_hold_every_run_year_and_companion_listed_in_the_manifest(forecast_dir,
                                                                            annual):
    from sim.model.indicators import COMPANIONS, FLOW_COLUMNS

    flows = pd.read_parquet(forecast_dir / "target_flows.parquet")
    assert list(flows.columns) == FLOW_COLUMNS
    runs = annual[["scenario", "replicate", "seed", "year"]].drop_duplicates()
    per_run = flows.groupby(["scenario", "replicate", "seed", "year"])["indicator"].apply(set)
    assert len(per_run) == len(runs) and (per_run == set(COMPANIONS)).all()
    # One run's rows are what that run's model reports (the baseline's replicate 1, with its
    # drawn assumptions).
    mine = flows[(flows["scenario"] == "baseline") & (flows["replicate"] == 1)]
    params = load_params(BASELINE_PATH, {"run.persons_per_agent": 10, "run.years": 2})
    draws = pd.read_parquet(forecast_dir / "assumptions.parquet")
    drawn = draws[(draws["scenario"] == "baseline") & (draws["replicate"] == 1)]
    factors = {f.key: f for f in parse_uncertain(params, "baseline")}
    params = params.override({k: factors[k].decode(v) for k, v in zip(drawn["key"], drawn["value"])})
    own = run_one(params, seed=int(mine["seed"].iloc[0]), scenario="baseline", replicate=1,
                  monthly=False).target_flows
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), own.reset_index(drop=True))
    assert "target_flows.parquet" in json.loads((forecast_dir / "manifest.json").read_text())["files"]


def test_one_or_two_workers_write_identical_files(forecast_dir, scenario_files, tmp_path,
                                                   monkeypatch):
    # Figures are redrawn from these files (see the plot test), so skip drawing them again here.
    monkeypatch.setattr("sim.interfaces.plots.forecast.draw_forecast",
                        lambda out, annual, meta, maps=(), **_: [])
    out = tmp_path / "w1"
    assert main(_forecast_args(scenario_files, out, workers=1)) == 0
    for name in ("annual.parquet", "attainment.csv", "earliest_year.csv", "districts.parquet",
                 "districts_attainment.csv", "district_cells.parquet", "assumptions.parquet",
                 "drivers.csv", "value_of_information.csv", "chance_vs_assumptions.csv",
                 "target_flows.parquet"):
        assert (out / name).read_bytes() == (forecast_dir / name).read_bytes(), name


def test_manifest_times_the_simulation_the_drivers_and_the_whole_output(forecast_dir):
    meta = json.loads((forecast_dir / "manifest.json").read_text())
    assert meta["simulation_seconds"] > 0
    # drivers_seconds: the driver tables, computed while the figures are drawn;
    # output_seconds: everything after the simulation (tables, drivers, figures, report).
    assert 0 <= meta["drivers_seconds"] <= meta["output_seconds"]


def test_scenario_names_are_stems_made_unique_in_order():
    assert scenario_names(["a/x.toml", "b/x.toml", "x.toml"]) == ["x", "x-2", "x-3"]
    assert scenario_names(["x.toml", "x-2.toml", "x.toml"]) == ["x", "x-2", "x-3"]
    assert scenario_names(["p/baseline.toml", "q/status_quo.toml"]) == ["baseline", "status_quo"]


# ---------------------------------------------------------------------------------------------
# Figures and summary


def _assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    img = imread(path)
    h, w = img.shape[:2]
    assert 300 <= w <= 3000 and 250 <= h <= 3000, (path, w, h)
    assert img.shape[2] in (3, 4) and img[..., :3].std() > 0.05, path  # not a blank canvas


def test_every_figure_is_a_readable_png_one_per_target_and_scenario(forecast_dir, annual):
    targets = sorted(annual["target"].unique())
    scenarios = annual["scenario"].unique()
    expected = {f"overlay_{t}.png" for t in targets}  # several scenarios: overlays too
    expected |= {f"fan_{t}_{s}.png" for t in targets for s in scenarios}
    expected |= {f"map_{i}.png" for i in MAP_INDICATORS}  # answers by district
    expected |= {f"drivers_{t}.png" for t in targets}  # P(met) beside what decides it
    expected |= {f"overview_{s}.png" for s in scenarios}  # P(met) by target x year
    pngs = {p.name for p in forecast_dir.glob("*.png")}
    assert pngs == expected
    for name in pngs:
        _assert_png(forecast_dir / name)


def test_summary_names_every_target_scenario_and_figure(forecast_dir, annual):
    text = (forecast_dir / "summary.md").read_text(encoding="utf-8")
    for target in annual["target"].unique():
        assert f"**{target}**" in text
    for scenario in annual["scenario"].unique():
        assert scenario in text
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text))
    assert linked == {p.name for p in forecast_dir.glob("*.png")}
    # Targets the parameter file has but the model does not compute are named too.
    params = load_params(BASELINE_PATH)
    for key in params.targets.model_dump():
        assert key.split("_")[0] in text


def test_plot_redraws_figures_and_summary_from_the_files(forecast_dir, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(forecast_dir, d)
    before = {p.name for p in d.glob("*.png")}
    summary = (d / "summary.md").read_text()
    for p in d.glob("*.png"):
        p.unlink()
    (d / "summary.md").unlink()
    (d / "fan_T1_old-scenario.png").write_bytes(b"stale")  # from an earlier forecast
    assert main(["plot", str(d)]) == 0
    assert {p.name for p in d.glob("*.png")} == before
    assert (d / "summary.md").read_text() == summary
    for name in before:
        _assert_png(d / name)
        # the forecast's figures were drawn by its driver worker and by the main process
        assert (d / name).read_bytes() == (forecast_dir / name).read_bytes(), name


def test_a_forecast_without_any_target_value_still_gets_a_summary(tmp_path):
    from sim.experiments.forecast import _empty_annual
    from sim.interfaces.plots.forecast import draw_forecast
    from sim.experiments.attainment import attainment

    assert attainment(_empty_annual(), by=["scenario"]).empty  # the schema's dtypes hold
    assert draw_forecast(tmp_path, _empty_annual(), {"scenarios": [{"name": "quiet"}]}) == []
    assert "quiet" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_plot_draws_a_single_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--seed", "3", "--out", str(out), *SMALL_SET]) == 0
    assert main(["plot", str(out)]) == 0
    targets = pd.read_parquet(out / "annual.parquet")["target"].unique()
    assert {p.name for p in out.glob("*.png")} == ({f"run_{t}.png" for t in targets}
                                                   | {f"map_{i}.png" for i in MAP_INDICATORS})
    for p in out.glob("*.png"):
        _assert_png(p)


def test_plot_hands_a_sweep_folder_to_the_sweep_module(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("sim.interfaces.plots.sweep")
    fake.plot_sweep = calls.append
    monkeypatch.setitem(sys.modules, "sim.interfaces.plots.sweep", fake)
    (tmp_path / "manifest.json").write_text(json.dumps({"command": "sweep", "files": {}}))
    assert main(["plot", str(tmp_path)]) == 0
    assert calls == [tmp_path]


def test_plot_refuses_a_folder_without_manifest(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Bad input and interruption


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--replicates", "0"], "--replicates"),
        (["--replicates", "-3"], "--replicates"),
        (["--workers", "0"], "--workers"),
        (["--seed", "-1"], "--seed"),
        (["--set", "run.yeers=3"], "run.yeers"),
        (["--set", "run.years=0"], "run.years"),
        (["{missing}"], "missing.toml"),
        (["{bad}"], "bad.toml"),
    ],
)
def test_bad_input_exits_2_naming_it_and_writes_nothing(tmp_path, capsys, extra, named):
    (tmp_path / "bad.toml").write_text("[run\nyears = 3\n")
    files = {"missing": str(tmp_path / "missing.toml"), "bad": str(tmp_path / "bad.toml")}
    extra = [e.format(**files) for e in extra]
    paths = [e for e in extra if e.endswith(".toml")]
    options = [e for e in extra if not e.endswith(".toml")]
    out = tmp_path / "out"
    # A good file first: the bad one must still stop everything before any run or write.
    argv = ["forecast", str(BASELINE_PATH), *paths, "--out", str(out), "--replicates", "2",
            *options]
    assert main(argv) == 2
    assert named in capsys.readouterr().err
    assert not out.exists()


def test_out_that_is_a_file_is_bad_input_and_left_alone(tmp_path, capsys):
    out = tmp_path / "out"
    out.write_text("not a folder")
    assert main(["forecast", "--out", str(out), "--replicates", "1"]) == 2
    assert "--out" in capsys.readouterr().err
    assert out.read_text() == "not a folder"


def _assert_every_file_complete(out: Path) -> None:
    """Whatever an interrupted command left must read in full; no temporary leftovers."""
    for p in out.iterdir():
        assert not p.name.endswith(".tmp"), f"temporary file left behind: {p.name}"
        if p.suffix == ".parquet":
            pd.read_parquet(p)
        elif p.suffix == ".csv":
            pd.read_csv(p)
        elif p.suffix == ".json":
            json.loads(p.read_text())
        elif p.suffix == ".png":
            _assert_png(p)
    if (out / "manifest.json").exists():  # a manifest vouches for a consistent folder
        annual = pd.read_parquet(out / "annual.parquet")
        att = pd.read_csv(out / "attainment.csv")
        p_met = annual.groupby(["scenario", "target", "year"])["met"].mean().to_numpy()
        np.testing.assert_allclose(att["p_met"].to_numpy(), p_met)


def test_ctrl_c_mid_forecast_leaves_no_partial_file(forecast_dir, tmp_path):
    """Real Ctrl-C: SIGINT to the command's process group while its progress bar runs. Far
    more replicates than it will finish, so that on a loaded machine, where this test may read
    the bar late, the forecast is still simulating when the signal lands."""
    out = tmp_path / "out"
    shutil.copytree(forecast_dir, out)  # a finished forecast the new one would replace
    old_manifest = (out / "manifest.json").read_bytes()
    master, slave = pty.openpty()  # a terminal (with a width), so the progress bar shows
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "forecast", "--replicates", "400", "--workers", "2",
         "--out", str(out), "--set", "run.persons_per_agent=10", "--set", "run.years=2"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, start_new_session=True,
        preexec_fn=hears_ctrl_c)
    os.close(slave)
    seen, done, deadline = b"", 0, time.monotonic() + 60
    try:
        while done < 3 and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
                done = max([int(n) for n in re.findall(rb"(\d+)/400", seen)] or [0])
        assert 3 <= done < 400, seen[-500:]
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=60)
        assert code == 130, (code, seen[-300:], proc.stdout.read()[-500:])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(master)
    _assert_every_file_complete(out)
    # Interrupted while simulating: the earlier finished forecast is untouched.
    assert (out / "manifest.json").read_bytes() == old_manifest


def test_interrupt_while_writing_figures_leaves_no_folder(tmp_path, monkeypatch):
    """Ctrl-C arriving in the middle of writing a PNG (simulated: the writer stops half-way):
    the forecast was being written in a folder beside --out, which is removed."""
    from matplotlib.figure import Figure

    real_savefig, calls = Figure.savefig, []

    def half_then_interrupt(self, fname, *args, **kwargs):
        calls.append(fname)
        if len(calls) == 2:
            Path(fname).write_bytes(PNG_SIGNATURE + b"half a figure")
            raise KeyboardInterrupt
        return real_savefig(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", half_then_interrupt)
    out = tmp_path / "out"
    argv = ["forecast", "--replicates", "2", "--workers", "1", "--out", str(out),
            "--set", "run.persons_per_agent=10", "--set", "run.years=2"]
    assert main(argv) == 130
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []  # neither --out nor the folder beside it remains
    assert main(["plot", str(out)]) == 2


def test_interrupt_while_the_driver_workers_run_stops_them_and_leaves_no_folder(tmp_path,
                                                                             monkeypatch):
    """Two workers: the driver tables are being computed on worker processes when Ctrl-C
    lands (simulated: in the first district map). The workers are stopped, not waited for, and
    neither --out nor the folder beside it remains."""
    from matplotlib.figure import Figure

    from sim.experiments.executors import LocalExecutor

    def interrupt(self, fname, *args, **kwargs):
        raise KeyboardInterrupt

    left = []
    real_exit = LocalExecutor.__exit__

    def record_exit(self, exc_type, *exc):
        left.append((exc_type, self.pool is not None))
        return real_exit(self, exc_type, *exc)

    monkeypatch.setattr(LocalExecutor, "__exit__", record_exit)
    monkeypatch.setattr(Figure, "savefig", interrupt)
    out = tmp_path / "out"
    argv = ["forecast", "--replicates", "4", "--workers", "2", "--out", str(out),
            "--set", "run.persons_per_agent=10", "--set", "run.years=2"]
    assert main(argv) == 130
    assert left[-1] == (KeyboardInterrupt, True)  # the drivers' pool, ended by the interrupt
    assert list(tmp_path.iterdir()) == []
