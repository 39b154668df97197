"""``skills-sim init-city`` and running from a city folder on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.test_interfaces_cli import SMALL, cli

ROOT = Path(__file__).parent.parent


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


def test_forecast_writes_answers_by_district(tmp_path):
    out = tmp_path / "f"
    res = cli("forecast", "params/example_city.toml", "--replicates", 2, "--workers", 1,
              "--out", out, *SMALL, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    districts = pd.read_parquet(out / "districts.parquet")
    assert list(districts.columns) == ["scenario", "replicate", "seed", "year", "district",
                                       "indicator", "value"]
    assert districts["district"].nunique() == 9 and set(districts["replicate"]) == {0, 1}
    att = pd.read_csv(out / "districts_attainment.csv")
    assert set(att["target"]) == {"T1", "T9"} and att["p_met"].between(0, 1).all()
    assert (out / "map_T9.png").exists() and (out / "map_entrants.secondary.png").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("reputation" in line
               for line in manifest["city_data"]["example_city"]["filled_by_generator"])
    (out / "map_T9.png").unlink()
    assert cli("plot", out).returncode == 0 and (out / "map_T9.png").exists()
