"""A city folder: the city's own districts, schools and enterprises, read and checked.

``[city] data = "DIR"`` names a folder of CSV files (docs/CITY_DATA.md describes every column):

    districts.csv     one row per district: name, kind (urban core | county), population ...
    schools.csv       one row per school x major group, with its seats (long format)
    enterprises.csv   one row per enterprise, or per district x sector count of small firms
    cells.csv         optional: district and population of every grid cell
    parks.csv         optional: industrial parks (name, district, cell)
    sector_map.csv    optional: the city's own industry codes -> sectors of the "6+3+X" list

Every row is validated by its pydantic row model (:mod:`sim.model.city_rows`); a bad row raises :class:`ParamError` naming the
file, the row, the column, the value and what is allowed (exit status 2 on the command line).
An optional column that is absent or blank is filled later by the synthetic generator's own
rule (:mod:`sim.model.city_from_data`), and the manifest says which (``CityData.filled``).
Nothing here draws a random number.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.model.city_rows import (SCHOOL_KINDS, CellRow, DistrictRow, EnterpriseRow, ParkRow, Row,
                                 SchoolRow, SectorMapRow)
from sim.params import MISSING, ParamError, Params


@dataclass
class CityData:
    """A city folder's tables, checked, with names turned into indices.

    ``districts`` is in model order (the urban core first, as district 0); ``schools`` has one
    row per school and ``majors`` one per school x group; ``enterprises`` one per firm (count
    rows expanded). Optional values missing in the files are NaN (or -1 for an index)."""

    folder: Path
    districts: pd.DataFrame
    cells: pd.DataFrame | None
    parks: pd.DataFrame | None
    schools: pd.DataFrame
    majors: pd.DataFrame
    enterprises: pd.DataFrame
    filled: list[str] = field(default_factory=list)

    @property
    def district_names(self) -> list[str]:
        return list(self.districts["district"])

    @property
    def cohorts(self) -> dict[int, float]:
        """Junior-high graduates of the city (persons) in each year every district gives
        (``junior_high_graduates_YYYY``): used as they are, instead of the trend and its noise."""
        out = {}
        for year in sorted({y for v in self.districts["yearly"] for y in v}):
            values = [v.get(year) for v in self.districts["yearly"]]
            if all(v is not None for v in values):
                out[year] = float(sum(values))
        return out

    def district_cohorts(self, year: int) -> np.ndarray | None:
        """Junior-high graduates by district (persons, model order) in ``year``: the year's
        column if every district gives it, else the plan year's, else None."""
        yearly = [v.get(year) for v in self.districts["yearly"]]
        if all(v is not None for v in yearly):
            return np.array(yearly, dtype=float)
        given = self.districts["junior_high_graduates"]
        return given.to_numpy(dtype=float) if given.notna().all() else None

    @property
    def junior_high_graduates(self) -> float | None:
        """The city's junior-high graduates (persons, plan year) when every district gives
        them; they replace ``[demography] junior_high_graduates``."""
        given = self.districts["junior_high_graduates"]
        return float(given.sum()) if given.notna().all() else None


def split_whole(total: float, shares: np.ndarray) -> np.ndarray | None:
    """A whole ``total`` split by ``shares`` into whole numbers that add up to it exactly
    (largest remainders); None when ``total`` is not whole."""
    if total != round(total):
        return None
    raw = total * shares / shares.sum()
    out = np.floor(raw)
    extra = int(round(total - out.sum()))
    out[np.argsort(-(raw - out), kind="stable")[:extra]] += 1
    return out


def load_city_data(p: Params) -> CityData:
    """The folder ``p.city.data``, read and validated against ``p`` (cached per process)."""
    folder = Path(p.city.data)
    if not folder.is_dir():
        raise ParamError("parameter file", "city.data", p.city.data,
                         "no such folder (expected a folder with districts.csv, schools.csv and "
                         "enterprises.csv, relative to the parameter file)")
    stamps = tuple((f.name, f.stat().st_mtime_ns) for f in sorted(folder.glob("*.csv")))
    chains = tuple(s.chains for s in p.sectors.values())
    return _load(str(folder), stamps, tuple(p.sectors), chains, p.city.width_cells,
                 p.city.height_cells)


@lru_cache(maxsize=8)
def _load(folder: str, _stamps, sectors: tuple[str, ...], chains: tuple[int, ...], width: int,
          height: int) -> CityData:
    root = Path(folder)
    data = CityData(root, *([None] * 6))
    data.districts = _districts(root / "districts.csv", width, height, data.filled)
    names = data.district_names
    data.cells = _cells(root / "cells.csv", names, width, height)
    if data.cells is None and data.districts["x"].isna().any():
        row = int(np.flatnonzero(data.districts["x"].isna())[0])
        raise ParamError(str(root / "districts.csv"), f"district {names[row]}, column x", MISSING,
                         "a centre (x, y) is required for every district when there is no cells.csv")
    data.parks = _parks(root / "parks.csv", names, width, height)
    if data.cells is None:
        data.filled.append("cells.csv absent; residents per cell drawn as one Gaussian per district "
                           "around its centre (sigma_cells) holding its population share, plus "
                           "[city] rural_share spread evenly")
    if data.parks is None:
        data.filled.append("parks.csv absent; parks placed as the synthetic city places them "
                           "([city] n_parks_core, n_parks_county, park_offset_cells)")
    data.schools, data.majors = _schools(root / "schools.csv", names, sectors, width, height,
                                         data.filled)
    sector_map = _sector_map(root / "sector_map.csv", sectors)
    data.enterprises = _enterprises(root / "enterprises.csv", names, sectors, chains, sector_map,
                                    data.parks, width, height, data.filled)
    return data


# -- reading rows ----------------------------------------------------------------------------


def read_rows(path: Path, model: type[Row], required: bool = True) -> list[tuple[int, Row]] | None:
    """(row number, validated row) for every data row of ``path``; None if an optional file
    is absent. Row numbers count data rows from 1 (the header is not a row)."""
    if not path.exists():
        if required:
            raise ParamError(str(path), "<file>", MISSING, "file not found (required in a city folder)")
        return None
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ParamError(str(path), "<file>", MISSING,
                         "not UTF-8 text: save the file as CSV UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ParamError(str(path), "<file>", MISSING, f"not a readable CSV file: {exc}") from None
    yearly = _yearly_columns(list(table.columns), model.YEARLY)
    _check_header(path, [c for c in table.columns if c not in yearly], model)
    rows = []
    for i, record in enumerate(table.to_dict("records"), start=1):
        values = {k: (v.strip() or None) for k, v in record.items()}
        values = {k: v for k, v in values.items() if v is not None}
        if yearly:
            values["yearly"] = {yearly[c]: values.pop(c) for c in list(values) if c in yearly}
        try:
            rows.append((i, model(**values)))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = err["loc"] or ("?",)
            column = f"{model.YEARLY}_{loc[1]}" if loc[0] == "yearly" else str(loc[0])
            value = values["yearly"].get(loc[1]) if loc[0] == "yearly" else values.get(column)
            raise ParamError(str(path), f"row {i}, column {column}",
                             MISSING if value is None else value, _allowed(err)) from None
    if not rows:
        raise ParamError(str(path), "<file>", MISSING, "has a header but no rows")
    return rows


def _allowed(err: dict) -> str:
    if err["type"] == "missing":
        return "a value is required"
    return err["msg"].replace("Input should be", "allowed:")


def _yearly_columns(columns: list[str], prefix: str | None) -> dict[str, int]:
    """Columns ``PREFIX_YYYY`` -> year."""
    if prefix is None:
        return {}
    return {c: int(c[-4:]) for c in columns if re.fullmatch(rf"{prefix}_\d{{4}}", c)}


def _check_header(path: Path, columns: list[str], model: type[Row]) -> None:
    known = [name for name in model.model_fields if name != "yearly"]
    for c in columns:
        if c not in known:
            near = difflib.get_close_matches(c, known, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise ParamError(str(path), f"column {c}", MISSING,
                             f"unknown column{hint} (allowed: {', '.join(known)})")
    for name, f in model.model_fields.items():
        if f.is_required() and name not in columns:
            raise ParamError(str(path), f"column {name}", MISSING, "required column is missing")


def bad(path: Path, row: int, column: str, value, allowed: str) -> ParamError:
    return ParamError(str(path), f"row {row}, column {column}", value, allowed)


def _in_grid(path: Path, i: int, x, y, width: int, height: int) -> None:
    if (x is None) != (y is None):
        column = "y" if y is None else "x"
        raise bad(path, i, column, MISSING, "give both x and y (a cell) or neither")
    for column, v, n in (("x", x, width), ("y", y, height)):
        if v is not None and not 0 <= v <= n - 1:
            raise bad(path, i, column, v, f"a grid coordinate from 0 to {n - 1}")


def _district(path: Path, i: int, name: str, names: list[str]) -> int:
    if name not in names:
        raise bad(path, i, "district", name,
                  f"one of the districts in districts.csv: {', '.join(names)}")
    return names.index(name)


def _note_filled(filled: list[str], file: str, column: str, missing: int, total: int, how: str,
                 unit: str = "rows") -> None:
    if missing:
        filled.append(f"{file}: {column} missing for {missing} of {total} {unit}; {how}")


# -- the files -------------------------------------------------------------------------------


def _districts(path: Path, width: int, height: int, filled: list[str]) -> pd.DataFrame:
    rows = read_rows(path, DistrictRow)
    seen: set[str] = set()
    for i, r in rows:
        if r.district in seen:
            raise bad(path, i, "district", r.district, "each district appears once")
        seen.add(r.district)
        _in_grid(path, i, r.x, r.y, width, height)
    cores = [i for i, r in rows if r.kind == "urban core"]
    if len(cores) != 1:
        raise ParamError(str(path), "column kind", [r.kind for _, r in rows],
                         "exactly one row must have kind 'urban core'")
    # The urban core is district 0 (higher colleges of a drawn city stand there).
    ordered = [r for i, r in rows if i in cores] + [r for i, r in rows if i not in cores]
    df = pd.DataFrame([r.model_dump() for r in ordered]).astype(
        {c: float for c in ("population", "junior_high_graduates", "x", "y", "sigma_cells")})
    _note_filled(filled, "districts.csv", "junior_high_graduates",
                 int(df["junior_high_graduates"].isna().sum()), len(df),
                 "the city's cohort is [demography] junior_high_graduates (a sum replaces it "
                 "only when every district gives one)")
    for year in sorted({y for v in df["yearly"] for y in v}):
        given = sum(year in v for v in df["yearly"])
        if given < len(df):
            filled.append(f"districts.csv: junior_high_graduates_{year} given for {given} of "
                          f"{len(df)} districts; the city's {year} cohort follows "
                          "[demography] cohort_trend_per_year instead")
    _note_filled(filled, "districts.csv", "sigma_cells", int(df["sigma_cells"].isna().sum()), len(df),
                 "the density spread of [city] core_sigma_cells / county_sigma_cells is used")
    return df


def _cells(path: Path, names: list[str], width: int, height: int) -> pd.DataFrame | None:
    rows = read_rows(path, CellRow, required=False)
    if rows is None:
        return None
    seen = np.zeros((width, height), dtype=bool)
    out = []
    for i, r in rows:
        _in_grid(path, i, r.x, r.y, width, height)
        if seen[r.x, r.y]:
            raise bad(path, i, "x", r.x, f"each cell appears once (cell {r.x},{r.y} is repeated)")
        seen[r.x, r.y] = True
        out.append((r.x, r.y, _district(path, i, r.district, names), r.population))
    if not seen.all():
        x, y = np.argwhere(~seen)[0]
        raise ParamError(str(path), "<file>", MISSING,
                         f"must list every cell of the {width} x {height} grid; cell {x},{y} is missing")
    return pd.DataFrame(out, columns=["x", "y", "district", "population"])


def _parks(path: Path, names: list[str], width: int, height: int) -> pd.DataFrame | None:
    rows = read_rows(path, ParkRow, required=False)
    if rows is None:
        return None
    out, seen = [], set()
    for i, r in rows:
        if r.park in seen:
            raise bad(path, i, "park", r.park, "each park appears once")
        seen.add(r.park)
        _in_grid(path, i, r.x, r.y, width, height)
        out.append((r.park, _district(path, i, r.district, names), r.x, r.y))
    return pd.DataFrame(out, columns=["park", "district", "x", "y"])


def _sector(path: Path, i: int, column: str, value: str, sectors: tuple[str, ...]) -> int:
    if value not in sectors:
        raise bad(path, i, column, value, f"one of the sectors: {', '.join(sectors)}")
    return sectors.index(value)


def _sector_map(path: Path, sectors: tuple[str, ...]) -> dict[str, int]:
    rows = read_rows(path, SectorMapRow, required=False) or []
    out: dict[str, int] = {}
    for i, r in rows:
        if r.code in out:
            raise bad(path, i, "code", r.code, "each code appears once")
        out[r.code] = _sector(path, i, "sector", r.sector, sectors)
    return out


SCHOOL_COLUMNS = ("kind", "district", "four_star", "x", "y", "reputation", "capacity")


def agents(persons: Decimal | None, ppa: int) -> float:
    """Persons in agents, divided exactly and rounded once (so a written value comes back as
    the very float it was written from: see :mod:`sim.model.city_export`); NaN for None."""
    return float("nan") if persons is None else float(Fraction(persons) / ppa)


def _schools(path: Path, names: list[str], sectors: tuple[str, ...], width: int, height: int,
             filled: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per school (its school-level columns must agree on all its rows) and one per
    school x major group."""
    rows = read_rows(path, SchoolRow)
    schools: dict[str, dict] = {}
    majors, seen = [], set()
    for i, r in rows:
        _in_grid(path, i, r.x, r.y, width, height)
        group = _sector(path, i, "major_group", r.major_group, sectors)
        if (r.school, group) in seen:
            raise bad(path, i, "major_group", r.major_group,
                      f"each major group once per school ({r.school})")
        seen.add((r.school, group))
        record = {c: getattr(r, c) for c in SCHOOL_COLUMNS}
        record["district"] = _district(path, i, r.district, names)
        first = schools.setdefault(r.school, {**record, "row": i})
        for c in SCHOOL_COLUMNS:
            if record[c] is not None and first[c] is not None and record[c] != first[c]:
                raise bad(path, i, c, getattr(r, c),
                          f"the same value on every row of school {r.school} "
                          f"(row {first['row']} has {first[c]!r})")
            if first[c] is None:
                first[c] = record[c]
        majors.append((list(schools).index(r.school), group, r.seats))
    table = pd.DataFrame([{"school": k, **v} for k, v in schools.items()]).drop(columns="row")
    table["kind"] = table["kind"].map(SCHOOL_KINDS.index).astype(np.int8)
    table = table.astype({"four_star": float, "x": float, "y": float, "reputation": float})
    n = len(table)
    _note_filled(filled, "schools.csv", "four_star", int(table["four_star"].isna().sum()), n,
                 "drawn with [schools] four_star_share (never for higher colleges)", "schools")
    _note_filled(filled, "schools.csv", "x/y", int(table["x"].isna().sum()), n,
                 "a cell drawn in the school's district by population", "schools")
    _note_filled(filled, "schools.csv", "reputation", int(table["reputation"].isna().sum()), n,
                 "drawn normal(0, 1) plus the four-star bonus", "schools")
    _note_filled(filled, "schools.csv", "capacity", int(table["capacity"].isna().sum()), n,
                 "the sum of the school's seats", "schools")
    return table, pd.DataFrame(majors, columns=["school", "group", "seats"])


def _enterprises(path: Path, names: list[str], sectors: tuple[str, ...], chains: tuple[int, ...],
                 sector_map: dict[str, int],
                 parks: pd.DataFrame | None, width: int, height: int,
                 filled: list[str]) -> pd.DataFrame:
    """One row per firm: a row with ``count`` k stands for k firms of ``employees`` each."""
    rows = read_rows(path, EnterpriseRow)
    park_names = [] if parks is None else list(parks["park"])
    out = []
    for i, r in rows:
        sector = (sector_map[r.sector] if r.sector in sector_map
                  else _sector(path, i, "sector", r.sector, sectors))
        district = _district(path, i, r.district, names)
        _in_grid(path, i, r.x, r.y, width, height)
        if r.chain is not None and r.chain >= chains[sector]:
            raise bad(path, i, "chain", r.chain, f"-1 (outside the key chains) or a chain of sector "
                      f"{sectors[sector]} from 0 to {chains[sector] - 1}")
        park = -1
        if r.park is not None:
            if r.park not in park_names:
                raise bad(path, i, "park", r.park, "a park named in parks.csv" if park_names
                          else "a park needs parks.csv listing it")
            park = park_names.index(r.park)
        if r.count > 1 and (r.x is not None or r.enterprise is not None or r.leading):
            raise bad(path, i, "count", r.count,
                      "1 for a row with a name, a cell or the leading flag "
                      "(a count row is many small firms)")
        record = {"enterprise": r.enterprise or f"row {i}", "sector": sector, "employees": r.employees,
                  "district": district, "x": r.x, "y": r.y, "park": park, "leading": r.leading,
                  "chain": r.chain, "wage_index": r.wage_index, "propensity": r.propensity}
        out.extend([record] * r.count)
    table = pd.DataFrame(out).astype({"x": float, "y": float, "leading": float, "chain": float,
                                      "wage_index": float, "propensity": float})
    n = len(table)
    how = {"x/y": "a cell drawn near its park, or in a park / by population in its district "
                  "([city] enterprise_park_share)",
           "leading": "the largest [enterprises] leading_firm_share of firms",
           "chain": "drawn among the sector's key industry chains",
           "wage_index": "drawn as the synthetic city draws it (sector index, size premium, noise)",
           "propensity": "drawn from [partnerships] propensity_alpha/_beta"}
    for column, text in how.items():
        name = "x" if column == "x/y" else column
        _note_filled(filled, "enterprises.csv", column, int(table[name].isna().sum()), n, text, "firms")
    return table
