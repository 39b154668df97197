"""What a calibration fits to and with: the observed statistics (``OBSERVED.csv``: indicator,
year, value, tolerance), the coefficients to fit (``--fit KEY=LOW:HIGH``), and reading the
simulated value of each observed row."""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.ranges import Factor
from sim.params import MISSING, ParamError, Params, lookup, parse_value, read_input_text


REQUIRED_COLUMNS = ("indicator", "year", "value", "tolerance")


@dataclass(frozen=True)
class Observed:
    """One row of the observed CSV; ``year`` None = the mean over all simulated years."""

    indicator: str
    year: int | None
    value: float
    tolerance: float
    line: int = 0

    @property
    def label(self) -> str:
        return f"{self.indicator} ({'all years' if self.year is None else self.year})"

    def definition(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "year": self.year, "value": self.value,
                "tolerance": self.tolerance}


def known_indicators() -> list[str]:
    """Every name a run's observables can carry (targets, monthly indicators, survey shares)."""
    from sim.model.indicators import (COMPANIONS, MONTHLY_INDICATORS, OTHER_FLOWS, PERSON_FLOWS,
                                      TARGETS)
    from sim.model.observables import derived_shares

    shares = derived_shares({k: 1.0 for k in PERSON_FLOWS + OTHER_FLOWS})
    return sorted({t.id for t in TARGETS.values()} | set(COMPANIONS) | set(MONTHLY_INDICATORS)
                  | set(shares))


def read_observed(path: str | Path, years: range) -> list[Observed]:
    """Parse and check the observed CSV; any problem is a :class:`ParamError` naming the line."""
    path = Path(path)
    source = str(path)
    table = _csv_records(path, source)
    if not table:
        raise ParamError(source, "<file>", MISSING,
                         f"empty file; expected a header {', '.join(REQUIRED_COLUMNS)}")
    header = [h.strip().lower() for h in table[0][1]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ParamError(source, "columns", table[0][1],
                         f"missing column(s) {', '.join(missing)}; required: "
                         f"{', '.join(REQUIRED_COLUMNS)} (other columns, e.g. source, are ignored)")
    if len(set(header)) != len(header):
        raise ParamError(source, "columns", table[0][1], "a column name repeats")
    col = {c: header.index(c) for c in REQUIRED_COLUMNS}
    names = known_indicators()
    rows: list[Observed] = []
    seen: dict[tuple[str, int | None], int] = {}
    for line, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            raise ParamError(source, f"line {line}", ",".join(cells),
                             f"malformed CSV: {len(cells)} fields, the header has {len(header)}")
        get = {c: cells[i].strip() for c, i in col.items()}
        name = get["indicator"]
        if name not in names:
            near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'? " if near else ""
            raise ParamError(source, f"line {line}: indicator", name,
                             f"unknown indicator; {hint}(known: targets T1-T9, the monthly "
                             f"indicators, share.{{track}}.* - see sim/model/observables.py)")
        year = _observed_year(get["year"], years, source, line)
        value = _number(get["value"], source, line, "value")
        tol = _number(get["tolerance"], source, line, "tolerance")
        if tol <= 0:
            raise ParamError(source, f"line {line}: tolerance", tol,
                             "must be positive (the distance counted as one unit of misfit)")
        if (name, year) in seen:
            raise ParamError(source, f"line {line}: indicator", name,
                             f"the same indicator and year is already on line "
                             f"{seen[(name, year)]}; give each once")
        seen[(name, year)] = line
        rows.append(Observed(name, year, value, tol, line))
    if not rows:
        raise ParamError(source, "<file>", MISSING, "no observed rows below the header")
    return rows


def _csv_records(path: Path, source: str) -> list[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for every CSV record of ``path``."""
    try:
        text = read_input_text(path, encoding="utf-8-sig")
    except ParamError as exc:
        raise ParamError(source, "<file>", MISSING, exc.allowed) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: list[tuple[int, list[str]]] = []
    try:
        end = 0
        for cells in reader:
            table.append((end + 1, cells))
            end = reader.line_num
    except csv.Error as exc:
        raise ParamError(source, "<file>", MISSING,
                         f"malformed CSV at line {reader.line_num}: {exc}") from None
    return table


def _observed_year(text: str, years: range, source: str, line: int) -> int | None:
    """The row's year (None: empty, the mean over all simulated years), checked."""
    if not text:
        return None
    try:
        number = float(text)  # "2023.0" too, as spreadsheets and pandas write it
    except ValueError:
        number = math.nan
    if not number.is_integer():
        raise ParamError(source, f"line {line}: year", text,
                         "expected a whole year, or empty for the mean over all "
                         "simulated years")
    year = int(number)
    if year not in years:
        raise ParamError(source, f"line {line}: year", year,
                         f"the runs simulate {years.start}-{years.stop - 1} "
                         f"(run.start_year, run.years); leave it empty for the mean "
                         f"over all simulated years")
    return year


def _number(text: str, source: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParamError(source, f"line {line}: {column}", text, "expected a number") from None
    if not math.isfinite(value):
        raise ParamError(source, f"line {line}: {column}", text, "expected a finite number")
    return value


def parse_fit(items: list[str] | None, params: Params, fixed: dict[str, Any]) -> list[Factor]:
    """``["a.b=1:3", ...]`` checked against the parameters: a numeric key, LOW < HIGH, both
    allowed by the schema (so a bad range fails here, not in the middle of the study)."""
    if not items:
        raise ParamError("--fit", "<none>", MISSING,
                         "give at least one --fit KEY=LOW:HIGH (a numeric parameter and its range)")
    raw = params.to_dict()
    fits: list[Factor] = []
    for item in items:
        key, sep, rng = item.partition("=")
        key = key.strip().replace("__", ".")
        low_text, sep2, high_text = rng.partition(":")
        if not sep or not sep2 or not key:
            raise ParamError("--fit", item, MISSING, "expected KEY=LOW:HIGH, "
                             "e.g. labour_market.further_study_secondary=1:3")
        low, high = parse_value(low_text.strip()), parse_value(high_text.strip())
        for bound in (low, high):
            if (isinstance(bound, bool) or not isinstance(bound, (int, float))
                    or not math.isfinite(bound)):
                raise ParamError("--fit", key, rng, "LOW and HIGH must be finite numbers")
        if key.startswith("run."):
            raise ParamError("--fit", key, rng, "run settings (scale, horizon, start year) "
                             "are not coefficients; set them with --set")
        current = lookup(raw, key)
        if current is MISSING:
            params.override({key: low}, source="--fit")  # raises the unknown-key message
            raise ParamError("--fit", key, rng, "not a single parameter")  # e.g. a whole table
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ParamError("--fit", key, current,
                             "not a numeric parameter; only numbers can be fitted")
        kind = "int" if isinstance(current, int) else "float"
        if kind == "int":
            if not all(float(b).is_integer() for b in (low, high)):
                raise ParamError("--fit", key, rng, "this parameter takes whole numbers")
            low, high = int(low), int(high)
        else:
            low, high = float(low), float(high)
        if low >= high:
            raise ParamError("--fit", key, rng, "LOW must be less than HIGH")
        if any(f.key == key for f in fits):
            raise ParamError("--fit", key, rng, "this key is given twice; keep one --fit")
        if key in {k.replace("__", ".") for k in fixed}:
            raise ParamError("--fit", key, rng, "this key is also fixed with --set; keep one")
        for bound in (low, high):  # out of the schema's range -> the schema's own message
            params.override({key: bound}, source="--fit")
        fits.append(Factor(key=key, kind=kind, low=low, high=high))
    return fits


def row_values(observables: pd.DataFrame, rows: list[Observed]) -> np.ndarray:
    """One run's value of each observed row: that year's, or the mean over the simulated years."""
    grouped = {name: df for name, df in observables.groupby("indicator")}
    out = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        df = grouped.get(r.indicator)
        if df is None or df.empty:
            continue
        if r.year is None:
            out[i] = float(df["value"].mean())
        else:
            hit = df.loc[df["year"] == r.year, "value"]
            if len(hit):
                out[i] = float(hit.iloc[0])
    return out


def fmt_number(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"
