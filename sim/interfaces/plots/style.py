"""What every forecast figure shares: resolution, scenario colours, titles and saving."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.figure import Figure

from sim.experiments.folders import atomic_path
from sim.interfaces.summary import wording

DPI = 110
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def short_wording(meta: dict, target: str) -> str:
    """The plan wording without Chinese characters, which the default fonts cannot draw."""
    text = wording(meta, target)
    head, sep, tail = text.partition(": ")
    if sep and _CJK.search(head) and not _CJK.search(tail):
        return tail
    return _CJK.sub("", text).strip(" :")


def scenario_colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def save_figure(fig: Figure, path: Path) -> None:
    """PNG written atomically, so an interrupted draw never leaves a truncated figure."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
