"""EMA Workbench's analysis tools as the driver tables use them: imported quietly and cheaply,
and PRIM with its peeling step done on arrays.

Import this module only where drivers are computed: it imports EMA Workbench (seconds).

- *Import.* EMA Workbench's ``method_logger`` decorator asks ``inspect.getouterframes`` for the
  whole call stack, with each frame's source file found through ``inspect.getmodule`` (a walk
  of ``sys.modules``), only to read its caller's name. In a forecast's main process (thousands
  of modules, the import deep in the call stack) that was most of the import's cost; during
  the import a plain walk of the frames stands in (:func:`frames_without_source`).
- *PRIM.* :class:`Prim` is ``ema_workbench.analysis.prim.Prim`` with its peeling step rewritten:
  the library builds and deep-copies a box-limits DataFrame for each of the 2 × (columns)
  candidate peels of every step and counts each one's restricted dimensions through pandas,
  to keep one. Here a candidate is its (row, column, value) and its count of restricted
  dimensions is the current box's, updated for the one column it changes; only the kept
  candidate becomes a DataFrame. Same quantiles (``get_quantile``), same objective function,
  same stable sort on (objective, unrestricted dimensions), so the same boxes, trajectory and
  indices (``tests/test_experiments_drivers.py`` compares the two on random and tied data);
  two to three times faster over a forecast's cells. Boxes over integer or categorical columns
  peel as the library does.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import logging
import warnings
from operator import itemgetter

import numpy as np


def frames_without_source(frame, context: int = 1) -> list[tuple]:
    """``inspect.getouterframes`` without the source lookups: (frame, filename, lineno,
    function, None, None) per frame, outermost last."""
    out = []
    while frame is not None:
        code = frame.f_code
        out.append((frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
        frame = frame.f_back
    return out


@contextlib.contextmanager
def cheap_outer_frames():
    """``inspect.getouterframes`` is :func:`frames_without_source` inside the block."""
    original = inspect.getouterframes
    inspect.getouterframes = frames_without_source
    try:
        yield
    finally:
        inspect.getouterframes = original


with warnings.catch_warnings(), cheap_outer_frames():
    warnings.filterwarnings("ignore", message=".*ipyparallel.*")  # (its note: not installed)
    from ema_workbench.analysis import feature_scoring, prim
    from ema_workbench.analysis.prim_util import get_quantile
logging.getLogger("EMA").setLevel(logging.WARNING)

__all__ = ["Prim", "prim", "feature_scoring", "cheap_outer_frames"]


class Prim(prim.Prim):
    """PRIM (``ema_workbench.analysis.prim.Prim``) with the peeling step on arrays."""

    def _peel(self, box):
        """The library's ``_peel`` for float columns: peel while the best candidate keeps at
        least ``mass_min`` of the data, removes some and raises the objective."""
        columns = self.x_float_colums
        if (self.x_int_columns.size or self.x_nominal_columns.size
                or list(columns) != list(self.box_init.columns)):
            return super()._peel(box)
        init = self.box_init.to_numpy()  # rows: lower, upper limits
        alphas = ((1, 1 - self.peel_alpha), (0, self.peel_alpha))  # upper first, as the library
        while True:
            mass_old = box.yi.shape[0] / self.n
            x = self.x_float[box.yi]
            cut = box.box_lims[-1].to_numpy() != init
            cut_columns = cut.any(axis=0)
            n_cut = int(np.count_nonzero(cut_columns))
            y_old = self.y[box.yi]
            candidates = []
            for j, column in enumerate(columns):
                xj = x[:, j]
                others = n_cut - bool(cut_columns[j])  # restricted dimensions besides this one
                for row, alpha in alphas:
                    limit = get_quantile(xj, alpha)
                    indices = box.yi[(xj <= limit) if row == 1 else (xj >= limit)]
                    objective = self.obj_func(self, y_old, self.y[indices])
                    restricted = others + bool(limit != init[row, j] or cut[1 - row, j])
                    candidates.append((objective, self.n_cols - restricted, (row, column, limit),
                                       indices))
            if not candidates:
                return box
            candidates.sort(key=itemgetter(0, 1), reverse=True)  # stable: the first best wins
            objective, _, (row, column, limit), indices = candidates[0]
            mass_new = self.y[indices].shape[0] / self.n
            if not (mass_new >= self.mass_min and mass_new < mass_old and objective > 0):
                return box
            box_new = copy.deepcopy(box.box_lims[-1])
            box_new.loc[row, column] = limit
            box.update(box_new, indices)
