"""``skills-sim plot DIR``: redraw a finished folder's figures from its files alone."""

from __future__ import annotations

from pathlib import Path

from sim.experiments.folders import read_finished
from sim.interfaces.plots.forecast import draw_forecast, draw_run, read_annual
from sim.params import MISSING, ParamError


def command(args) -> int:
    """``skills-sim plot DIR``: redraw a finished folder's figures according to its manifest.

    Refuses (exit 2) a folder without a complete manifest, or whose tables are not the ones
    its manifest records (a folder mixing two runs)."""
    out = Path(args.dir)
    if not out.is_dir():
        raise ParamError(str(out), "<file>", MISSING, "output folder not found")
    meta = read_finished(out)
    command = meta.get("command")
    if command == "sweep":
        from sim.interfaces.plots.sweep import plot_sweep

        plot_sweep(out)
        print(f"redrew the sweep figures in {out}")
        return 0
    if command == "sensitivity":
        import pandas as pd

        from sim.interfaces.plots.sensitivity import plot_sensitivity

        figures = plot_sensitivity(out, pd.read_csv(out / "sensitivity.csv"), meta["definition"]["method"])
        print(f"redrew {len(figures)} figures in {out}")
        return 0
    if command == "optimize" and (out / "forecast" / "manifest.json").exists():
        # The trade-off figure is drawn by the optimiser; the chosen setting's forecast redraws.
        sub = out / "forecast"
        figures = draw_forecast(sub, read_annual(sub), read_finished(sub))
        print(f"redrew {len(figures)} forecast figures in {sub} (tradeoff.png is the optimiser's)")
        return 0
    if command not in ("forecast", "run"):
        raise ParamError(str(out / "manifest.json"), "command", command,
                         "expected a run, forecast, sweep, sensitivity or optimize folder")
    annual = read_annual(out)
    maps = []
    if (out / "districts.parquet").exists() and (out / "district_cells.parquet").exists():
        import pandas as pd

        from sim.interfaces.plots.districts import draw_district_maps

        maps = draw_district_maps(out, pd.read_parquet(out / "districts.parquet"),
                                  pd.read_parquet(out / "district_cells.parquet"))
    figures = (draw_forecast(out, annual, meta, maps) if command == "forecast"
               else draw_run(out, annual, meta)) + maps
    print(f"redrew {len(figures)} figures in {out}")
    return 0
