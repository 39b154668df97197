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
    # Forecast and sweep tables share these columns: the threshold the runs were judged
    # against (a scenario or sweep point may move it) and how many runs P(met) rests on.
    out["threshold"] = grouped["threshold"].first()
    out["n_runs"] = grouped["met"].size().astype("int64")
    return out.reset_index()


def rounded(att: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """The table as written to CSV: probabilities and values to ``decimals`` places (a share's
    0.1 % and a count's fraction of a person are beyond the model's precision anyway)."""
    cols = ["p_met", "median", *QUANTILES, "threshold"]
    return att.round({c: decimals for c in cols if c in att})


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


DISTRICT_TARGETS = {"T1": "T1_major_match_share", "T9": "T9_local_employment_share"}


def district_attainment(districts: pd.DataFrame, thresholds: dict[str, object]) -> pd.DataFrame:
    """T1 and T9 by district: per scenario, district, target and year, the share of replicates
    at or above the city's threshold and the quantile bands (``thresholds``: scenario ->
    its ``[targets]`` section)."""
    rows = districts[districts["indicator"].isin(list(DISTRICT_TARGETS))].rename(
        columns={"indicator": "target"})
    threshold = [getattr(thresholds[s], DISTRICT_TARGETS[t])
                 for s, t in zip(rows["scenario"], rows["target"])]
    rows = rows.assign(threshold=pd.Series(threshold, index=rows.index, dtype="float64"))
    rows = rows.assign(met=rows["value"] >= rows["threshold"])
    if rows.empty:
        return pd.DataFrame(columns=["scenario", "district", "target", "year", "p_met", "median",
                                     *QUANTILES, "threshold"])
    out = attainment(rows, by=["scenario", "district"])
    return out.merge(rows[["scenario", "target", "threshold"]].drop_duplicates(),
                     on=["scenario", "target"])
