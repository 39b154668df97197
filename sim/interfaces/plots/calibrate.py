"""The calibration's fit figure: each observed statistic against the simulated ones, in tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.experiments.calibrate import Evaluation
from sim.experiments.observed import Observed, fmt_number


def draw_fit(rows: list[Observed], ev: Evaluation, path: Path, title: str) -> None:
    """Observed ± tolerance against simulated (seeds and mean ± sd), one row per statistic.

    The axis is in tolerances (z), so statistics of any scale share it; the values themselves
    are printed on the right.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    from sim.experiments.folders import atomic_path

    n = len(rows)
    fig = Figure(figsize=(11, 1.6 + 0.45 * n), layout="constrained")
    ax = fig.add_subplot()
    ypos = np.arange(n)[::-1]
    zmax = np.nanmax(np.abs(np.concatenate([ev.z, ((ev.sim - [r.value for r in rows])
                                                   / [r.tolerance for r in rows]).ravel()])),
                     initial=0.0)
    zmax = 2.0 if not np.isfinite(zmax) else max(2.0, float(zmax))
    ax.axvspan(-1, 1, color="tab:green", alpha=0.12, label="observed ± tolerance")
    ax.axvline(0, color="tab:green", lw=1.5, label="observed")
    obs = np.array([r.value for r in rows])
    tol = np.array([r.tolerance for r in rows])
    for k in range(ev.sim.shape[0]):
        ax.scatter((ev.sim[k] - obs) / tol, ypos, s=14, color="0.55", zorder=2,
                   label="simulated, each seed" if k == 0 else None)
    xerr = np.nan_to_num(ev.sd / tol)
    ax.errorbar(ev.z, ypos, xerr=xerr, fmt="o", color="tab:blue", ms=7, capsize=3, zorder=3,
                label="simulated mean ± sd over seeds")
    if zmax > 8:  # far misfits stay on the page; the band of |z| <= 3 stays linear
        ax.set_xscale("symlog", linthresh=3)
        ticks = [t for t in (1, 3, 10, 30, 100, 300, 1000, 3000, 10000) if t <= 1.15 * zmax]
        ax.set_xticks([-t for t in ticks[::-1]] + [0] + ticks, [f"{-t:g}" for t in ticks[::-1]]
                      + ["0"] + [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(-1.15 * zmax, 1.15 * zmax)
    ax.set_yticks(ypos, [r.label for r in rows])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("(simulated - observed) / tolerance")
    ax.grid(axis="x", alpha=0.3)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(ypos, [f"obs {fmt_number(r.value)} ± {fmt_number(r.tolerance)}   "
                            + (f"sim {fmt_number(m)}" if np.isfinite(m) else "sim: not produced")
                            + (f" ± {fmt_number(s)}" if np.isfinite(s) else "")
                            for r, m, s in zip(rows, ev.mean, ev.sd)], fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 if n > 3 else -0.3), ncol=4,
              fontsize=8, frameon=False)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
