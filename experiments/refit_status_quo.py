"""Re-fit the calibrated coefficients on the (warm-started) status quo and print the fit table.

    python3 experiments/refit_status_quo.py                      # fit, then the table
    python3 experiments/refit_status_quo.py --check PARAMS.toml  # the table for a file, no fit
    python3 experiments/refit_status_quo.py --profile KEY=V1,V2  # each statistic over KEY's values

The fit is ``skills-sim calibrate`` (point fit, Optuna) on the rows of
params/calibration/national_statistics.csv whose role is ``fit``; the ``validate`` rows are held
out. The coefficients fitted are those the fit rows identify (docs/CALIBRATION.md): the
further-study constants. The table then scores the fitted file on every row, fitted and held
out, on the same seeds: observed, tolerance, simulated mean ± sd over seeds, z = (simulated -
observed) / tolerance. Copy the fitted values into params/baseline.toml by hand.

Each run starts the study afresh (``--overwrite``): a changed model with unchanged parameters
would otherwise resume the old study and reuse trials scored on the old model. ``--resume``
continues an interrupted or shorter study in ``--out`` instead.

Defaults: full scale (a status-quo run with its 4-year spin-up takes about 7 s), 3 reported
years, 3 seeds, 16 trials: about 4 minutes on 2 cores. ``--check`` alone takes about 20 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.calibrate import evaluate, model_seeds, simulated_years  # noqa: E402
from sim.experiments.observed import read_observed  # noqa: E402
from sim.params import DEFAULT_MASTER_SEED, load_params  # noqa: E402

OBSERVED = ROOT / "params/calibration/national_statistics.csv"
STATUS_QUO = ROOT / "params/scenarios/status_quo.toml"
# The coefficients the fit rows identify, and the ranges searched.
FIT = ["labour_market.further_study_secondary=1.5:4.5",
       "labour_market.further_study_higher=-0.5:2.0"]


def roles(path: Path) -> dict[int, str]:
    """Role (fit / validate) of each data line of the observed file, by line number."""
    with path.open(newline="", encoding="utf-8") as f:
        return {i + 2: (r.get("role") or "fit").strip().lower()
                for i, r in enumerate(csv.DictReader(f))}


def fit_rows_file(out: Path) -> Path:
    """The observed file with only its ``fit`` rows (a point fit scores every row it is given)."""
    with OBSERVED.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        kept = [r for r in reader if (r.get("role") or "fit").strip().lower() == "fit"]
        fields = reader.fieldnames
    out.mkdir(parents=True, exist_ok=True)
    path = out / "fit_rows.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(kept)
    return path


def run_fit(args, scale: list[str]) -> Path:
    out = Path(args.out)
    cmd = [sys.executable, "-m", "sim", "calibrate", str(fit_rows_file(out)),
           "--params", str(STATUS_QUO), "--trials", str(args.trials), "--seeds", str(args.seeds),
           "--workers", str(args.workers), "--seed", str(args.seed), "--out", str(out / "fit")]
    for item in FIT:
        cmd += ["--fit", item]
    if not args.resume:
        cmd.append("--overwrite")
    for item in scale:
        cmd += ["--set", item]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    return out / "fit" / "fitted.toml"


def table(params_path: Path, args, scale: dict) -> None:
    params = load_params(params_path, scale)
    rows = read_observed(OBSERVED, simulated_years(params))
    role = roles(OBSERVED)
    ev = evaluate(params, rows, model_seeds(args.seed, args.seeds), args.workers)
    print(f"\n{params_path} at {scale}, seeds {model_seeds(args.seed, args.seeds)}")
    print("| statistic | role | observed | tolerance | simulated mean ± sd | z |")
    print("|---|---|---|---|---|---|")
    for i, r in enumerate(rows):
        big = abs(r.value) > 10
        f = (lambda v: f"{v:,.0f}") if big else (lambda v: f"{v:.3f}")
        sd = "-" if ev.sd[i] != ev.sd[i] else f(ev.sd[i])
        print(f"| `{r.indicator}` | {role.get(r.line, 'fit')} | {f(r.value)} | {f(r.tolerance)} "
              f"| {f(ev.mean[i])} ± {sd} | {ev.z[i]:+.2f} |")
    fit = [ev.z[i] ** 2 for i, r in enumerate(rows) if role.get(r.line, "fit") == "fit"]
    print(f"score over fit rows (mean z²): {sum(fit) / len(fit):.3f}")


def profile(params_path: Path, item: str, args, scale: dict) -> None:
    """Each statistic's z over values of one coefficient (``KEY=V1,V2,...``): which statistics
    a coefficient moves, i.e. which of them pin it."""
    key, _, values = item.partition("=")
    base = load_params(params_path, scale)
    rows = read_observed(OBSERVED, simulated_years(base))
    role = roles(OBSERVED)
    print(f"\nprofile of {key} on {params_path}, z by value (seeds {args.seeds}, {scale})")
    print("| statistic | role | " + " | ".join(values.split(",")) + " |")
    print("|---|---|" + "---|" * len(values.split(",")))
    cols = [evaluate(base.override({key: float(v)}), rows, model_seeds(args.seed, args.seeds),
                     args.workers) for v in values.split(",")]
    for i, r in enumerate(rows):
        f = (lambda v: f"{v:,.0f}") if abs(r.value) > 10 else (lambda v: f"{v:.3f}")
        print(f"| `{r.indicator}` | {role.get(r.line, 'fit')} | "
              + " | ".join(f"{f(ev.mean[i])} ({ev.z[i]:+.1f})" for ev in cols) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", type=Path, help="only print the table for this parameter file")
    ap.add_argument("--profile", metavar="KEY=V1,V2,...",
                    help="only print each statistic at these values of KEY (on --check's file)")
    ap.add_argument("--resume", action="store_true",
                    help="continue the study in --out instead of starting afresh")
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED)
    ap.add_argument("--ppa", type=int, default=1, help="run.persons_per_agent (1 = full scale)")
    ap.add_argument("--years", type=int, default=3, help="run.years after the spin-up")
    ap.add_argument("--out", default=str(ROOT / "results/refit-status-quo"))
    args = ap.parse_args()
    scale = {"run.persons_per_agent": args.ppa, "run.years": args.years}
    t0 = time.perf_counter()
    if args.profile:
        profile(args.check or STATUS_QUO, args.profile, args, scale)
    else:
        path = args.check or run_fit(args, [f"{k}={v}" for k, v in scale.items()])
        table(path, args, scale)
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
