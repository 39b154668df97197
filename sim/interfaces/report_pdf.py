"""``report.pdf``: the report's content on A4 pages with matplotlib's multi-page PDF backend
(and Pillow, which matplotlib needs anyway, to read the figures): the answers first, one figure
per page, then definitions, assumptions and run details. Text is real PDF text, so it can be
searched and copied."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.interfaces.report import Report
from sim.interfaces.summary import plain_text

A4 = (8.27, 11.69)  # inches, portrait
A4_LANDSCAPE = (11.69, 8.27)
WRAP = 105  # characters per line of body text on a portrait page


def write_pdf(report: Report, path: Path) -> None:
    from sim.experiments.folders import atomic_path

    with atomic_path(path) as tmp:
        with PdfPages(tmp, metadata={"Title": report.title, "Creator": "skills-sim"}) as pdf:
            pdf.savefig(_answers_page(report))
            for caption, png in report.figures:
                pdf.savefig(_figure_page(caption, Path(png)))
            pdf.savefig(_text_page("Definitions", _definition_lines(report)))
            pdf.savefig(_text_page("Assumptions and run details", _detail_lines(report)))


def _answers_page(report: Report) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.text(0.04, 0.95, report.title + " — answers", fontsize=15, weight="bold", va="top")
    lines = textwrap.wrap(plain_text(report.intro), 150)
    lines += [f"Caveat: {line}" if i == 0 else line
              for c in report.caveats for i, line in enumerate(textwrap.wrap(c, 140))]
    if report.answers_note:
        lines += textwrap.wrap(report.answers_note, 150)
    fig.text(0.04, 0.91, "\n".join(lines), fontsize=8, va="top", linespacing=1.4)
    a = report.answers
    if a.empty:
        fig.text(0.04, 0.6, "No target has a value within the horizon.", fontsize=11)
        return fig
    several = a["scenario"].nunique() > 1
    cols = (["scenario"] if several else []) + ["target", "threshold"] \
        + [str(y) for y in report.years] + ["earliest ≥50% / ≥80%", "shortfall", "hinges on"]
    cells = []
    for r in a.itertuples(index=False):
        p = [f"{r.p_met[y]:.0%}" if y in r.p_met else "" for y in report.years]
        cells.append(([r.scenario] if several else []) + [r.target, r.threshold] + p
                     + [f"{r.year_p50} / {r.year_p80}", r.shortfall,
                        textwrap.shorten(r.hinges_on, 50, placeholder=" …")])
    top = 0.91 - 0.02 * (len(lines) + 1)
    ax = fig.add_axes((0.04, 0.04, 0.92, max(0.2, top - 0.04)))
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=cols, loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(7 if len(cells) > 12 else 8)
    table.auto_set_column_width(list(range(len(cols))))
    for (row, col), cell in table.get_celld().items():
        if row == 0:
            cell.set_facecolor("#edf2f7")
        text = cell.get_text().get_text()
        if row > 0 and text.endswith("%") and cols[col].isdigit():
            p = float(text[:-1]) / 100
            cell.set_facecolor("#c6f6d5" if p >= 0.8 else "#fefcbf" if p >= 0.5 else "#fed7d7")
    table.scale(1, 1.5)
    return fig


def _figure_page(caption: str, png: Path) -> Figure:
    """A figure's PNG on a page of its own, embedded at its own pixels: the PDF viewer scales
    it (``interpolation="none"`` on a vector backend), so the page costs no resampling, and an
    opaque figure is embedded as RGB (no alpha mask to encode beside it)."""
    from PIL import Image

    with Image.open(png) as im:
        rgba = im.convert("RGBA")  # (a palette or grey PNG as colours, not as its indices)
        opaque = rgba.getextrema()[3][0] == 255
        image = np.asarray(rgba.convert("RGB") if opaque else rgba)
    h, w = image.shape[:2]
    fig = Figure(figsize=A4_LANDSCAPE if w > h else A4)
    ax = fig.add_axes((0.04, 0.08, 0.92, 0.86))
    ax.imshow(image, interpolation="none")
    ax.axis("off")
    fig.text(0.04, 0.04, "\n".join(textwrap.wrap(plain_text(caption), 150)), fontsize=9,
             va="top")
    return fig


def _definition_lines(report: Report) -> list[str]:
    lines: list[str] = []
    for target, plan, definition in report.definitions:
        lines += textwrap.wrap(f"{target} — {plain_text(plan)}", WRAP)
        lines += ["    " + line for line in textwrap.wrap(plain_text(definition), WRAP - 4)]
        lines.append("")
    return lines


def _detail_lines(report: Report) -> list[str]:
    lines = ["Assumptions", ""]
    for item in report.assumptions:
        wrapped = textwrap.wrap(plain_text(item), WRAP - 2)
        lines += ["• " + wrapped[0], *("  " + w for w in wrapped[1:])] if wrapped else []
    lines += ["", "Run details", ""]
    for label, value in report.details:
        lines += textwrap.wrap(f"{label}: {value}", WRAP, subsequent_indent="    ")
    return lines


def _text_page(title: str, lines: list[str]) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, title, fontsize=14, weight="bold", va="top")
    fig.text(0.07, 0.91, "\n".join(lines[:80]), fontsize=8, va="top", family="DejaVu Sans",
             linespacing=1.35)
    return fig
