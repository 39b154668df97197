"""Print the status-quo city's fit to published statistics as a Markdown table.

    python3 docs/calibration_table.py [--replicates 8] [--years 3]

Runs the status-quo scenario at full scale for several seeds and compares each observable in
params/calibration/national_statistics.csv with the model's median and 5-95 % band over
replicates (each replicate's value is its mean over the simulated years).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import load_params
from sim.experiments.executors import Job, run_jobs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    observed = pd.read_csv(ROOT / "params/calibration/national_statistics.csv")
    params = load_params(ROOT / "params/scenarios/status_quo.toml", {"run.years": args.years})
    jobs = [Job(params, seed=1000 + r, replicate=r) for r in range(args.replicates)]
    per_rep = []
    for job, result in run_jobs(jobs, workers=args.workers, total=len(jobs)):
        obs = result.observables
        per_rep.append(obs.groupby("indicator")["value"].mean().rename(job.replicate))
    sim = pd.concat(per_rep, axis=1)
    print("| statistic | observed (± tolerance) | model median [5 %, 95 %] | within | source |")
    print("|---|---|---|---|---|")
    for row in observed.itertuples():
        values = sim.loc[row.indicator].to_numpy()
        med, lo, hi = np.median(values), np.quantile(values, 0.05), np.quantile(values, 0.95)
        ok = "yes" if abs(med - row.value) <= row.tolerance else "no"
        fmt = (lambda v: f"{v:,.0f}") if abs(row.value) > 10 else (lambda v: f"{v:.3f}")
        print(f"| `{row.indicator}` | {fmt(row.value)} ± {fmt(row.tolerance)} | "
              f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}] | {ok} | {row.source} |")


if __name__ == "__main__":
    main()
