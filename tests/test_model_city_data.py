"""A city folder: round trip of the drawn city, every kind of bad file or row, filled columns."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import SkillsModel, load_params
from sim.model.city_data import load_city_data
from sim.model.city_export import fixed_tables
from sim.params import ParamError

COARSE = {"run.persons_per_agent": 20, "run.years": 2}
SEED = 5


def write_folder(folder: Path, params, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in fixed_tables(params, seed).items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("city"), load_params(overrides=COARSE), SEED)


def with_folder(folder: Path, **more):
    return load_params(overrides={**COARSE, "city.data": str(folder), **more})


def test_round_trip_gives_the_drawn_citys_tables(exported):
    drawn = SkillsModel(load_params(overrides=COARSE), seed=SEED).run()
    loaded = SkillsModel(with_folder(exported), seed=SEED).run()
    assert loaded.city_data is not None and loaded.city_data.filled == []
    assert np.array_equal(drawn.schools.seats, loaded.schools.seats)
    pd.testing.assert_frame_equal(drawn.annual(), loaded.annual(), check_exact=True)
    pd.testing.assert_frame_equal(drawn.monthly(), loaded.monthly(), check_exact=True)
    pd.testing.assert_frame_equal(drawn.ledger(), loaded.ledger(), check_exact=True)


def edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = change(table)
    table.to_csv(path, index=False)


def set_cell(row: int, column: str, value: str):
    def change(t):
        t.loc[row, column] = value
        return t
    return change


def drop_column(column: str):
    return lambda t: t.drop(columns=column)


def rename_column(old: str, new: str):
    return lambda t: t.rename(columns={old: new})


# (file, change, fragments the message must hold: file, row, column, value, what is allowed)
BAD = {
    "district kind": ("districts", set_cell(1, "kind", "town"),
                      ["districts.csv", "row 2, column kind", "'town'", "'urban core' or 'county'"]),
    "district twice": ("districts", set_cell(2, "district", "county 1"),
                       ["districts.csv", "row 3, column district", "'county 1'", "once"]),
    "two urban cores": ("districts", set_cell(3, "kind", "urban core"),
                        ["districts.csv", "column kind", "exactly one row"]),
    "negative population": ("districts", set_cell(0, "population", "-3"),
                            ["districts.csv", "row 1, column population", "'-3'", "greater than 0"]),
    "centre off the grid": ("districts", set_cell(0, "x", "80"),
                            ["districts.csv", "row 1, column x", "80", "from 0 to"]),
    "unknown column": ("schools", rename_column("seats", "seat"),
                       ["schools.csv", "column seat", "did you mean 'seats'"]),
    "required column missing": ("schools", drop_column("major_group"),
                                ["schools.csv", "column major_group", "required column"]),
    "unknown district": ("schools", set_cell(4, "district", "Atlantis"),
                         ["schools.csv", "row 5, column district", "'Atlantis'", "urban core"]),
    "unknown major group": ("schools", set_cell(0, "major_group", "mining"),
                            ["schools.csv", "row 1, column major_group", "'mining'", "equipment"]),
    "negative seats": ("schools", set_cell(2, "seats", "-5"),
                       ["schools.csv", "row 3, column seats", "'-5'", "greater than or equal to 0"]),
    "cell off the grid": ("schools", set_cell(0, "y", "50"),
                          ["schools.csv", "row 1, column y", "50", "from 0 to 49"]),
    "x without y": ("schools", set_cell(1, "y", ""),
                    ["schools.csv", "row 2, column y", "both x and y"]),
    "school kind disagrees": ("schools", set_cell(1, "kind", "higher"),
                              ["schools.csv", "row 2, column kind", "'higher'", "same value on every row"]),
    "major group twice": ("schools", lambda t: pd.concat([t, t.iloc[[0]]], ignore_index=True),
                          ["schools.csv", "column major_group", "once per school"]),
    "employees not a number": ("enterprises", set_cell(6, "employees", "many"),
                               ["enterprises.csv", "row 7, column employees", "'many'", "number"]),
    "unknown sector": ("enterprises", set_cell(0, "sector", "mining"),
                       ["enterprises.csv", "row 1, column sector", "'mining'", "one of the sectors"]),
    "chain out of range": ("enterprises", set_cell(0, "chain", "9"),
                           ["enterprises.csv", "row 1, column chain", "9", "-1"]),
    "bad leading flag": ("enterprises", set_cell(3, "leading", "maybe"),
                         ["enterprises.csv", "row 4, column leading", "'maybe'", "boolean"]),
    "park not listed": ("enterprises", lambda t: t.assign(park="").pipe(set_cell(2, "park", "park 99")),
                        ["enterprises.csv", "row 3, column park", "'park 99'", "parks.csv"]),
    "count with a cell": ("enterprises", lambda t: t.assign(count="1").pipe(set_cell(0, "count", "5")),
                          ["enterprises.csv", "row 1, column count", "5", "count row"]),
    "cell missing": ("cells", lambda t: t.iloc[1:],
                     ["cells.csv", "every cell", "cell 0,0 is missing"]),
    "cell twice": ("cells", set_cell(1, "y", "0"),
                   ["cells.csv", "row 2, column x", "repeated"]),
    "park district": ("parks", set_cell(0, "district", "nowhere"),
                      ["parks.csv", "row 1, column district", "'nowhere'"]),
    "no rows": ("schools", lambda t: t.iloc[:0], ["schools.csv", "no rows"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_or_row_is_named(case, exported, tmp_path):
    name, change, fragments = BAD[case]
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    edit(folder, name, change)
    with pytest.raises(ParamError) as info:
        load_city_data(with_folder(folder))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_encodings_a_spreadsheet_writes(exported, tmp_path):
    """A byte-order mark (spreadsheet "CSV UTF-8") is read; GBK text is refused by name."""
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    path = folder / "districts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("county 1", "县一"), encoding="utf-8-sig")
    edit(folder, "schools", lambda t: t.replace({"district": {"county 1": "县一"}}))
    edit(folder, "cells", lambda t: t.replace({"district": {"county 1": "县一"}}))
    edit(folder, "parks", lambda t: t.replace({"district": {"county 1": "县一"}}))
    edit(folder, "enterprises", lambda t: t.replace({"district": {"county 1": "县一"}}))
    assert "县一" in load_city_data(with_folder(folder)).district_names
    path.write_bytes(path.read_text(encoding="utf-8-sig").encode("gbk"))
    with pytest.raises(ParamError, match="districts.csv: not UTF-8 text"):
        load_city_data(with_folder(folder))


def test_an_infinite_value_is_refused(exported, tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    edit(folder, "enterprises", set_cell(0, "employees", "inf"))
    with pytest.raises(ParamError, match="row 1, column employees = 'inf'"):
        load_city_data(with_folder(folder))


def test_a_district_needs_a_centre_without_cells_csv(exported, tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    edit(folder, "districts", lambda t: t.assign(x=t["x"].where(t.index != 2, ""),
                                                 y=t["y"].where(t.index != 2, "")))
    city = SkillsModel(with_folder(folder), seed=1).city  # the centre comes from cells.csv
    x, y = np.rint(city.centres[2]).astype(int)
    assert city.district[x * city.grid.dimensions[1] + y] == 2
    (folder / "cells.csv").unlink()
    with pytest.raises(ParamError, match=r"districts.csv: district county 2, column x = <missing>: "
                                         r"a centre \(x, y\) is required"):
        load_city_data(with_folder(folder))
    with pytest.raises(ParamError, match="city.data = 'nowhere': no such folder"):
        load_city_data(load_params(overrides={"city.data": "nowhere"}))


def test_a_missing_file_is_named(exported, tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    (folder / "enterprises.csv").unlink()
    with pytest.raises(ParamError, match="enterprises.csv: file not found"):
        load_city_data(with_folder(folder))


def test_missing_columns_are_filled_and_said(exported, tmp_path):
    """A bare folder: no cells or parks, schools without cells, reputation or stars,
    enterprises as per-district count rows of the city's own codes; the generator fills the
    rest and the manifest lines say what."""
    folder = tmp_path / "city"
    folder.mkdir()
    d = pd.read_csv(exported / "districts.csv")
    d.drop(columns=["sigma_cells", "junior_high_graduates"]).to_csv(folder / "districts.csv", index=False)
    s = pd.read_csv(exported / "schools.csv", dtype=str)
    s[["school", "kind", "district", "major_group", "seats"]].to_csv(folder / "schools.csv", index=False)
    e = pd.read_csv(exported / "enterprises.csv")
    counts = (e.groupby(["district", "sector"]).agg(count=("employees", "size"),
                                                    employees=("employees", "median")).reset_index())
    counts["sector"] = "C" + counts["sector"]  # the city's own industry codes
    counts.to_csv(folder / "enterprises.csv", index=False)
    sectors = load_params().sectors
    pd.DataFrame({"code": [f"C{k}" for k in sectors], "sector": list(sectors)}).to_csv(
        folder / "sector_map.csv", index=False)

    data = load_city_data(with_folder(folder))
    filled = "\n".join(data.filled)
    for column in ("schools.csv: four_star", "schools.csv: x/y", "schools.csv: reputation",
                   "enterprises.csv: x/y", "enterprises.csv: wage_index", "districts.csv: sigma_cells"):
        assert column in filled
    assert len(data.enterprises) == len(e)
    model = SkillsModel(with_folder(folder, **{"run.years": 1}), seed=1)
    assert model.enterprises.n == len(e) and model.schools.n == s["school"].nunique()
    # Filled cells lie in the row's own district.
    names = model.city.district_names
    firm_district = np.array(names, dtype=object)[model.city.district[model.enterprises.cell]]
    expected = np.repeat(counts["district"].to_numpy(), counts["count"].to_numpy())
    assert (firm_district == expected).mean() > 0.8  # park scatter may cross a border
    model.run()
    assert not model.annual().empty


def test_the_example_city_loads_and_runs():
    params = load_params(Path(__file__).parent.parent / "params" / "example_city.toml",
                         {"run.persons_per_agent": 20, "run.years": 1})
    data = load_city_data(params)
    assert len(data.districts) == 9 and data.districts["kind"].iloc[0] == "urban core"
    assert data.schools["school"].nunique() == 30
    assert "sector_map" not in " ".join(data.filled)  # the codes all map
    filled = " ".join(data.filled)
    assert "cells.csv absent" in filled and "schools.csv: reputation" in filled
    model = SkillsModel(params, seed=3)
    assert model.p.demography.junior_high_graduates == data.districts["junior_high_graduates"].sum()
    model.run()
    assert set(model.districts()["district"]) == set(data.district_names)


def test_junior_high_graduates_by_year(exported, tmp_path):
    """A year every district gives replaces the drawn cohort; a partial year is said and not
    used; a bad count is named by its column."""
    folder = tmp_path / "city"
    shutil.copytree(exported, folder)
    edit(folder, "districts", lambda t: t.assign(junior_high_graduates_2023="1000",
                                                 junior_high_graduates_2024=["2000"] + [""] * (len(t) - 1)))
    params = with_folder(folder)
    data = load_city_data(params)
    assert data.cohorts == {2023: 1000.0 * len(data.districts)}
    assert any("junior_high_graduates_2024 given for 1 of" in line for line in data.filled)
    model = SkillsModel(params, seed=SEED).run()
    assert model.cohorts[2023] == 1000.0 * len(data.districts)
    drawn = SkillsModel(with_folder(exported), seed=SEED).run()
    assert model.cohorts[2022] == drawn.cohorts[2022]  # other years as drawn

    edit(folder, "districts", set_cell(0, "junior_high_graduates_2023", "-1"))
    with pytest.raises(ParamError, match=r"row 1, column junior_high_graduates_2023 = '-1'"):
        load_city_data(with_folder(folder))
    edit(folder, "districts", rename_column("junior_high_graduates_2023", "junior_high_graduates_23"))
    with pytest.raises(ParamError, match="column junior_high_graduates_23 = <missing>: unknown column"):
        load_city_data(with_folder(folder))
