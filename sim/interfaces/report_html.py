"""``report.html``: one self-contained page (figures embedded as base64 PNG, no script, no
external file), so it opens by double-click, can be mailed on, and prints cleanly."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from sim.interfaces.report import Report

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a202c;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #cbd5e0; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #cbd5e0; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #edf2f7; } td.p { text-align: right; font-variant-numeric: tabular-nums; }
td.hi { background: #c6f6d5; } td.mid { background: #fefcbf; } td.lo { background: #fed7d7; }
.caveat { background: #fffaf0; border-left: 4px solid #dd6b20; padding: .5em .8em; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e2e8f0; }
figcaption { font-size: .85em; color: #4a5568; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  h2 { page-break-before: always; break-before: page; } h2.first { page-break-before: avoid; break-before: avoid; }
  td.hi, td.mid, td.lo, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def write_html(report: Report, path: Path) -> None:
    from sim.experiments.folders import write_text

    write_text(render_html(report), path)


def render_html(report: Report) -> str:
    parts = [f"<h1>{escape(report.title)}</h1>", f"<p>{escape(report.intro)}</p>"]
    parts += [f'<p class="caveat"><strong>Caveat.</strong> {escape(c)}</p>' for c in report.caveats]
    parts += ['<h2 class="first">Answers</h2>']
    if report.answers_note:
        parts.append(f"<p>{escape(report.answers_note)}</p>")
    parts.append(_answers_table(report))
    parts.append("<h2>Figures</h2>")
    for caption, png in report.figures:
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        parts.append(f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
                     f"<figcaption>{escape(caption)}</figcaption></figure>")
    parts.append("<h2>Definitions</h2><dl>")
    for target, plan, definition in report.definitions:
        parts.append(f"<dt><strong>{escape(target)}</strong> — {escape(plan)}</dt>"
                     f"<dd>{escape(definition)}</dd>")
    parts.append("</dl><h2>Assumptions</h2><ul>")
    parts += [f"<li>{escape(a)}</li>" for a in report.assumptions]
    parts.append("</ul><h2>Run details</h2><table>")
    parts += [f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in report.details]
    parts.append("</table>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(report.title)}</title><style>{CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def _p_class(p: float) -> str:
    return "hi" if p >= 0.8 else "mid" if p >= 0.5 else "lo"


def _answers_table(report: Report) -> str:
    a = report.answers
    if a.empty:
        return "<p>No target has a value within the horizon.</p>"
    several = a["scenario"].nunique() > 1
    head = (["scenario"] if several else []) + ["target", "threshold"] \
        + [str(y) for y in report.years] + ["earliest year (≥ 50 % / ≥ 80 %)", "shortfall",
                                            "hinges on"]
    rows = ['<table class="answers"><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>"]
    for r in a.itertuples(index=False):
        cells = ([escape(r.scenario)] if several else []) + [
            f'<span title="{escape(r.plan)}">{escape(r.target)}</span>', escape(r.threshold)]
        row = "".join(f"<td>{c}</td>" for c in cells)
        for y in report.years:
            p = r.p_met.get(y)
            row += ("<td></td>" if p is None
                    else f'<td class="p {_p_class(p)}">{p:.0%}</td>')
        row += "".join(f"<td>{escape(c)}</td>" for c in
                       (f"{r.year_p50} / {r.year_p80}", r.shortfall, r.hinges_on))
        rows.append(f"<tr>{row}</tr>")
    rows.append("</tbody></table>")
    legend = ("<p>P(met) by year: green ≥ 80 %, yellow ≥ 50 %, red below. Hover a target for "
              "the plan's wording (full wording under Definitions).</p>")
    return legend + "\n".join(rows)
