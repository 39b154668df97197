"""``skills-sim calibrate OBSERVED.csv`` (no --fit, or --method posterior): a posterior over the
uncertain coefficients, its validation on held-out statistics, and what the data identify."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.experiments.calibrate import CalibrationError
from sim.experiments.observed import fmt_number, parse_fit
from sim.experiments.posterior_study import prepare_posterior, run_posterior
from sim.interfaces.cli.common import bar_on_terminal, city_folders, fresh_out
from sim.interfaces.plots.posterior import draw_identifiability, draw_validation
from sim.params import BASELINE_PATH, load_params, parse_set_options


def posterior_factors(args, base, fixed):
    """The ranges to fit: --fit ranges when given, else the parameter file's [uncertain] table."""
    if args.fit:
        return parse_fit(args.fit, base, fixed)
    from sim.experiments.ranges import parse_uncertain

    return parse_uncertain(base, str(args.params or BASELINE_PATH))


def posterior_command(args, out: Path, overwrite: bool = False) -> int:
    params_path = Path(args.params) if args.params else BASELINE_PATH
    fixed = parse_set_options(args.set)
    base = load_params(params_path, fixed)
    study = prepare_posterior(args.observed, posterior_factors(args, base, fixed), base,
                              params_path, fixed, out, args.holdout, args.candidates,
                              args.draws, args.seeds, args.seed, args.workers, overwrite)
    city_folders({"base": base})  # a bad city folder row: exit 2 before any run
    fresh_out(args, out)
    print(f"calibrate (posterior): {len(study.fits)} coefficient(s), {len(study.rows)} observed "
          f"statistic(s) ({len(study.holdout)} held out), {study.n_candidates} candidates x "
          f"{len(study.seeds)} seeds -> {out}", flush=True)
    try:
        result = run_posterior(study, log=lambda m: print(m, flush=True),
                               progress=bar_on_terminal())
    except CalibrationError as exc:
        print(f"skills-sim calibrate: error: {exc}", file=sys.stderr)
        return 1
    post = result.posterior
    draw_validation(result.validation, out / "validation.png",
                    f"Posterior predictive vs observed ({len(post.draws)} draws x "
                    f"{len(study.seeds)} seeds)")
    draw_identifiability(result.candidates, result.draws, result.identifiability, result.profile,
                         out / "identifiability.png")
    print_posterior(post, result.validation, result.identifiability, out)
    return 0


def print_posterior(post, validation: pd.DataFrame, ident: pd.DataFrame, out: Path) -> None:
    tempered = (f"; likelihood tempered at T = {post.temperature:.3g} to keep "
                f"{post.ess:.0f} effective candidates (the posterior is wider than the data "
                "alone make it: more --candidates lowers T)") if post.temperature > 1 else ""
    print(f"\nposterior: {len(post.draws)} draws from {len(post.values)} candidates{tempered}.")
    for r in ident.itertuples():
        verdict = "identified" if r.identified else "NOT identified by these statistics"
        print(f"  {r.key}: prior {fmt_number(r.prior_low)}-{fmt_number(r.prior_high)}, posterior "
              f"90 % {fmt_number(r.post_q05)}-{fmt_number(r.post_q95)} "
              f"({r.width_ratio:.0%} of the prior's width): {verdict}")
    for role in ("fit", "holdout"):
        v = validation[validation["role"] == role]
        if len(v):
            print(f"{int(v['inside'].sum())} of {len(v)} {'fitted' if role == 'fit' else 'held-out'}"
                  " statistics inside the posterior predictive 90 % interval.")
    print(f"wrote {out}/posterior.parquet, fitted.toml (most likely candidate), validation.csv, "
          f"identifiability.csv, correlations.csv, profile.csv, candidates.csv, figures, "
          f"manifest.json (the same command on --out {out} resumes)")
