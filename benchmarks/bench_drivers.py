"""The driver tables of a finished forecast, replayed in this process: PRIM with EMA Workbench's
own peeling step against ``sim.experiments.ema.Prim`` on every undecided cell (alternating,
the fastest of ``--repeats`` counting, the boxes checked equal), then every driver job as the
forecast runs it, in CPU seconds.

    python3 -m sim forecast --workers 2 --out results/fc     # or any forecast folder
    python3 benchmarks/bench_drivers.py results/fc
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.assumptions import wide
from sim.experiments.drivers import driver_jobs, plain, run_driver_job
from sim.interfaces.forecast_folder import forecast_tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", help="a forecast folder (annual.parquet, assumptions.parquet)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    folder = Path(args.folder)
    annual = pd.read_parquet(folder / "annual.parquet")
    draws = pd.read_parquet(folder / "assumptions.parquet")
    order = list(dict.fromkeys(annual["scenario"]))
    att, _ = forecast_tables(annual, order)
    labels, jobs = driver_jobs(annual, {s: wide(draws, s) for s in order}, att)
    cells = [args for kind, args in jobs if kind == "cell"]
    print(f"{len(jobs)} driver jobs, {len(cells)} undecided cells")

    t = time.process_time()
    from sim.experiments.ema import Prim, prim as library  # (imports EMA Workbench, quietly)
    print(f"importing EMA Workbench: {time.process_time() - t:.2f} CPU s")

    def peel_all(cls) -> tuple[float, list]:
        boxes, t = [], time.process_time()
        for _label, xs, met in cells:
            data = plain(xs[[c for c in xs.columns if xs[c].nunique() > 1]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                boxes.append(cls(data, np.asarray(met, bool), threshold=0.5).find_box())
        return time.process_time() - t, boxes

    seconds, found = {"library": [], "ours": []}, {}
    for _ in range(args.repeats):  # alternating; the fastest counts
        for name, cls in (("library", library.Prim), ("ours", Prim)):
            spent, found[name] = peel_all(cls)
            seconds[name].append(spent)
    same = all(len(a.box_lims) == len(b.box_lims)
               and all(p.equals(q) for p, q in zip(a.box_lims, b.box_lims))
               for a, b in zip(found["library"], found["ours"]))
    lib, ours = min(seconds["library"]), min(seconds["ours"])
    print(f"PRIM over the cells, CPU s: EMA Workbench's peel {lib:.2f}, "
          f"sim.experiments.ema.Prim {ours:.2f} ({ours / lib:.2f}); the same boxes: {same}")

    t = time.process_time()
    for job in jobs:
        run_driver_job(job)
    print(f"every driver job (PRIM, extra trees, value of information, shares): "
          f"{time.process_time() - t:.2f} CPU s")


if __name__ == "__main__":
    main()
