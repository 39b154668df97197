"""What each target hinges on, in plain words: the summary's section drawn from ``drivers.csv``,
``value_of_information.csv``, ``chance_vs_assumptions.csv`` and ``assumptions.parquet``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.drivers import focus_year
from sim.params import parameter_descriptions

TABLES = ("drivers", "value_of_information", "chance_vs_assumptions")


def read_tables(out: Path) -> dict[str, pd.DataFrame] | None:
    """The forecast folder's driver tables and draws, or None for a folder without them."""
    if not all((out / f"{t}.csv").is_file() for t in TABLES):
        return None
    tables = {t: pd.read_csv(out / f"{t}.csv") for t in TABLES}
    path = out / "assumptions.parquet"
    tables["assumptions"] = pd.read_parquet(path) if path.is_file() else pd.DataFrame(
        columns=["scenario", "replicate", "key", "value"])
    return tables


def readable(key: str, descriptions: dict[str, str]) -> str:
    """A key's description from the parameter file, else words made from the key."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "sectors" and parts[2] == "growth":
        return f"trend employment growth of the {parts[1].replace('_', ' ')} sector (per year)"
    text = descriptions.get(key, "")
    if not text or text.startswith(("see ", "the same")):
        return key.split(".", 1)[-1].replace("_", " ").replace(".", ", ")
    return text.removesuffix(", 0-1")


def number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def condition(key: str, low: float, high: float, drawn: pd.Series, descriptions) -> str:
    """"<description> (`key`) is at least / at most / between ..." for one side of a box."""
    lo_cut = low > drawn.min() + 1e-12
    hi_cut = high < drawn.max() - 1e-12
    bound = (f"between {number(low)} and {number(high)}" if lo_cut and hi_cut
             else f"at least {number(low)}" if lo_cut else f"at most {number(high)}")
    name = readable(key, descriptions)
    article = "the " if name[:1].islower() and not name.startswith(("the ", "a ")) else ""
    return f"{article}{name} (`{key}`) is {bound}"


def target_sentence(target: str, scenario: str, att: pd.DataFrame, tables: dict,
                    descriptions: dict[str, str]) -> str:
    """One scenario's sentence for one target: probability, year, and what it hinges on."""
    rows = att[(att["scenario"] == scenario) & (att["target"] == target)]
    year = focus_year(rows)
    if year is None:
        return f"{target}: no values."
    p = float(rows.loc[rows["year"] == year, "p_met"].iloc[0])
    if p >= 0.5:
        text = f"{target} is met by {year} in {p:.0%} of futures"
    elif p > 0:
        text = f"{target} is met in at most {p:.0%} of futures in any year (most often in {year})"
    else:
        return f"{target} is not met in any simulated future up to {int(rows['year'].max())}."
    d = tables["drivers"]
    cell = d[(d["scenario"] == scenario) & (d["target"] == target) & (d["year"] == year)]
    if cell.empty:
        return text + "; in so many futures alike, nothing it hinges on can be singled out."
    boxed = cell.dropna(subset=["low", "high"])
    draws = tables["assumptions"]
    mine = draws[draws["scenario"] == scenario]
    if boxed.empty:
        top = ", ".join(f"{readable(k, descriptions)} (`{k}`)" for k in cell["key"].head(3))
        return text + f"; no simple range of assumptions separates the futures that meet it; " \
                      f"the most important are {top}."
    parts = [condition(r.key, r.low, r.high, mine.loc[mine["key"] == r.key, "value"],
                       descriptions) for r in boxed.itertuples()]
    first = boxed.iloc[0]
    return (text + "; it is met when " + " and ".join(parts)
            + f" (coverage {first['coverage']:.0%}, density {first['density']:.0%}).")


def share_sentence(target: str, scenario: str, tables: dict) -> str:
    s = tables["chance_vs_assumptions"]
    r = s[(s["scenario"] == scenario) & (s["target"] == target)]
    if r.empty or pd.isna(r["share_assumptions"].iloc[0]):
        return ""
    a = float(r["share_assumptions"].iloc[0])
    return (f" Of the spread of its {int(r['year'].iloc[0])} value across futures, the "
            f"assumptions explain at least {a:.0%}; the other {1 - a:.0%} is chance or more than "
            f"these futures can resolve.")


def hinges_section(targets: list[str], att: pd.DataFrame, order: list[str], tables: dict | None,
                   fixed: bool) -> list[str]:
    """The summary's "What each target hinges on" and "Value of information" sections."""
    if tables is None:
        return []
    if fixed:
        return ["## What each target hinges on", "",
                "The assumptions were held at their point values (`--fixed-assumptions`): the "
                "futures differ by chance alone, so nothing here says what the verdicts rest on.",
                ""]
    descriptions = parameter_descriptions()
    lines = ["## What each target hinges on", "",
             ("Each replicate drew its own values of the uncertain assumptions (`[uncertain]` in "
              "the parameter file). *Coverage*: share of the futures meeting the target that lie "
              "in the stated range; *density*: share of the futures in that range that meet it "
              "(PRIM scenario discovery, `drivers.csv`). With few futures a range can fit them "
              "by luck: treat one found in fewer than about 100 futures as a lead to check, not a "
              "finding."), ""]
    for target in targets:
        for scenario in order:
            name = f"*{scenario}*: " if len(order) > 1 else ""
            lines.append(f"- {name}{target_sentence(target, scenario, att, tables, descriptions)}"
                         f"{share_sentence(target, scenario, tables)}")
    return lines + [""] + voi_table(targets, att, order, tables, descriptions)


def voi_table(targets, att, order, tables, descriptions) -> list[str]:
    """Which single assumption, if known, would move P(met) most (at the target's focus year)."""
    v = tables["value_of_information"]
    rows = []
    for target in targets:
        for scenario in order:
            year = focus_year(att[(att["scenario"] == scenario) & (att["target"] == target)])
            cell = v[(v["scenario"] == scenario) & (v["target"] == target) & (v["year"] == year)]
            if cell.empty:
                continue
            top = cell.sort_values("voi", ascending=False, kind="mergesort").iloc[0]
            rows.append(f"| {target} | {scenario} | {year} | {readable(top['key'], descriptions)} "
                        f"(`{top['key']}`) | ±{top['voi']:.0%} | {top['noise']:.0%} |")
    if not rows:
        return []
    return ["## Value of information", "",
            ("The single assumption that, if measured, would move P(met) most: the expected "
             "absolute change in P(met) on learning whether it lies in its lower, middle or upper "
             "third. *Noise* is what the same measure shows for an assumption with no effect; "
             "below it, a value means nothing."), "",
            "| target | scenario | year | assumption | change in P(met) | noise |",
            "|---|---|---|---|---|---|", *rows, ""]


def drivers_for_figure(tables: dict | None, scenario: str, target: str, year: int | None,
                       n: int = 6) -> pd.DataFrame:
    """The top ``n`` drivers of one scenario, target and year (empty if none)."""
    if tables is None or year is None:
        return pd.DataFrame()
    d = tables["drivers"]
    cell = d[(d["scenario"] == scenario) & (d["target"] == target) & (d["year"] == year)]
    return cell.sort_values("importance", ascending=False, kind="mergesort").head(n)



def hinges_by_target(targets: list[str], att: pd.DataFrame, order: list[str],
                     tables: dict | None, fixed: bool) -> dict[str, dict[str, str]]:
    """``{scenario: {target: sentence}}``: the summary's sentences for the report's "hinges on"
    column (empty when the assumptions were fixed or no drivers were computed)."""
    if tables is None or fixed:
        return {}
    descriptions = parameter_descriptions()
    return {s: {t: target_sentence(t, s, att, tables, descriptions) + share_sentence(t, s, tables)
                for t in targets} for s in order}
