"""``skills-sim report DIR``: write report.html and report.pdf of a finished forecast or sweep."""

from __future__ import annotations

from pathlib import Path


def command(args) -> int:
    from sim.interfaces.report_files import write_report

    paths = write_report(Path(args.dir))
    print(f"wrote {', '.join(str(p) for p in paths)} (open report.html by double-click; "
          "report.pdf prints on A4)")
    return 0
