"""``skills-sim run [FILE]``: one simulation to the horizon."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.folders import OutputFolder, default_out, manifest, now_iso, write_csv, write_parquet
from sim.experiments.limits import check_seed
from sim.experiments.ranges import parse_uncertain
from sim.experiments.runner import run_one
from sim.interfaces.cli.common import bar_on_terminal, city_folders, write_district_answers
from sim.params import load_params, parse_set_options

RUN_FILES = ["annual.parquet", "monthly.parquet", "target_flows.parquet", "ledger.csv",
             "districts.parquet", "district_cells.parquet"]


def command(args) -> int:
    """Validate everything (parameters, seed, ``--out``), simulate, then write the folder as
    one transaction: a new folder beside ``--out`` moved into place when complete."""
    params = load_params(args.params, parse_set_options(args.set))
    check_seed(args.seed)
    folders = city_folders({"run": params})
    parse_uncertain(params, str(args.params))  # checked like the rest; a run uses point values
    out = Path(args.out) if args.out else default_out("run")
    with OutputFolder(out, "run", getattr(args, "overwrite", False)) as folder:
        started = now_iso()
        result = run_one(params, seed=args.seed, scenario=Path(args.params).stem,
                         progress=bar_on_terminal())
        write_parquet(result.annual, folder.path / "annual.parquet")
        write_parquet(result.monthly, folder.path / "monthly.parquet")
        write_parquet(result.target_flows, folder.path / "target_flows.parquet")
        write_csv(result.ledger, folder.path / "ledger.csv")
        maps = write_district_answers(folder.path, {Path(args.params).stem: params}, args.seed,
                                      result.districts)
        folder.commit(manifest("run", params.to_dict(), {"seed": args.seed}, started,
                               params_file=str(args.params), overrides=args.set or [],
                               **({"city_data": folders["run"]} if folders else {})),
                      RUN_FILES)
    _print_annual(result.annual)
    print(f"wrote {out}/annual.parquet, monthly.parquet, target_flows.parquet, ledger.csv, "
          f"districts.parquet, district_cells.parquet, {len(maps)} district maps, manifest.json")
    return 0


def _print_annual(annual) -> None:
    """Each target's value by year beside its threshold; ``*`` marks a year it is met."""
    from sim.interfaces.summary import fmt_value, is_share, targets_in

    if annual.empty:
        return
    years = sorted(annual["year"].unique())
    rows = []
    for target in targets_in(annual):
        g = annual[annual["target"] == target].set_index("year")
        share = is_share(g)
        cells = [f"{fmt_value(g.loc[y, 'value'], share)}{'*' if g.loc[y, 'met'] else ''}"
                 if y in g.index else "–" for y in years]
        rows.append([target, f">= {fmt_value(g['threshold'].iloc[0], share)}", *cells])
    table = pd.DataFrame(rows, columns=["target", "threshold", *map(str, years)])
    print(table.to_string(index=False))
    print("* = target met that year")
