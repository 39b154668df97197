"""A sweep's answer: which setting first meets each target, as ``summary.md``, printed lines
and the report's content (the sweep's settings take the place of a forecast's scenarios)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.attainment import earliest_year
from sim.experiments.sweep import read_definition
from sim.interfaces.plots.sweep import is_share_table, setting_text
from sim.interfaces.report import (ANSWER_COLUMNS, Report, assumptions, definitions, hinges_on,
                                   run_details)
from sim.interfaces.summary import fmt_value, run_caveats, shortfall, targets_in, wording
from sim.params.describe import key_label

MAX_SETTINGS_SHOWN = 12  # more settings than this: the report lists each target's best one


def setting_names(att: pd.DataFrame, keys: list[str]) -> dict[int, str]:
    """``{point: "platform.launch = 2023-07"}`` for every point in the table."""
    first = att.drop_duplicates("point").sort_values("point")
    return {int(r["point"]): ", ".join(f"{k} = {setting_text(r[k])}" for k in keys)
            for _, r in first.iterrows()}


def sweep_answers(att: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per target: the earliest year any setting meets it with P(met) >= 50 %, the first
    setting (in the sweep file's order) that does, and how many settings meet it in the last
    year."""
    names = setting_names(att, keys)
    early = earliest_year(att, by=["point"])
    last = att[att["year"] == att["year"].max()]
    rows = []
    for target in targets_in(att):
        e = early[early["target"] == target].dropna(subset=["year_p50"])
        lt = last[last["target"] == target]
        share = is_share_table(att[att["target"] == target])
        th = att.loc[att["target"] == target, "threshold"]
        if e.empty:
            best, year = None, None
        else:
            year = int(e["year_p50"].min())
            best = int(e.loc[e["year_p50"] == year, "point"].min())
        top = lt.sort_values(["p_met", "point"], ascending=[False, True]).iloc[0] if len(lt) \
            else None
        rows.append({
            "target": target,
            "threshold": f"≥ {fmt_value(th.median(), share)}" if len(th) else "–",
            "earliest_year": year, "first_setting": names.get(best, "") if best is not None else "",
            "met_in_last_year": f"{int((lt['p_met'] >= 0.5).sum())} of {len(lt)}",
            "best_last_year": ("" if top is None else "0% with every setting"
                               if top["p_met"] == 0 else
                               f"{names[int(top['point'])]} ({top['p_met']:.0%})")})
    return pd.DataFrame(rows).astype({"earliest_year": "Int64"})


def sweep_summary_markdown(att: pd.DataFrame, d: dict, name: str) -> str:
    keys = d["keys"]
    answers = sweep_answers(att, keys)
    last = int(att["year"].max()) if not att.empty else None
    lines = [f"# Sweep {name}: which setting first meets each target", "",
             f"{d['n_points']} settings of {', '.join(f'{k} ({key_label(k)})' for k in keys)}, "
             f"{d['replicates']} replicates each, {d.get('design', 'grid')} design. A target "
             "counts as met when P(met) ≥ 50 %.", "",
             "| target | threshold | earliest year met | first setting meeting it then | "
             f"settings meeting it in {last} | highest P(met) in {last} |",
             "|---|---|---|---|---|---|"]
    for r in answers.itertuples(index=False):
        year = "never" if pd.isna(r.earliest_year) else int(r.earliest_year)
        lines.append(f"| {r.target} | {r.threshold} | {year} | {r.first_setting or '—'} | "
                     f"{r.met_in_last_year} | {r.best_last_year} |")
    lines += ["", "Figures: `sweep_T*.png` (one per target). Tables: `attainment.csv` (P(met) "
              "and bands per setting, target and year), `annual.parquet` (every run), "
              "`points.csv` (the settings).", ""]
    return "\n".join(lines)


def print_lines(att: pd.DataFrame, keys: list[str]) -> list[str]:
    """The answer in a few printed lines, one per target."""
    out = []
    for r in sweep_answers(att, keys).itertuples(index=False):
        if pd.isna(r.earliest_year):
            out.append(f"{r.target} ({r.threshold}): not met by any setting; P(met) at the "
                       f"horizon: {r.best_last_year}")
        else:
            out.append(f"{r.target} ({r.threshold}): first met in {r.earliest_year} with "
                       f"{r.first_setting}; met at the horizon by {r.met_in_last_year} settings")
    return out


def sweep_report(out: Path, meta: dict) -> Report:
    d = read_definition(out)
    att = pd.read_csv(out / "attainment.csv")
    keys = d["keys"]
    names = setting_names(att, keys) if not att.empty else {}
    points = list(names)
    note = ""
    if len(points) > MAX_SETTINGS_SHOWN:
        answers = sweep_answers(att, keys)
        points = sorted({p for p, n in names.items()
                         if n in set(answers["first_setting"])} or set(points[:1]))
        note = (f"{len(names)} settings: only those that first meet a target are listed; "
                "every setting is in attainment.csv.")
    rows = _answer_rows(att, meta, names, points)
    years = sorted(int(y) for y in att["year"].unique()) if not att.empty else []
    figures = [(f"{p.stem.split('_', 1)[1]}: P(met) and value by setting"
                + (" and year" if len(keys) <= 2 else ""), p) for p in sorted(out.glob("sweep_T*.png"))]
    return Report(
        title=f"Sweep {meta.get('definition', {}).get('name', out.name)}",
        intro=(f"{d['n_points']} settings of {', '.join(key_label(k) for k in keys)}, "
               f"{d['replicates']} replicates each. P(met) is the share of a setting's runs "
               "meeting the target; settings share random numbers replicate by replicate."),
        answers=pd.DataFrame(rows, columns=ANSWER_COLUMNS), years=years, figures=figures,
        definitions=definitions(meta, targets_in(att)), assumptions=assumptions(meta),
        details=run_details(meta, d["replicates"], []), caveats=run_caveats(meta, []),
        answers_note=note)


def _answer_rows(att: pd.DataFrame, meta: dict, names: dict[int, str],
                 points: list[int]) -> list[dict]:
    early = earliest_year(att, by=["point"])
    rows = []
    for p in points:
        for target in targets_in(att):
            a = att[(att["point"] == p) & (att["target"] == target)].sort_values("year")
            if a.empty:
                continue
            share = is_share_table(att[att["target"] == target])
            th = float(a["threshold"].iloc[-1])
            e = early[(early["point"] == p) & (early["target"] == target)].iloc[0]
            rows.append({
                "scenario": names[p], "target": target, "plan": wording(meta, target),
                "threshold": f"≥ {fmt_value(th, share)}",
                "p_met": dict(zip(a["year"].astype(int), a["p_met"].astype(float))),
                "year_p50": "never" if pd.isna(e["year_p50"]) else str(int(e["year_p50"])),
                "year_p80": "never" if pd.isna(e["year_p80"]) else str(int(e["year_p80"])),
                "shortfall": shortfall(a.iloc[-1], th, share),
                "hinges_on": hinges_on(meta, names[p], target)})
    return rows
