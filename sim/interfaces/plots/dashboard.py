"""The dashboard's figures: the city map and the target curves.

Matplotlib figures without pyplot (nothing global to leak between sessions), drawn once per
model; each month only the artists that change are redrawn over a cached background (blitting),
which keeps a redraw at tens of milliseconds instead of most of a second.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from sim.model.indicators import TARGETS
from sim.model.model import SkillsModel
from sim.model.students import State

if TYPE_CHECKING:
    from sim.interfaces.dashboard import DashboardModel


TARGET_LABELS = {
    "T1": "majors matching 6+3 industries",
    "T2": "order classes opened",
    "T3": "talent delivered",
    "T4": "social training (person-times)",
    "T5": "apprentices started",
    "T6": "1+X pilot majors",
    "T7": "training bases in operation",
    "T8": "demonstration combos",
    "T9": "local employment share",
}


PLOT_TITLES = {"T1": "6+3 major match", "T2": "order classes", "T3": "talent delivered",
               "T4": "social training", "T5": "apprentices", "T6": "1+X pilot majors",
               "T7": "training bases", "T8": "demo combos", "T9": "local employment"}


SHARE_TARGETS = {"T1", "T9"}


def target_series(model: DashboardModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per target, x (decimal year at month end) and the year-to-date value, NaN between years."""
    out = {}
    for tid in TARGETS:
        xs, ys = [], []
        for year, month, values in model.target_history:
            if month == 1 and xs:
                xs.append(np.nan)
                ys.append(np.nan)
            value = values[tid]
            xs.append(year + month / 12)
            ys.append(np.nan if value is None else value)
        out[tid] = (np.array(xs, dtype=float), np.array(ys, dtype=float))
    return out


def student_density(model: SkillsModel) -> np.ndarray:
    """Enrolled students (persons) by home cell, as a (width, height) array."""
    st = model.students
    enrolled = st.view("state") == State.ENROLLED
    counts = np.bincount(st.view("home")[enrolled], minlength=model.city.n_cells)
    w, h = model.city.grid.dimensions
    return (counts * model.persons_per_agent).reshape(w, h).astype(float)


def students_per_school(model: SkillsModel) -> np.ndarray:
    """Enrolled students (persons) per school."""
    st = model.students
    enrolled = st.view("state") == State.ENROLLED
    counts = np.bincount(st.view("school")[enrolled], minlength=model.schools.n)
    return counts.astype(float) * model.persons_per_agent


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``x`` (stable axis limits)."""
    if x <= 0:
        return 1.0
    k = 10 ** np.floor(np.log10(x))
    return float(next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= x))


class _BlitFigure:
    """A figure whose static part is rendered once; :meth:`png` redraws only ``dynamic``."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.dynamic: list = []
        self._background = None

    def invalidate(self) -> None:
        """Static content changed (limits, scales): render the background again next time."""
        self._background = None

    def png(self) -> bytes:
        if self._background is None:
            for artist in self.dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in self.dynamic:
                artist.set_visible(True)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.dynamic:
            artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(),
                                     "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()


SCHOOL_MARKERS = {0: "o", 1: "s", 2: "^"}


SCHOOL_KINDS = {0: "secondary vocational", 1: "technician school", 2: "higher vocational"}


def _sector_colors(n: int) -> np.ndarray:
    order = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    return np.array(matplotlib.colormaps["tab20"](np.arange(20) / 19.999))[order][
        np.arange(n) % 20]


class CityMapFigure(_BlitFigure):
    """Student density per cell, schools sized by their students, enterprises by sector."""

    def __init__(self, model: SkillsModel):
        super().__init__(Figure(figsize=(7.6, 5.1), dpi=80))
        city, (w, h) = model.city, model.city.grid.dimensions
        self.ax = ax = self.fig.add_axes((0.01, 0.02, 0.6, 0.9))
        self.cax = self.fig.add_axes((0.62, 0.12, 0.015, 0.7))
        self.vmax = _nice_ceiling(max(student_density(model).max() * 1.5, 10.0))
        self.image = ax.imshow(np.ma.masked_all((h, w)), origin="lower", cmap="Blues",
                               norm=LogNorm(vmin=1, vmax=self.vmax), interpolation="nearest",
                               extent=(-0.5, w - 0.5, -0.5, h - 0.5))
        self.fig.colorbar(self.image, cax=self.cax, label="students enrolled per cell (by home)")

        # Enterprises: a dot each, jittered inside its cell so the parks' sector mix shows.
        ent = model.enterprises
        xy = city.cell_xy[ent.cell].astype(float)
        xy += np.random.default_rng(0).uniform(-0.42, 0.42, size=xy.shape)
        colors = _sector_colors(len(model.groups))
        size = 3 + 4 * np.sqrt(ent.employees / max(float(np.median(ent.employees)), 1.0))
        self.firms = ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colors[ent.sector], alpha=0.8,
                                linewidths=0)

        # Schools: marker by kind, area by students enrolled.
        sch = model.schools
        sxy = city.cell_xy[sch.cell]
        self.schools = {}
        for kind, marker in SCHOOL_MARKERS.items():
            sel = np.flatnonzero(sch.kind == kind)
            self.schools[kind] = (sel, ax.scatter(sxy[sel, 0], sxy[sel, 1], s=12, marker=marker,
                                                  facecolors="#ffb000", edgecolors="black",
                                                  linewidths=0.8, alpha=0.9))
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(-0.5, h - 0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        self.title = self.fig.text(0.31, 0.95, " ", ha="center", fontsize=10)
        handles = [Line2D([], [], marker=m, ls="", mfc="#ffb000", mec="black", ms=7,
                          label=SCHOOL_KINDS[k]) for k, m in SCHOOL_MARKERS.items()]
        handles += [Line2D([], [], marker="o", ls="", mfc=colors[g], mec="none", ms=5,
                           label=name.replace("_", " ")) for g, name in enumerate(model.groups)]
        self.fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.72, 0.93),
                        fontsize=8, frameon=False, title_fontsize=8,
                        title="schools (area = students)\nenterprises by sector")
        self.dynamic = [self.image, self.firms, *(s for _, s in self.schools.values()),
                        *ax.spines.values(), self.title]

    def render(self, model: SkillsModel) -> bytes:
        density = student_density(model)
        if density.max() > self.vmax:
            self.vmax = _nice_ceiling(density.max() * 1.5)
            self.image.set_norm(LogNorm(vmin=1, vmax=self.vmax))
            self.invalidate()
        self.image.set_data(np.ma.masked_less_equal(density.T, 0))
        students = students_per_school(model)
        for sel, artist in self.schools.values():
            artist.set_sizes(12 + students[sel] / 15)
        (w, h), km = model.city.grid.dimensions, model.city.cell_km
        date = getattr(model, "last_date", None)
        when = f"{date[0]}-{date[1]:02d}" if date else "start"
        self.title.set_text(f"The city ({w}x{h} cells of {km:g} km) at {when}: "
                            f"{density.sum():,.0f} students")
        return self.png()


class TargetsFigure(_BlitFigure):
    """T1–T9 year to date, month by month, against their thresholds.

    Flows (T2–T5) build up through the year and restart each January, so a curve crossing its
    threshold line means that year's target is met; a dot marks each completed year (green met,
    red cross not). Another run's curves (the one before the last Reset) can be drawn in grey.
    """

    def __init__(self, model: SkillsModel):
        super().__init__(Figure(figsize=(8.0, 5.3), dpi=80))
        p = model.p
        start, end = p.run.start_year, p.run.start_year + p.run.years
        axes = self.fig.subplots(3, 3).ravel()
        self.fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.15, hspace=0.45,
                                 wspace=0.3)
        self.axes, self.thresholds, self.lines = {}, {}, {}
        for i, (ax, (tid, target)) in enumerate(zip(axes, TARGETS.items(), strict=True)):
            threshold = float(getattr(p.targets, target.threshold_key))
            self.axes[tid], self.thresholds[tid] = ax, threshold
            ax.axhline(threshold, color="#c0392b", ls="--", lw=1.0, label="threshold")
            previous, = ax.plot([], [], color="0.65", lw=1.2, label="previous run")
            current, = ax.plot([], [], color="#1f5fa8", lw=1.6, label="this run")
            met, = ax.plot([], [], ls="", marker="o", ms=6, color="#1e8449", label="year met")
            missed, = ax.plot([], [], ls="", marker="X", ms=6, color="#c0392b",
                              label="year not met")
            self.lines[tid] = (previous, current, met, missed)
            shown = f"{threshold:.0%}" if tid in SHARE_TARGETS else f"{threshold:,.0f}"
            ax.set_title(f"{tid} {PLOT_TITLES[tid]} ≥ {shown}", fontsize=9)
            ax.set_xlim(start, end)
            ax.set_xticks(range(start, end + 1))
            ax.set_xticklabels([str(y) for y in range(start, end + 1)] if i >= 6 else [],
                               rotation=45)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            if tid in SHARE_TARGETS:
                ax.set_ylim(0, 1)
                ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            else:
                ax.set_ylim(0, _nice_ceiling(threshold * 1.25))
        handles, labels = axes[0].get_legend_handles_labels()
        self.fig.legend(handles, labels, loc="lower center", ncols=5, fontsize=8, frameon=False)
        self.fig.suptitle("Targets year to date (curves restart each January; dot = the year's "
                          "result)", fontsize=9)
        self.dynamic = [line for lines in self.lines.values() for line in lines]

    def render(self, model: DashboardModel, previous: dict | None) -> bytes:
        series = target_series(model)
        annual = {year: values for year, month, values in model.target_history if month == 12}
        for tid, (prev_line, line, met, missed) in self.lines.items():
            line.set_data(*series[tid])
            prev_line.set_data(*(previous[tid] if previous else ([], [])))
            done = [(year + 1, values[tid]) for year, values in annual.items()
                    if values[tid] is not None]
            hit = [(x, y) for x, y in done if y >= self.thresholds[tid]]
            miss = [(x, y) for x, y in done if y < self.thresholds[tid]]
            met.set_data([x for x, _ in hit], [y for _, y in hit])
            missed.set_data([x for x, _ in miss], [y for _, y in miss])
            if tid not in SHARE_TARGETS:
                top = max(np.nanmax(series[tid][1], initial=0.0),
                          np.nanmax(previous[tid][1], initial=0.0) if previous else 0.0)
                ax = self.axes[tid]
                if top > ax.get_ylim()[1]:
                    ax.set_ylim(0, _nice_ceiling(top * 1.1))
                    self.invalidate()
        return self.png()
