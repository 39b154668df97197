"""``skills-sim init-city DIR``: write a city folder (the shipped synthetic city by default).

The folder holds districts.csv, cells.csv, parks.csv, schools.csv and enterprises.csv in the
format ``[city] data`` reads (docs/CITY_DATA.md), and ``city.toml``, a parameter file based on
the one the city was drawn from with ``[city] data = "."``: ``skills-sim run DIR/city.toml
--seed S`` then reproduces ``skills-sim run PARAMS --seed S`` exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.experiments.folders import write_csv, write_text
from sim.params import ParamError, load_params, parse_set_options

FILES = ("districts", "cells", "parks", "schools", "enterprises")


def command(args) -> int:
    from sim.model.city_export import fixed_tables

    params = load_params(args.params, parse_set_options(args.set))
    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        raise ParamError("command line", "DIR", str(out), "exists and is not a folder")
    taken = [f"{name}.csv" for name in FILES if (out / f"{name}.csv").exists()]
    if (out / "city.toml").exists():
        taken.append("city.toml")
    if taken:
        raise ParamError("command line", "DIR", str(out),
                         f"already holds {', '.join(taken)}; choose a new folder (nothing was written)")
    tables = fixed_tables(params, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        write_csv(tables[name], out / f"{name}.csv")
    write_text(city_toml(Path(args.params), out, args.seed, args.set or []), out / "city.toml")
    print(f"wrote {out}/: {', '.join(f'{n}.csv' for n in FILES)}, city.toml "
          f"({len(tables['districts'])} districts, {tables['schools']['school'].nunique()} schools, "
          f"{len(tables['enterprises'])} enterprises)")
    return 0


def city_toml(params: Path, out: Path, seed: int, overrides: list[str]) -> str:
    base = Path(os.path.relpath(params.resolve(), out.resolve())).as_posix()
    if base.startswith("../../"):  # far apart: a relative path would break when DIR moves
        base = params.resolve().as_posix()
    lines = [f"# The city folder written by skills-sim init-city from {params.name} (seed {seed}).",
             f'base = "{base}"']
    if overrides:
        lines.append(f"# with --set {' '.join(overrides)} (give the same options when running)")
    return "\n".join(lines + ["", "[city]", 'data = "."   # this folder', ""])
