"""What the observed statistics say about uncertain coefficients: a posterior, not a point.

Method (importance sampling from the prior, i.e. one generation of ABC with a Gaussian kernel):

1. ``n`` candidates are drawn from the prior ranges by a Latin hypercube (from the master seed);
2. every candidate runs on the same ``S`` seeds (common random numbers, so candidates differ by
   their values, not by noise); its statistic ``r`` is the mean over seeds, ``m_r``;
3. its log-likelihood is ``-1/2 * sum_r ((m_r - observed_r) / tolerance_r)^2`` over the statistics
   used for fitting (held-out ones are left out): each tolerance is read as the standard error
   of its statistic, the kernel width of ABC;
4. weights ``w ∝ exp(loglik / T)``; the temperature ``T >= 1`` is the smallest that leaves an
   effective sample size of at least ``min_ess`` candidates (``T = 1`` when the data allow). A
   temperature above 1 flattens the likelihood: the posterior is then *wider* than the data
   alone would make it, never narrower, and the manifest says so;
5. ``n_draws`` equal-weight draws are taken by systematic resampling (from the master seed).

The posterior predictive of each statistic pools every draw's per-seed values, so its interval
carries both what the coefficients leave open and the city's own chance. Functions here are pure
(tables in, tables out); :mod:`sim.experiments.posterior_study` runs and resumes the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.observed import Observed
from sim.experiments.ranges import Factor
from sim.experiments.seeds import keyed_seed

# Spawn keys of the design's and the resampler's streams, apart from the replicates' seeds.
DESIGN_KEY = 0xAB1
RESAMPLE_KEY = 0xAB2
ASSUMPTIONS_KEY = 0xAB3  # which posterior draw each forecast replicate takes
# A key is "identified" when its posterior 90 % interval is at most this share of the prior's:
# a convention (the data removed at least a quarter of the range), stated in every table.
IDENTIFIED_WIDTH = 0.75
# A pair of keys "trades off" when their posterior correlation is at least this in size.
CORRELATED = 0.5


def candidate_units(n_keys: int, n: int, master_seed: int) -> np.ndarray:
    """``n`` x ``n_keys`` points of the unit cube: a Latin hypercube from the master seed.

    Candidate ``i`` depends only on ``(master_seed, n, i)``, so a resumed study evaluates the
    same candidates."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=n_keys, rng=np.random.default_rng(
        keyed_seed(master_seed, DESIGN_KEY))).random(n)


def candidate_values(fits: Sequence[Factor], units: np.ndarray) -> list[dict]:
    """Each candidate's parameter values (each factor maps the unit interval onto its prior)."""
    return [{f.key: f.at_unit(float(u[j])) for j, f in enumerate(fits)} for u in units]


def log_likelihood(sims: np.ndarray, rows: Sequence[Observed], fit: np.ndarray) -> np.ndarray:
    """Per candidate: ``-1/2 sum z^2`` over the fitted rows of the seed-mean (``sims``: n x S x
    rows). A candidate that produced no value for a fitted row gets ``-inf``."""
    obs = np.array([r.value for r in rows])
    tol = np.array([r.tolerance for r in rows])
    mean = np.nanmean(sims, axis=1) if sims.shape[1] > 1 else sims[:, 0, :]
    z = (mean - obs) / tol
    ll = -0.5 * np.sum(np.where(fit, z, 0.0) ** 2, axis=1)
    missing = np.isnan(z[:, fit]).any(axis=1)
    return np.where(missing, -np.inf, ll)


def effective_sample_size(w: np.ndarray) -> float:
    return float(1.0 / np.sum(w ** 2)) if w.sum() > 0 else 0.0


def temper(loglik: np.ndarray, min_ess: float) -> tuple[np.ndarray, float, float]:
    """Normalised weights, the temperature used and the effective sample size reached."""
    finite = np.isfinite(loglik)
    if not finite.any():
        raise ValueError("no candidate produced every fitted statistic")
    min_ess = min(min_ess, float(finite.sum()))

    def weights(t: float) -> np.ndarray:
        x = np.where(finite, loglik / t, -np.inf)
        w = np.exp(x - x[finite].max())
        return w / w.sum()

    if effective_sample_size(weights(1.0)) >= min_ess:
        return weights(1.0), 1.0, effective_sample_size(weights(1.0))
    lo, hi = 1.0, 2.0
    while effective_sample_size(weights(hi)) < min_ess and hi < 1e12:
        lo, hi = hi, hi * 2.0
    for _ in range(60):  # bisection on log T: ESS grows with T
        mid = float(np.sqrt(lo * hi))
        lo, hi = (mid, hi) if effective_sample_size(weights(mid)) < min_ess else (lo, mid)
    return weights(hi), hi, effective_sample_size(weights(hi))


def resample(weights: np.ndarray, n_draws: int, master_seed: int) -> np.ndarray:
    """Candidate index of each equal-weight draw (systematic resampling)."""
    u0 = np.random.default_rng(keyed_seed(master_seed, RESAMPLE_KEY)).random()
    edges = np.cumsum(weights)
    edges[-1] = 1.0
    return np.searchsorted(edges, (u0 + np.arange(n_draws)) / n_draws, side="right")


@dataclass
class Posterior:
    """A finished posterior: the candidates, their weights and the equal-weight draws."""

    fits: list[Factor]
    values: list[dict]          # candidate -> {key: value}
    sims: np.ndarray            # candidate x seed x row
    loglik: np.ndarray
    weights: np.ndarray
    temperature: float
    ess: float
    draws: np.ndarray           # candidate index of each draw

    @property
    def best(self) -> int:
        """The most likely candidate (the posterior's mode among those evaluated)."""
        return int(np.argmax(np.where(np.isfinite(self.loglik), self.loglik, -np.inf)))

    def matrix(self) -> np.ndarray:
        """Candidates x keys, numeric (switches as 0/1)."""
        return np.array([[float(v[f.key]) for f in self.fits] for v in self.values])


def fit_posterior(fits: list[Factor], values: list[dict], sims: np.ndarray,
                  rows: Sequence[Observed], holdout: set[str], n_draws: int, min_ess: float,
                  master_seed: int) -> Posterior:
    fit = np.array([r.indicator not in holdout for r in rows])
    ll = log_likelihood(sims, rows, fit)
    w, t, ess = temper(ll, min_ess)
    return Posterior(fits, values, sims, ll, w, t, ess, resample(w, n_draws, master_seed))


# ---------------------------------------------------------------------------------------------
# Tables


def posterior_table(post: Posterior) -> pd.DataFrame:
    """``draw, key, value``: the equal-weight draws, long format."""
    keys = [f.key for f in post.fits]
    rows = [(d, k, post.values[c][k]) for d, c in enumerate(post.draws) for k in keys]
    df = pd.DataFrame(rows, columns=["draw", "key", "value"])
    df["value"] = df["value"].astype(float)
    return df


def candidates_table(post: Posterior) -> pd.DataFrame:
    df = pd.DataFrame(post.values)
    df.insert(0, "candidate", np.arange(len(post.values)))
    df["log_likelihood"] = post.loglik
    df["weight"] = post.weights
    df["draws"] = np.bincount(post.draws, minlength=len(post.values))
    return df


def validation_table(post: Posterior, rows: Sequence[Observed], holdout: set[str]) -> pd.DataFrame:
    """Observed against the posterior predictive (every draw's per-seed values pooled)."""
    pred = post.sims[post.draws].reshape(-1, len(rows))  # (draws x seeds) x rows
    out = []
    for j, r in enumerate(rows):
        v = pred[:, j][~np.isnan(pred[:, j])]
        q05, med, q95 = np.quantile(v, [0.05, 0.5, 0.95]) if len(v) else (np.nan,) * 3
        out.append({"indicator": r.indicator, "year": r.year,
                    "role": "holdout" if r.indicator in holdout else "fit",
                    "observed": r.value, "tolerance": r.tolerance, "median": med, "q05": q05,
                    "q95": q95, "inside": bool(q05 <= r.value <= q95)})
    df = pd.DataFrame(out)
    df["year"] = df["year"].astype("Int64")
    return df


def identifiability_table(post: Posterior) -> pd.DataFrame:
    """Per key: prior range and 90 % interval, posterior 90 % interval, how much narrower.

    ``width_ratio`` = posterior 90 % width / prior 90 % width (both from the same candidates, so
    the ratio measures what the data did, not the design); ``identified`` when it is at most
    ``IDENTIFIED_WIDTH``."""
    x = post.matrix()
    out = []
    for j, f in enumerate(post.fits):
        p05, p95 = np.quantile(x[:, j], [0.05, 0.95])
        d = x[post.draws, j]
        q05, q50, q95 = np.quantile(d, [0.05, 0.5, 0.95])
        ratio = (q95 - q05) / (p95 - p05) if p95 > p05 else np.nan
        out.append({"key": f.key, "prior_low": f.decode(f.low), "prior_high": f.decode(f.high),
                    "prior_q05": p05, "prior_q95": p95, "post_q05": q05, "post_median": q50,
                    "post_q95": q95, "width_ratio": ratio,
                    "identified": bool(ratio <= IDENTIFIED_WIDTH),
                    "best": post.values[post.best][f.key]})
    return pd.DataFrame(out)


def correlation_table(post: Posterior) -> pd.DataFrame:
    """Every pair of keys: the correlation of their posterior draws; ``trade_off`` flags pairs
    the data pin down only together (|r| >= CORRELATED)."""
    x = post.matrix()[post.draws]
    keys = [f.key for f in post.fits]
    out = []
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            sa, sb = x[:, a].std(), x[:, b].std()
            r = float(np.corrcoef(x[:, a], x[:, b])[0, 1]) if sa > 0 and sb > 0 else np.nan
            out.append({"key_a": keys[a], "key_b": keys[b], "r": r,
                        "trade_off": bool(abs(r) >= CORRELATED) if np.isfinite(r) else False})
    return pd.DataFrame(out, columns=["key_a", "key_b", "r", "trade_off"])


def profile_table(post: Posterior, bins: int = 10) -> pd.DataFrame:
    """A profile likelihood per key: the best log-likelihood among candidates in each of
    ``bins`` equal slices of the key's prior range (flat = the data do not pin the key)."""
    x = post.matrix()
    out = []
    for j, f in enumerate(post.fits):
        edges = np.linspace(x[:, j].min(), x[:, j].max(), bins + 1)
        slot = np.clip(np.searchsorted(edges, x[:, j], side="right") - 1, 0, bins - 1)
        for b in range(bins):
            ll = post.loglik[slot == b]
            ll = ll[np.isfinite(ll)]
            out.append({"key": f.key, "low": edges[b], "high": edges[b + 1],
                        "max_log_likelihood": float(ll.max()) if len(ll) else np.nan,
                        "candidates": int((slot == b).sum())})
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Handing the posterior to the forecast

POSTERIOR_COLUMNS = ("draw", "key", "value")


def read_posterior(path: str | Path, known: set[str] | None = None) -> pd.DataFrame:
    """A ``posterior.parquet`` checked: its columns, every draw carrying the same keys, finite
    values, and (given ``known``) keys that are parameters. Problems raise :class:`ParamError`."""
    from sim.params import MISSING, ParamError

    source = str(path)
    try:
        df = pd.read_parquet(path)
    except FileNotFoundError:
        raise ParamError(source, "<file>", MISSING, "no such file (a posterior.parquet written "
                         "by skills-sim calibrate)") from None
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise ParamError(source, "<file>", MISSING, f"not a readable Parquet file ({exc})") from None
    missing = [c for c in POSTERIOR_COLUMNS if c not in df.columns]
    if missing or df.empty:
        raise ParamError(source, "columns", list(df.columns), "expected the columns draw, key, "
                         "value with at least one row (a posterior.parquet of skills-sim calibrate)")
    values = pd.to_numeric(df["value"], errors="coerce")
    if not np.isfinite(values.to_numpy(float)).all():
        bad = df.loc[~np.isfinite(values.to_numpy(float))].iloc[0]
        raise ParamError(source, f"draw {bad['draw']}, {bad['key']}", bad["value"],
                         "every value must be a finite number")
    keys = sorted(df["key"].unique())
    unknown = sorted(set(keys) - known) if known is not None else []
    if unknown:
        raise ParamError(source, "key", unknown[0], "not a parameter of this parameter file")
    per_draw = df.groupby("draw")["key"].apply(lambda k: tuple(sorted(k)))
    uneven = per_draw[per_draw != tuple(keys)]
    if len(uneven):
        raise ParamError(source, f"draw {uneven.index[0]}", list(uneven.iloc[0]),
                         f"every draw must give each key once: {', '.join(keys)}")
    return df.assign(value=values)


def posterior_assumptions(posterior: pd.DataFrame, replicates: int,
                          master_seed: int) -> pd.DataFrame:
    """``replicate, key, value``: replicate ``k`` takes one posterior draw, chosen from the master
    seed (the same in every scenario, so scenario differences stay paired). Draws are taken
    without replacement while they last, then again, so R replicates cover the posterior."""
    draws = np.sort(posterior["draw"].unique())
    rng = np.random.default_rng(keyed_seed(master_seed, ASSUMPTIONS_KEY))
    order = np.concatenate([rng.permutation(draws)
                            for _ in range(-(-replicates // len(draws)))])[:replicates]
    wide = posterior.pivot(index="draw", columns="key", values="value")
    rows = [(k, key, float(wide.at[d, key])) for k, d in enumerate(order) for key in wide.columns]
    return pd.DataFrame(rows, columns=["replicate", "key", "value"])


def with_posterior(draws: pd.DataFrame, posterior: pd.DataFrame, replicates: int,
                   master_seed: int) -> pd.DataFrame:
    """A forecast's assumption draws (``scenario, replicate, key, value``) with the keys the
    posterior covers taken from it instead of their prior ranges: replicate ``k`` gets the same
    posterior draw in every scenario. A key a scenario fixes (not among its draws) stays fixed."""
    post = posterior_assumptions(posterior, replicates, master_seed)
    value = {(int(k), key): v for k, key, v in post.itertuples(index=False)}
    out = draws.copy()
    pairs = zip(out["replicate"].astype(int), out["key"])
    out["value"] = [value.get(p, v) for p, v in zip(pairs, out["value"])]
    return out
