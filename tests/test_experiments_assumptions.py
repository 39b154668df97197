"""Forecasts over uncertain assumptions on a coarse city: every replicate draws its own values,
the same in every scenario; --fixed-assumptions holds them at the point values; the ranges widen
the bands of the targets they move; any worker count gives the same files; and a bad
``[uncertain]`` entry is refused (exit 2) naming the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.assumptions import draw_assumptions, unit_draws
from sim.experiments.ranges import parse_uncertain
from sim.params import BASELINE_PATH, load_params

COARSE = ["--set", "run.persons_per_agent=20", "--set", "run.years=2"]
R = 6
SEED = 11


def forecast(files, out: Path, workers: int = 1, *extra: str) -> Path:
    assert main(["forecast", *map(str, files), "--replicates", str(R), "--workers", str(workers),
                 "--seed", str(SEED), "--out", str(out), *COARSE, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def copy_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "copy.toml"
    path.write_text(f'base = "{BASELINE_PATH.as_posix()}"\n')
    return path


@pytest.fixture(scope="module")
def drawn(copy_file, tmp_path_factory) -> Path:
    return forecast([BASELINE_PATH, copy_file], tmp_path_factory.mktemp("a") / "w2", 2)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory) -> Path:
    return forecast([BASELINE_PATH], tmp_path_factory.mktemp("f") / "fixed", 2,
                    "--fixed-assumptions")


def test_each_replicate_draws_its_own_values_the_same_in_every_scenario(drawn):
    draws = pd.read_parquet(drawn / "assumptions.parquet")
    assert list(draws.columns) == ["scenario", "replicate", "key", "value"]
    wide = draws.pivot_table(index=["scenario", "replicate"], columns="key", values="value")
    n_keys = len(parse_uncertain(load_params(), "baseline"))
    assert wide.shape == (2 * R, n_keys)
    base, copy = wide.loc["baseline"], wide.loc["copy"]
    pd.testing.assert_frame_equal(base, copy)
    assert (base.nunique() > 1).all()           # every ranged key varies over replicates
    assert len(base.drop_duplicates()) == R     # and no two replicates share their values
    # Latin hypercube: each key has one replicate in each sixth of its unit interval.
    for key in base.columns[:5]:
        u = unit_draws(key, SEED, R)
        assert sorted(np.floor(u * R).astype(int)) == list(range(R))
    annual = pd.read_parquet(drawn / "annual.parquet")
    by = {s: g.sort_values(["replicate", "year", "target"])["value"].to_numpy()
          for s, g in annual.groupby("scenario")}
    np.testing.assert_array_equal(by["baseline"], by["copy"])


def test_a_keys_draws_do_not_depend_on_the_other_keys():
    params = load_params()
    factors = parse_uncertain(params, "baseline")
    all_keys = draw_assumptions({"s": factors}, R, SEED)
    one = draw_assumptions({"s": factors[3:4]}, R, SEED)
    mine = all_keys[all_keys["key"] == factors[3].key].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, one)


def test_fixed_assumptions_hold_the_point_values(fixed):
    draws = pd.read_parquet(fixed / "assumptions.parquet")
    assert (draws.groupby("key")["value"].nunique() == 1).all()
    raw = load_params().to_dict()
    speed = draws.loc[draws["key"] == "major_adjustment.speed", "value"].iloc[0]
    assert speed == raw["major_adjustment"]["speed"]
    assert pd.read_csv(fixed / "drivers.csv").empty
    assert "--fixed-assumptions" in (fixed / "summary.md").read_text()


def test_ranges_widen_the_bands_of_the_targets_they_move(drawn, fixed):
    def width(folder: Path) -> pd.Series:
        att = pd.read_csv(folder / "attainment.csv")
        att = att[att["scenario"] == "baseline"].set_index(["target", "year"])
        return att["q95"] - att["q05"]

    wide, narrow = width(drawn), width(fixed)
    last = wide.index.get_level_values("year").max()
    # T1 (share of entrants in 6+3 majors) moves with how fast schools adjust seats, T9 (local
    # employment) with pay outside the city and the cost of moving: both are ranged.
    for target in ("T1", "T9"):
        assert wide[(target, last)] > narrow[(target, last)], target
    assert (wide > narrow).sum() > (wide < narrow).sum()


def test_one_or_two_workers_write_identical_files(drawn, copy_file, tmp_path, monkeypatch):
    monkeypatch.setattr("sim.interfaces.plots.forecast.draw_forecast", lambda out, annual, meta, maps=(), **_: [])
    out = forecast([BASELINE_PATH, copy_file], tmp_path / "w1", 1)
    for name in ("annual.parquet", "assumptions.parquet", "attainment.csv", "drivers.csv",
                 "value_of_information.csv", "chance_vs_assumptions.csv"):
        assert (out / name).read_bytes() == (drawn / name).read_bytes(), name


def test_summary_and_figures_say_what_each_target_hinges_on(drawn):
    text = (drawn / "summary.md").read_text()
    assert "## What each target hinges on" in text and "## Value of information" in text
    assert "of futures" in text
    for target in [f"T{i}" for i in range(1, 10)]:
        assert (drawn / f"drivers_{target}.png").stat().st_size > 1000


BAD = [
    ('"major_adjustment.speed" = { low = 0.5, high = 0.1, why = "w" }',
     'uncertain."major_adjustment.speed"', "high must be above low"),
    ('"major_adjustment.speed" = { low = 0.1, high = 1.5, why = "w" }',
     "major_adjustment.speed", "less than or equal to 1"),
    ('"major_adjustment.sped" = { low = 0.1, high = 0.5, why = "w" }',
     'uncertain."major_adjustment.sped"', "did you mean 'major_adjustment.speed'"),
    ('"major_adjustment.speed" = { low = 0.1, high = 0.5, dist = "normal", why = "w" }',
     'uncertain."major_adjustment.speed".dist', "'uniform', 'loguniform' or 'triangular'"),
    ('"major_adjustment.speed" = { low = 0.1, high = 0.5 }',
     'uncertain."major_adjustment.speed".why', "required key is missing"),
    ('"major_adjustment.speed" = { low = 0.1, high = 0.5, dist = "triangular", mode = 0.7, why = "w" }',
     'uncertain."major_adjustment.speed".mode', "must lie within low..high"),
    ('"major_adjustment.speed" = { low = 0.1, high = 0.5, spread = 1, why = "w" }',
     'uncertain."major_adjustment.speed".spread', "unknown key"),
    ('"platform.enabled" = { low = 0, high = 1, why = "w" }',
     'uncertain."platform.enabled"', "only numeric coefficients"),
]


@pytest.mark.parametrize("entry, key, allowed", BAD)
@pytest.mark.parametrize("command", ["check", "forecast"])
def test_bad_uncertain_entries_exit_2_naming_file_key_and_what_is_allowed(
        tmp_path, capsys, entry, key, allowed, command):
    path = tmp_path / "bad.toml"
    path.write_text(f'base = "{BASELINE_PATH.as_posix()}"\n[uncertain]\n{entry}\n')
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out), *COARSE] if command == "forecast" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(path) in err and key in err and allowed in err, err
    assert not out.exists()
