"""Writing ``report.html`` and ``report.pdf`` into a finished forecast or sweep folder, from its
files alone (``skills-sim report DIR`` redraws them; forecast and sweep write them at the end)."""

from __future__ import annotations

from pathlib import Path

from sim.interfaces.plots.forecast import read_annual, read_manifest, scenario_order
from sim.interfaces.report import Report, forecast_report
from sim.interfaces.report_html import write_html
from sim.interfaces.report_pdf import write_pdf
from sim.params import ParamError

REPORT_FILES = ("report.html", "report.pdf")


def write_report(out: str | Path, meta: dict | None = None) -> list[Path]:
    """Both report files of the folder ``out``; returns their paths. ``meta`` is the manifest
    about to be written (a command writes its report before its manifest, which marks the
    folder complete); by default the folder's own."""
    out = Path(out)
    meta = read_manifest(out) if meta is None else meta
    command = meta.get("command")
    if command == "forecast":
        report = _forecast(out, meta)
    elif command == "sweep":
        from sim.interfaces.sweep_report import sweep_report

        report = sweep_report(out, meta)
    else:
        raise ParamError(str(out / "manifest.json"), "command", command,
                         "a report is written for a forecast or sweep folder")
    paths = [out / name for name in REPORT_FILES]
    write_html(report, paths[0])
    write_pdf(report, paths[1])
    return paths


def figure_caption(name: str) -> str:
    """A caption for a figure file of a forecast, from its name."""
    stem = Path(name).stem
    kind, _, rest = stem.partition("_")
    if kind == "overview":
        return f"Overview, scenario '{rest}': P(met) for every target and year."
    if kind == "overlay":
        return (f"{rest}: every scenario's median and 50 % band (top), P(met) by year (bottom); "
                "red dashes: the plan's threshold.")
    if kind == "fan":
        target, _, scenario = rest.partition("_")
        return (f"{target}, scenario '{scenario}': median, 50 % and 90 % of replicates; red "
                "dashes: the plan's threshold; P(met) by year along the top.")
    if kind == "drivers":
        return (f"{rest}: P(met) by year for every scenario (left) beside the assumptions that "
                "decide it (right: importance; dark bars are the keys of the PRIM box).")
    if kind == "map":
        return f"Map of {rest.replace('_', ' ')} by district: the last year's median."
    return stem


def _forecast(out: Path, meta: dict) -> Report:
    annual = read_annual(out)
    order = scenario_order(annual, meta)
    names = (sorted(out.glob("overview_*.png")) + sorted(out.glob("overlay_*.png"))
             + sorted(out.glob("fan_*.png"), key=_target_key)
             + sorted(out.glob("drivers_*.png"), key=_target_key) + sorted(out.glob("map_*.png")))
    return forecast_report(annual, meta, order, [(figure_caption(p.name), p) for p in names])


def _target_key(path: Path) -> tuple:
    """fan_T2_x before fan_T10_x: targets in natural order."""
    target = path.stem.split("_")[1] if "_" in path.stem else ""
    digits = "".join(c for c in target if c.isdigit())
    return (int(digits) if digits else 0, path.name)
