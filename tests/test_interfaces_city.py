"""``skills-sim init-city`` and running from a city folder on the command line."""

from __future__ import annotations

import json

import pandas as pd

from tests.test_interfaces_cli import SMALL, cli


def test_init_city_round_trip_and_refusals(tmp_path):
    city = tmp_path / "city"
    res = cli("init-city", city, "--seed", 3, *SMALL)
    assert res.returncode == 0, res.stderr
    written = {p.name: p.stat().st_mtime_ns for p in city.iterdir()}
    assert set(written) == {"districts.csv", "cells.csv", "parks.csv", "schools.csv",
                            "enterprises.csv", "city.toml"}

    again = cli("init-city", city, *SMALL)
    assert again.returncode == 2
    assert str(city) in again.stderr and "already holds" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in city.iterdir()} == written

    drawn, loaded = tmp_path / "drawn", tmp_path / "loaded"
    assert cli("run", "--seed", 3, "--out", drawn, *SMALL).returncode == 0
    res = cli("run", city / "city.toml", "--seed", 3, "--out", loaded, *SMALL)
    assert res.returncode == 0, res.stderr
    a, b = (pd.read_parquet(d / "annual.parquet").drop(columns="scenario") for d in (drawn, loaded))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    manifest = json.loads((loaded / "manifest.json").read_text())
    assert manifest["city_data"] == {"folder": str(city.resolve()), "filled_by_generator": []}

    schools = pd.read_csv(city / "schools.csv", dtype=str)
    schools.loc[4, "kind"] = "university"
    schools.to_csv(city / "schools.csv", index=False)
    out = tmp_path / "bad"
    res = cli("run", city / "city.toml", "--out", out, *SMALL)
    assert res.returncode == 2
    assert "schools.csv: row 5, column kind = 'university'" in res.stderr
    assert "'secondary', 'technician' or 'higher'" in res.stderr
    assert not out.exists()
    res = cli("forecast", city / "city.toml", "--replicates", 1, "--out", out, *SMALL)
    assert res.returncode == 2 and "row 5, column kind" in res.stderr and not out.exists()
