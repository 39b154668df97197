"""``skills-sim run [FILE]``: one simulation to the horizon."""

from __future__ import annotations

from pathlib import Path

from sim.experiments.folders import OutputFolder, default_out, manifest, now_iso, write_csv, write_parquet
from sim.experiments.limits import check_seed
from sim.experiments.runner import run_one
from sim.interfaces.cli.common import progress_enabled
from sim.params import load_params, parse_set_options

RUN_FILES = ["annual.parquet", "monthly.parquet", "target_flows.parquet", "ledger.csv"]


def command(args) -> int:
    """Validate everything (parameters, seed, ``--out``), simulate, then write the folder as
    one transaction: a new folder beside ``--out`` moved into place when complete."""
    params = load_params(args.params, parse_set_options(args.set))
    check_seed(args.seed)
    out = Path(args.out) if args.out else default_out("run")
    with OutputFolder(out, "run", getattr(args, "overwrite", False)) as folder:
        started = now_iso()
        result = run_one(params, seed=args.seed, scenario=Path(args.params).stem,
                         progress=progress_enabled())
        write_parquet(result.annual, folder.path / "annual.parquet")
        write_parquet(result.monthly, folder.path / "monthly.parquet")
        write_parquet(result.target_flows, folder.path / "target_flows.parquet")
        write_csv(result.ledger, folder.path / "ledger.csv")
        folder.commit(manifest("run", params.to_dict(), {"seed": args.seed}, started,
                               params_file=str(args.params), overrides=args.set or []),
                      RUN_FILES)
    _print_annual(result.annual)
    print(f"wrote {out}/annual.parquet, monthly.parquet, target_flows.parquet, ledger.csv, "
          "manifest.json")
    return 0


def _print_annual(annual) -> None:
    if annual.empty:
        return
    table = annual.pivot_table(index="target", columns="year", values="value")
    print(table.round(3).to_string())
