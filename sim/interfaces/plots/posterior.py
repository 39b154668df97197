"""A posterior calibration's figures: observed against the posterior predictive (fit and held-out
statistics), and per key its prior range, posterior draws and profile likelihood."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.folders import atomic_path
from sim.experiments.observed import fmt_number


def draw_validation(validation: pd.DataFrame, path: Path, title: str) -> None:
    """Each statistic: observed ± tolerance, and the posterior predictive's median and 90 %
    interval, in tolerances from the observed value; held-out statistics marked."""
    from matplotlib.figure import Figure

    v = validation.reset_index(drop=True)
    n = len(v)
    fig = Figure(figsize=(10, 1.8 + 0.45 * n), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    tol = v["tolerance"].to_numpy(float)
    obs = v["observed"].to_numpy(float)
    ax.axvspan(-1, 1, color="tab:green", alpha=0.12, label="observed ± tolerance")
    ax.axvline(0, color="tab:green", lw=1.5)
    for role, colour in (("fit", "tab:blue"), ("holdout", "tab:orange")):
        m = (v["role"] == role).to_numpy()
        if not m.any():
            continue
        med = (v["median"].to_numpy(float)[m] - obs[m]) / tol[m]
        lo = med - (v["q05"].to_numpy(float)[m] - obs[m]) / tol[m]
        hi = (v["q95"].to_numpy(float)[m] - obs[m]) / tol[m] - med
        ax.errorbar(med, y[m], xerr=[lo, hi], fmt="o", color=colour, capsize=3,
                    label=f"{'fitted' if role == 'fit' else 'held out'}: predictive median, 90 %")
    labels = [f"{r.indicator}" + ("" if pd.isna(r.year) else f" ({r.year})") for r in v.itertuples()]
    ax.set_yticks(y, labels)
    ax.set_xlabel("(predicted - observed) / tolerance")
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(y, [f"obs {fmt_number(r.observed)}  pred {fmt_number(r.median)} "
                         f"[{fmt_number(r.q05)}, {fmt_number(r.q95)}]" for r in v.itertuples()],
                     fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1 if n > 3 else -0.3), ncol=3,
              fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def draw_identifiability(candidates: pd.DataFrame, posterior: pd.DataFrame,
                         ident: pd.DataFrame, profile: pd.DataFrame, path: Path) -> None:
    """One row per key: left, prior candidates and posterior draws; right, the profile
    likelihood (flat = not identified)."""
    from matplotlib.figure import Figure

    keys = list(ident["key"])
    fig = Figure(figsize=(10, 0.6 + 2.1 * len(keys)), layout="constrained")
    axes = fig.subplots(len(keys), 2, squeeze=False)
    for (a, b), row in zip(axes, ident.itertuples()):
        prior = candidates[row.key].astype(float)
        post = posterior.loc[posterior["key"] == row.key, "value"]
        bins = np.linspace(prior.min(), prior.max(), 21)
        a.hist(prior, bins=bins, density=True, color="0.8", label="prior (candidates)")
        a.hist(post, bins=bins, density=True, color="tab:blue", alpha=0.7, label="posterior")
        a.axvspan(row.post_q05, row.post_q95, color="tab:blue", alpha=0.1)
        verdict = "identified" if row.identified else "not identified by these statistics"
        a.set_title(f"{row.key}: 90 % width {row.width_ratio:.0%} of prior ({verdict})",
                    fontsize=9, loc="left")
        a.legend(fontsize=7)
        p = profile[profile["key"] == row.key]
        b.plot((p["low"] + p["high"]) / 2, p["max_log_likelihood"], marker="o", color="tab:red")
        b.set_ylabel("best log-likelihood", fontsize=8)
        b.set_title("profile", fontsize=9, loc="left")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
