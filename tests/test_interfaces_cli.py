"""The command line: run and check, exit statuses, and nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.params import BASELINE_PATH

SMALL = ["--set", "run.persons_per_agent=20", "--set", "run.years=1"]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_writes_tables_and_manifest(tmp_path):
    out = tmp_path / "out"
    res = cli("run", "--seed", 5, "--out", out, *SMALL)
    assert res.returncode == 0, res.stderr
    annual = pd.read_parquet(out / "annual.parquet")
    monthly = pd.read_parquet(out / "monthly.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    ledger = pd.read_csv(out / "ledger.csv")
    assert (ledger["spent_yuan"] <= ledger["allocated_yuan"] + 1e-3).all()
    assert (annual["seed"] == 5).all() and set(annual["target"]) == {f"T{i}" for i in range(1, 10)}
    assert monthly["date"].nunique() == 12
    assert manifest["seeds"] == {"seed": 5}
    assert manifest["parameters"]["run"]["persons_per_agent"] == 20
    assert "T9" in manifest["targets"] and "employed" in manifest["targets"]["T9"]["definition"]
    assert manifest["package_version"] and manifest["started"] <= manifest["finished"]


def _bad_file(tmp_path, old, new):
    text = BASELINE_PATH.read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda t: ["run", t / "missing.toml"], ["missing.toml", "file not found"]),
        (lambda t: ["run", _bad_file(t, "[city]", "[city")], ["bad.toml", "malformed TOML"]),
        (lambda t: ["run", _bad_file(t, "cell_km = 2.0", "cell_kms = 2.0")],
         ["bad.toml", "city.cell_kms", "2.0", "did you mean 'city.cell_km'"]),
        (lambda t: ["run", _bad_file(t, "n_higher = 3", "n_higher = 3.5")],
         ["bad.toml", "schools.n_higher", "3.5", "valid integer"]),
        (lambda t: ["run", _bad_file(t, "n = 1600", "n = -1600")],
         ["bad.toml", "enterprises.n", "-1600", "greater than or equal to 1"]),
        (lambda t: ["run", _bad_file(t, "preference = 0.27", "preference = 0.50")],
         ["bad.toml", "preference", "must sum to 1"]),
        (lambda t: ["run", "--set", "labour_market.outside_wage_premim=0.4"],
         ["--set", "labour_market.outside_wage_premim", "0.4",
          "did you mean 'labour_market.outside_wage_premium'"]),
        (lambda t: ["check", _bad_file(t, "years = 6 ", "years = -6 ")],
         ["bad.toml", "run.years", "-6", "greater than or equal to 1"]),
    ],
)
def test_bad_input_exits_2_names_the_problem_and_writes_nothing(tmp_path, make_args, expected):
    out = tmp_path / "out"
    args = make_args(tmp_path)
    if args[0] == "run":
        args += ["--out", out]
    res = cli(*args, cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    for fragment in expected:
        assert fragment in res.stderr, (fragment, res.stderr)
    assert not out.exists()
    assert not (tmp_path / "results").exists()


def test_check_accepts_the_baseline():
    res = cli("check", BASELINE_PATH)
    assert res.returncode == 0 and "OK" in res.stdout
