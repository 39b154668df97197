"""Summaries across replicates: attainment probabilities, quantile bands, earliest year met.

Pure functions of the tidy ``annual`` table, shared by forecasts, sweeps and plots, so every
figure can be recomputed from ``annual.parquet`` alone.
"""

from __future__ import annotations

import pandas as pd

QUANTILES = {"q05": 0.05, "q25": 0.25, "q75": 0.75, "q95": 0.95}


def attainment(annual: pd.DataFrame, by: list[str] | tuple[str, ...] = ("scenario",)) -> pd.DataFrame:
    """Per ``by`` group, target and year: share of replicates meeting the target and bands."""
    keys = [*by, "target", "year"]
    grouped = annual.groupby(keys, sort=True)
    out = grouped["met"].mean().rename("p_met").to_frame()
    out["median"] = grouped["value"].median()
    for name, q in QUANTILES.items():
        out[name] = grouped["value"].quantile(q)
    return out.reset_index()


def earliest_year(att: pd.DataFrame, by: list[str] | tuple[str, ...] = ("scenario",)) -> pd.DataFrame:
    """First year each target is met with probability >= 0.5 and >= 0.8 (NA if never)."""
    rows = []
    for key, g in att.sort_values("year").groupby([*by, "target"], sort=True):
        key = key if isinstance(key, tuple) else (key,)
        first = {}
        for col, p in (("year_p50", 0.5), ("year_p80", 0.8)):
            hit = g.loc[g["p_met"] >= p, "year"]
            first[col] = int(hit.iloc[0]) if len(hit) else pd.NA
        rows.append((*key, first["year_p50"], first["year_p80"]))
    out = pd.DataFrame(rows, columns=[*by, "target", "year_p50", "year_p80"])
    return out.astype({"year_p50": "Int64", "year_p80": "Int64"})
