"""What decides a target: which assumption values it is met under, and which matter most.

For one scenario, target and year, ``x`` holds each replicate's assumption values (a row per
replicate, a column per key) and ``met`` whether the target was met in that replicate. Four
answers, each honest about what 50-odd futures can and cannot show:

- :func:`met_box`: scenario discovery with PRIM (``ema_workbench.analysis.prim``, as in the EMA
  Workbench; its peeling step on arrays, :mod:`sim.experiments.ema`): the box of assumption
  values in which the target is met. Of PRIM's peeling trajectory the box with the best
  balance of coverage (share of the met futures inside the box) and density (share of the
  futures inside the box that meet it) is kept, then a restriction is dropped while that
  balance does not suffer, so the box names only keys that matter.
- :func:`importance`: extra-trees feature scores (``ema_workbench.analysis.feature_scoring``),
  seeded, summing to 1 over the keys.
- :func:`value_of_information`: how far P(met) would move, on average, if a key were known to
  lie in its lower, middle or upper third; ``noise`` is what the same measure shows for a key
  with no effect (the met futures shuffled), the floor below which a value means nothing.
- :func:`assumption_share`: the share of the target value's variance across replicates that the
  assumptions explain (out-of-bag R^2 of a random forest); the rest is chance together with
  what this many futures cannot resolve, so it is a lower bound on the assumptions' share.

EMA Workbench takes seconds to import, so it is imported (:mod:`sim.experiments.ema`) only when
drivers are computed.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.sharing import SharedJobs

TOP_KEYS = 5           # keys per scenario, target and year in drivers.csv (beside the box's)
EDGE = 0.05            # P(met) at or beyond EDGE of 0 or 1 counts as settled: no drivers
MIN_MINORITY = 3       # ... and so does a verdict every replicate but two agrees on
FOREST_SEED = 20220101 # the trees' own seed: the same table gives the same scores
DROP_TOLERANCE = 0.02  # a restriction is dropped if the box's F score falls by less than this
MAX_BOX_KEYS = 3       # a box a sentence can state: the three restrictions that matter most


@dataclass(frozen=True)
class Box:
    """A box of assumption values: ``limits`` {key: (low, high)} on its restricted keys only."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float


def is_uncertain(met: np.ndarray) -> bool:
    """True when the replicates disagree enough for drivers to mean something."""
    p, n_met = float(np.mean(met)), int(np.sum(met))
    return EDGE < p < 1 - EDGE and min(n_met, len(met) - n_met) >= MIN_MINORITY


def inside(x: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for key, (lo, hi) in limits.items():
        mask &= (x[key].to_numpy() >= lo) & (x[key].to_numpy() <= hi)
    return mask


def box_scores(x: pd.DataFrame, met: np.ndarray, limits) -> tuple[float, float, float]:
    """Coverage, density and their harmonic mean (F) of the box ``limits``."""
    box = inside(x, limits)
    hits = float(np.sum(met & box))
    coverage = hits / max(1.0, float(np.sum(met)))
    density = hits / max(1.0, float(np.sum(box)))
    f = 0.0 if hits == 0 else 2 * coverage * density / (coverage + density)
    return coverage, density, f


def met_box(x: pd.DataFrame, met: np.ndarray) -> Box | None:
    """PRIM's box of the assumption values under which the target is met (None: no box)."""
    from sim.experiments.ema import Prim

    met = np.asarray(met, dtype=bool)
    varying = [c for c in x.columns if x[c].nunique() > 1]
    if not varying or not met.any() or met.all():
        return None
    data = plain(x[varying])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = Prim(data, met, threshold=0.5).find_box()
    init = found.prim.box_init if hasattr(found, "prim") else None
    best, best_f = None, -1.0
    for lims in found.box_lims:
        limits = restrictions(lims, init if init is not None else found.box_lims[0], varying)
        f = box_scores(data, met, limits)[2]
        if f > best_f + 1e-12:
            best, best_f = limits, f
    if not best:
        return None
    best = prune(data, met, best)
    coverage, density, _ = box_scores(data, met, best)
    return Box(best, coverage, density)


def plain(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` as floats on a fresh row index, its column labels plain Python strings: pandas's
    default string labels (Arrow-backed) make every one of PRIM's many column look-ups slower
    (a cell's PRIM took a fifth longer); the values, and so the boxes and scores, are the same."""
    out = x.astype(float).reset_index(drop=True)
    out.columns = pd.Index(list(out.columns), dtype=object)
    return out


def restrictions(lims: pd.DataFrame, init: pd.DataFrame, keys: list[str]) -> dict:
    """The keys a PRIM box restricts, with its bounds on them."""
    box, start = lims[keys].to_numpy(), init[keys].to_numpy()  # rows: low, high
    cut = (box[0] > start[0]) | (box[1] < start[1])
    return {k: (float(box[0, i]), float(box[1, i])) for i, k in enumerate(keys) if cut[i]}


def prune(x: pd.DataFrame, met: np.ndarray, limits: dict) -> dict:
    """Drop restrictions, weakest first, while the box's F score falls by less than
    :data:`DROP_TOLERANCE` or the box has more than :data:`MAX_BOX_KEYS`: a key the box does not
    need is not reported as deciding."""
    limits = dict(limits)
    while len(limits) > 1:
        f_now = box_scores(x, met, limits)[2]
        trials = {k: box_scores(x, met, {j: v for j, v in limits.items() if j != k})[2]
                  for k in limits}
        key = max(trials, key=lambda k: (trials[k], k))
        if trials[key] < f_now - DROP_TOLERANCE and len(limits) <= MAX_BOX_KEYS:
            break
        del limits[key]
    return limits


def importance(x: pd.DataFrame, met: np.ndarray) -> pd.Series:
    """Extra-trees feature scores of the keys for met/not met, largest first (sum 1)."""
    from sim.experiments.ema import feature_scoring

    # Only the scores are kept: the out-of-bag score EMA asks for by default (each tree's
    # bootstrap drawn again and the forest's predictions on what it left out, about a fifth of
    # the fit) would be thrown away. The trees, and so the scores, are the same without it.
    scores, _ = feature_scoring.get_ex_feature_scores(
        plain(x), np.asarray(met, dtype=int),
        random_state=FOREST_SEED, oob_score=False)
    s = scores.iloc[:, 0]
    return s.reindex(x.columns).fillna(0.0).sort_values(ascending=False, kind="mergesort")


def tercile_shift(values: np.ndarray, met: np.ndarray) -> float:
    """Mean over the key's thirds of |P(met | third) - P(met)|."""
    order = np.argsort(values, kind="mergesort")
    p = float(np.mean(met))
    return float(np.mean([abs(float(np.mean(met[part])) - p)
                          for part in np.array_split(order, 3) if len(part)]))


def value_of_information(x: pd.DataFrame, met: np.ndarray, shuffles: int = 200
                         ) -> tuple[pd.Series, float]:
    """Per key, the expected absolute change in P(met) from learning its third; and the noise
    floor (mean of the same measure over ``shuffles`` shuffles of the met futures)."""
    met = np.asarray(met, dtype=float)
    voi = pd.Series({k: tercile_shift(x[k].to_numpy(), met) for k in x.columns})
    rng = np.random.default_rng(FOREST_SEED)
    ranks = np.arange(len(met))
    noise = float(np.mean([tercile_shift(ranks, rng.permutation(met)) for _ in range(shuffles)]))
    return voi.sort_values(ascending=False, kind="mergesort"), noise


def assumption_share(x: pd.DataFrame, value: np.ndarray) -> float:
    """Share of the value's variance the assumptions explain (out-of-bag R^2, at least 0)."""
    from sklearn.ensemble import RandomForestRegressor

    value = np.asarray(value, dtype=float)
    if len(value) < 10 or np.var(value) <= 0 or x.shape[1] == 0:
        return float("nan")
    forest = RandomForestRegressor(n_estimators=150, min_samples_leaf=3, oob_score=True,
                                   random_state=FOREST_SEED)
    forest.fit(x.astype(float).to_numpy(), value)
    return float(min(1.0, max(0.0, forest.oob_score_)))


# ---------------------------------------------------------------------------------------------
# A forecast's drivers: every scenario, target and year that is neither settled nor hopeless


def focus_year(rows: pd.DataFrame) -> int | None:
    """The year a target's sentence speaks of: the first with P(met) >= 0.5, else the year it
    comes closest (the latest such year)."""
    if rows.empty:
        return None
    rows = rows.sort_values("year")
    hit = rows.loc[rows["p_met"] >= 0.5, "year"]
    if len(hit):
        return int(hit.iloc[0])
    best = rows["p_met"].max()
    return int(rows.loc[rows["p_met"] == best, "year"].iloc[-1])


def forecast_drivers(annual: pd.DataFrame, x_of: dict[str, pd.DataFrame], att: pd.DataFrame,
                     workers: int | None = 1) -> dict[str, pd.DataFrame]:
    """``drivers`` (scenario, target, year, key, importance, low, high, coverage, density),
    ``value_of_information`` (scenario, target, year, key, voi, noise) and
    ``chance_vs_assumptions`` (scenario, target, year, p_met, share_assumptions, share_chance,
    the latter at each target's focus year). ``x_of[scenario]``: its replicates' assumption
    values (a row per replicate). The undecided cells (PRIM and the trees, about a second each)
    and the shares run on ``workers`` processes (None: one per core); each is seeded, so the
    tables do not depend on ``workers``. :class:`DriverTables` starts them and lets the caller
    work meanwhile."""
    with DriverTables(annual, x_of, att, workers) as pending:
        return pending.result()


class DriverTables:
    """:func:`forecast_drivers` under way. Entering hands every job to ``workers - 1`` worker
    processes of their own (forks of this one where that is safe, each importing EMA Workbench
    once; see ``LocalExecutor(fresh=True)``), so the caller can draw while they compute;
    :meth:`drivers_of` gives one target's drivers rows (the cells go out target by target, in
    the order of ``targets``), :meth:`result` the tables. Whatever this
    process waits for it computes itself instead (:class:`SharedJobs`): it is the last of the
    ``workers``. So two workers are one process beside this one, which keeps a forecast's
    memory down while it draws, and no core idles once it is done drawing; :attr:`shared`
    takes other jobs too (figures), after the drivers'. Leaving stops the workers (at once on
    Ctrl-C). With one worker every job runs in this process when first asked for."""

    def __init__(self, annual: pd.DataFrame, x_of: dict[str, pd.DataFrame], att: pd.DataFrame,
                 workers: int | None = 1, targets: list[str] = ()):
        self.labels, self.jobs = driver_jobs(annual, x_of, att)
        rank = {t: i for i, t in enumerate(targets)}
        self._order = sorted(range(len(self.jobs)), key=lambda i: (
            self.labels[i][0] != "cell", rank.get(self.labels[i][1]["target"], len(rank)), i))
        if workers is None:
            from sim.experiments.executors import default_workers

            workers = default_workers()
        self.workers = max(1, min(workers, len(self.jobs)))
        self.seconds: float | None = None   # wall time from entering to the last job's end
        self.shared = SharedJobs()          # (this process alone until entered with workers)
        self._executor, self._handle = None, {}

    def __enter__(self) -> DriverTables:
        self._t0 = time.time()  # (the workers' clock too: they report when each job ended)
        if self.workers > 1:
            from sim.experiments.executors import LocalExecutor

            self._executor = LocalExecutor(self.workers - 1, fresh=True).__enter__()
        try:
            self.shared = SharedJobs(self._executor)
            for i in self._order:  # all at once: a few dozen small tables
                self._handle[i] = self.shared.add(run_driver_job, self.jobs[i])
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self._executor is not None:
            self._executor.__exit__(exc_type, *exc)
            self._executor = None

    def _results(self, wanted: list[int]) -> list[tuple]:
        """(result, end time) of the jobs ``wanted``."""
        return self.shared.results([self._handle[i] for i in wanted])

    def drivers_of(self, target: str) -> pd.DataFrame:
        """drivers.csv's rows of ``target`` (every scenario), in the table's order."""
        cells = [i for i, (kind, label) in enumerate(self.labels)
                 if kind == "cell" and label["target"] == target]
        rows = [row for result, _ in self._results(cells) for row in result[0]]
        return pd.DataFrame(rows, columns=DRIVER_COLUMNS)

    def result(self) -> dict[str, pd.DataFrame]:
        """The three tables (the same whatever the number of workers)."""
        got = dict(zip(self._order, self._results(self._order)))
        self.seconds = max((end for _, end in got.values()), default=self._t0) - self._t0
        drv, voi, shares = [], [], []
        for i, (kind, label) in enumerate(self.labels):
            result = got[i][0]
            if kind == "cell":
                drv += result[0]
                voi += result[1]
            else:
                shares.append({**label, **result})
        return {"drivers": pd.DataFrame(drv, columns=DRIVER_COLUMNS),
                "value_of_information": pd.DataFrame(voi, columns=["scenario", "target", "year",
                                                                   "key", "voi", "noise"]),
                "chance_vs_assumptions": pd.DataFrame(shares, columns=[
                    "scenario", "target", "year", "p_met", "share_assumptions", "share_chance"])}


def driver_jobs(annual: pd.DataFrame, x_of: dict[str, pd.DataFrame], att: pd.DataFrame
                ) -> tuple[list[tuple[str, dict]], list[tuple]]:
    """Every job of the driver tables, each with its kind and label: ``("cell", label)`` for an
    undecided scenario, target and year (:func:`one_cell`), ``("share", label)`` for a target's
    focus year (:func:`assumption_share`). The cells come first, then the shares (short, they
    fill the workers' last gaps); the tables keep each kind's own order."""
    cells, shares = [], []
    for (scenario, target), runs in annual.groupby(["scenario", "target"], sort=False):
        x = x_of.get(scenario)
        if x is None or x.empty:
            continue
        x = x.loc[:, [c for c in x.columns if x[c].nunique() > 1]]
        rows = att[(att["scenario"] == scenario) & (att["target"] == target)]
        year0 = focus_year(rows)
        for year, one in runs.groupby("year", sort=True):
            one = one.sort_values("replicate")
            xs = x.loc[one["replicate"].to_numpy()]
            met = one["met"].to_numpy(dtype=bool)
            label = {"scenario": scenario, "target": target, "year": int(year)}
            if year == year0 and x.shape[1]:
                shares.append((("share", label), ("share", (xs, one["value"].to_numpy(), met))))
            if is_uncertain(met) and x.shape[1]:
                cells.append((("cell", label), ("cell", (label, xs, met))))
    both = cells + shares
    return [lab for lab, _ in both], [job for _, job in both]


def run_driver_job(job: tuple[str, tuple]):
    """One job of :func:`driver_jobs` (in whatever process this is called)."""
    kind, args = job
    if kind == "cell":
        return one_cell(args)
    xs, value, met = args
    share = assumption_share(xs, value)
    return {"p_met": float(met.mean()), "share_assumptions": share, "share_chance": 1 - share}


def one_cell(cell: tuple[dict, pd.DataFrame, np.ndarray]) -> tuple[list[dict], list[dict]]:
    """The drivers rows and the value-of-information rows of one undecided cell."""
    label, xs, met = cell
    values, noise = value_of_information(xs, met)
    return (cell_drivers(label, xs, met),
            [{**label, "key": k, "voi": float(v), "noise": noise} for k, v in values.items()])


DRIVER_COLUMNS = ["scenario", "target", "year", "key", "importance", "low", "high", "coverage",
                  "density"]


def cell_drivers(label: dict, x: pd.DataFrame, met: np.ndarray) -> list[dict]:
    """drivers.csv rows of one scenario, target and year: the box's keys and the top keys."""
    box = met_box(x, met)
    scores = importance(x, met)
    keys = list(dict.fromkeys([*(box.limits if box else {}), *scores.index[:TOP_KEYS]]))
    keys.sort(key=lambda k: -scores[k])
    out = []
    for key in keys:
        lo, hi = box.limits.get(key, (np.nan, np.nan)) if box else (np.nan, np.nan)
        out.append({**label, "key": key, "importance": float(scores[key]), "low": lo, "high": hi,
                    "coverage": box.coverage if box else np.nan,
                    "density": box.density if box else np.nan})
    return out
