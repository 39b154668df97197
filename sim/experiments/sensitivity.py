"""Global sensitivity analysis of the targets to levers and uncertainties (``skills-sim sensitivity``).

Which levers and uncertain coefficients drive each target? A sensitivity file names factors with
ranges; SALib draws a design over them (Morris elementary-effect trajectories to screen many
factors cheaply, or Saltelli's Sobol design to apportion variance among few), the design runs on
the sweep engine (parallel, streamed to Parquet parts, resumable, Dask-capable: ``run_sweep``),
and SALib analyses each target's value (mean over replicates) and its probability of being met
in a chosen year::

    [sensitivity]
    base = "../params/baseline.toml"   # parameter file every point starts from (relative path)
    method = "morris"                  # "morris" (screening, many factors) or "sobol" (few)
    n = 10                             # Morris trajectories, or Sobol base samples (a power of 2)
    replicates = 5                     # runs per design point (common random numbers)
    seed = 20220101                    # master seed: replicate seeds and the design
    year = 2025                        # the year whose values and P(met) are analysed
    targets = ["T5", "T7", "T9"]       # optional; default all nine
    [sensitivity.set]                  # optional fixed overrides for every point
    "retention.subsidy.enabled" = true
    [sensitivity.factors]              # dotted keys; numbers, whole numbers, switches, months
    "budget.total_yuan" = { low = 4e7, high = 2.4e8 }
    "apprenticeship.subsidy_per_employee_yuan" = { low = 0, high = 8000, integer = true }
    "platform.launch" = { low = "2022-01", high = "2024-12" }      # launch month, by month
    "budget.share_apprenticeship" = { low = 0.05, high = 0.4 }     # see "Budget shares" below

Budget shares. A listed ``budget.share_*`` is set to its drawn value and then *all* shares are
rescaled together to sum to 1, so the unlisted lines keep their proportions to each other and the
money for a listed line comes from all the others in proportion. With every share listed the
values are plain weights. The same rule serves ``skills-sim optimize`` (:func:`lever_overrides`).

Output folder: ``sensitivity.csv`` (target, measure, year, factor, indices, rank, the
replicate-noise level of the indices),
``sensitivity_<target>.png`` (bars with confidence intervals), ``manifest.json``, and ``sweep/``,
the design's runs as a complete sweep folder (its ``annual.parquet``, ``points.csv``, figures),
which is what a re-run resumes. The year and the targets only enter the analysis, so changing
them on a finished folder re-analyses without running anything.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from sim.experiments.folders import begin_update, manifest, now_iso, write_csv, write_manifest
from sim.experiments.progress import Progress
from sim.experiments.ranges import Factor, lever_overrides, parse_factors
from sim.experiments.seeds import keyed_seed, replicate_seeds
from sim.params import MISSING, ParamError, Params, StrictModel, dist_version
from sim.experiments.assumptions import replicate_overrides
from sim.experiments.study_files import read_study_table, resolve_base
from sim.experiments.sweep import SweepError, check_sweep_folder, run_sweep
from sim.experiments.sweep_file import Sweep

TARGET_IDS = tuple(f"T{k}" for k in range(1, 10))
MEASURES = {"value": "value (mean over replicates)", "p_met": "P(met)"}
_DESIGN_KEY = 0x5A11B  # spawn key of SALib's design and bootstrap seeds (replicates use (k,))


# ---------------------------------------------------------------------------------------------
# Factors and levers (shared with sim.experiments.optimize)


# ---------------------------------------------------------------------------------------------
# The sensitivity file


class SensitivityTable(StrictModel):
    """The ``[sensitivity]`` table as written; factors are checked one by one."""

    base: str = Field(min_length=1)
    method: Literal["morris", "sobol"] = "morris"
    n: int = Field(ge=2, le=100_000)
    levels: int | None = Field(default=None, ge=2, le=20)
    replicates: int = Field(ge=1, le=10_000)
    seed: int = Field(ge=0, lt=2**63)
    year: int = Field(ge=1990, le=2100)
    targets: list[str] = Field(default_factory=lambda: list(TARGET_IDS), min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=80,
                             pattern=r"^[A-Za-z0-9_.\-]+$")
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    factors: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True)
class Sensitivity:
    """A validated sensitivity study: factors, SALib's design (unit scale) and its sweep."""

    path: Path
    spec: SensitivityTable
    factors: tuple[Factor, ...]
    problem: dict[str, Any]
    unit: np.ndarray  # the design as SALib drew it, on [0, 1] per factor
    sweep: Sweep

    @property
    def levels(self) -> int:
        return self.spec.levels or 4

    def definition(self) -> dict[str, Any]:
        """What the analysis depends on beyond the sweep's own definition."""
        return {"method": self.spec.method, "n": self.spec.n,
                "levels": self.levels if self.spec.method == "morris" else None,
                "year": self.spec.year, "targets": list(self.spec.targets),
                "factors": {f.key: f.spec() for f in self.factors},
                "set": self.sweep.fixed, "replicates": self.spec.replicates,
                "seed": self.spec.seed, "design_seed": design_seed(self.spec.seed)}


def design_seed(master: int) -> int:
    """SALib's seed for the design and the bootstrap, derived from the master seed."""
    return keyed_seed(master, _DESIGN_KEY)


def load_sensitivity(path: str | Path) -> Sensitivity:
    """Read and validate a sensitivity file; every design point is checked before any run."""
    path = Path(path)
    source, table, spec = read_study_table(path, "sensitivity", SensitivityTable)
    if spec.method == "sobol" and spec.n & (spec.n - 1):
        raise ParamError(source, "sensitivity.n", spec.n, "a Sobol design needs a power of 2 "
                         f"(e.g. {2 ** round(math.log2(spec.n))}) to keep its balance")
    if spec.method == "sobol" and spec.levels is not None:
        raise ParamError(source, "sensitivity.levels", spec.levels, "levels is for Morris only")
    bad = [t for t in spec.targets if t not in TARGET_IDS]
    if bad or len(set(spec.targets)) != len(spec.targets):
        raise ParamError(source, "sensitivity.targets", spec.targets,
                         f"expected distinct targets among {', '.join(TARGET_IDS)}")
    base, fixed = resolve_base(path, spec.base, spec.fixed, "sensitivity")
    check_year(base, spec.year, source, "sensitivity.year")
    factors = parse_factors(spec.factors, base, source, "sensitivity.factors", fixed)
    problem = {"num_vars": len(factors), "names": [f.key for f in factors],
               "bounds": [[0.0, 1.0]] * len(factors)}
    unit = draw_design(spec.method, problem, spec.n, spec.levels or 4, spec.seed)
    levels = spec.method == "morris"
    points = tuple(tuple(f.at_unit(u, levels) for f, u in zip(factors, row)) for row in unit)
    sweep = Sweep(
        path=path, name=spec.name or path.stem, base=base, design=spec.method, size=spec.n,
        replicates=spec.replicates, seed=spec.seed, monthly=False, fixed=fixed,
        axes={f.key: f.spec() for f in factors}, factors=tuple(factors), points=points, seeds=tuple(replicate_seeds(spec.seed, spec.replicates)),
        assumptions=replicate_overrides(base, spec.replicates, spec.seed, source),
        transform=lambda values: lever_overrides(base, values),
    )
    sweep.check_points()
    return Sensitivity(path, spec, tuple(factors), problem, unit, sweep)


def check_year(base: Params, year: int, source: str, key: str) -> None:
    first, last = base.run.start_year, base.run.start_year + base.run.years - 1
    if not first <= year <= last:
        raise ParamError(source, key, year, f"the runs simulate {first}-{last} (run.start_year, "
                         f"run.years of the base file and [set]); choose a year within them")


def draw_design(method: str, problem: dict, n: int, levels: int, seed: int) -> np.ndarray:
    """SALib's design on the unit cube: Morris trajectories, or Saltelli's Sobol sample
    (first and total order only: n x (factors + 2) points)."""
    import warnings

    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on sample sizes: checked above
        if method == "morris":
            x = morris_sample.sample(problem, n, num_levels=levels, seed=design_seed(seed))
        else:
            x = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True,
                                    seed=design_seed(seed))
    return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Running and analysing


@dataclass
class SensitivityOutcome:
    out: Path
    table: pd.DataFrame
    n_runs: int
    ran: int
    failed: int


def outputs_y(annual: pd.DataFrame, sens: Sensitivity) -> dict[tuple[str, str], np.ndarray]:
    """Per (target, measure), one number per design point in the analysed year."""
    year = annual[annual["year"] == sens.spec.year]
    g = year.groupby(["target", "point"])
    table = pd.DataFrame({"value": g["value"].mean(), "p_met": g["met"].mean()})
    n = sens.sweep.n_points
    ys = {}
    for target in sens.spec.targets:
        for measure in MEASURES:
            y = np.full(n, np.nan)
            if target in table.index.get_level_values(0):
                s = table.loc[target, measure]
                y[s.index.to_numpy()] = s.to_numpy(dtype=float)
            ys[(target, measure)] = y
    return ys


def replicate_noise(annual: pd.DataFrame, sens: Sensitivity) -> dict[tuple[str, str], float]:
    """What replicate noise alone would show, per (target, measure): for Morris the mu* of a
    factor without effect if the two ends of each step were independent means of R replicates
    (sqrt(2/pi) x sqrt(2 s^2 / R) / delta), for Sobol the share of the output's variance that is
    replicate noise (s^2 / R over the variance across points). s^2 is the pooled variance within
    points. Common random numbers make the real floor lower; one model stream for every draw
    makes it approach this bound, as any change of a lever reshuffles later draws."""
    year = annual[annual["year"] == sens.spec.year]
    r = sens.spec.replicates
    out: dict[tuple[str, str], float] = {}
    if r < 2:
        return out
    g = year.groupby(["target", "point"])
    within = {"value": g["value"].var(ddof=1).groupby(level=0).mean(),
              "p_met": (g["met"].mean() * (1 - g["met"].mean()) * r / (r - 1))
              .groupby(level=0).mean()}
    means = {"value": g["value"].mean(), "p_met": g["met"].mean()}
    delta = sens.levels / (2 * (sens.levels - 1))
    for measure, var in within.items():
        for target, s2 in var.items():
            if sens.spec.method == "morris":
                out[(target, measure)] = math.sqrt(2 / math.pi) * math.sqrt(2 * s2 / r) / delta
            else:
                total = float(means[measure].loc[target].var(ddof=1))
                out[(target, measure)] = float(s2 / r / total) if total > 0 else math.nan
    return out


def analyse(sens: Sensitivity, annual: pd.DataFrame) -> pd.DataFrame:
    """SALib's indices for every target and measure, ranked (1 = most influential), with the
    replicate-noise level beside them (:func:`replicate_noise`)."""
    import warnings

    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    rows = []
    names = [f.key for f in sens.factors]
    noise = replicate_noise(annual, sens)
    for (target, measure), y in outputs_y(annual, sens).items():
        base = {"target": target, "measure": measure, "year": sens.spec.year,
                "noise": noise.get((target, measure), math.nan)}
        if np.isnan(y).any():  # the model did not produce this target at some points
            for name in names:
                rows.append({**base, "factor": name, "note": "not produced at every point"})
            continue
        constant = bool(np.ptp(y) == 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if sens.spec.method == "morris":
                r = morris_analyze.analyze(sens.problem, sens.unit, y, num_levels=sens.levels,
                                           num_resamples=1000, seed=design_seed(sens.spec.seed))
                cols = {"mu": r["mu"], "mu_star": r["mu_star"], "mu_star_conf": r["mu_star_conf"],
                        "sigma": r["sigma"]}
                key = np.asarray(r["mu_star"], dtype=float)
            else:
                if constant:  # no variance to apportion: indices are undefined, not zero
                    nan = np.full(len(names), np.nan)
                    cols = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
                else:
                    r = sobol_analyze.analyze(sens.problem, y, calc_second_order=False,
                                              num_resamples=1000,
                                              seed=design_seed(sens.spec.seed))
                    cols = {k: r[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}
                key = np.asarray(cols["ST"], dtype=float)
        rank = pd.Series(np.where(np.isnan(key), -np.inf, key)).rank(ascending=False,
                                                                      method="min")
        note = "constant over the design" if constant else ""
        for i, name in enumerate(names):
            row = {**base, "factor": name}
            row.update({k: float(v[i]) for k, v in cols.items()})
            row["rank"] = pd.NA if np.isnan(key[i]) else int(rank[i])
            row["note"] = note
            rows.append(row)
    index_cols = (["mu", "mu_star", "mu_star_conf", "sigma"] if sens.spec.method == "morris"
                  else ["S1", "S1_conf", "ST", "ST_conf"])
    table = pd.DataFrame(rows, columns=["target", "measure", "year", "factor", *index_cols,
                                        "rank", "noise", "note"])
    table["rank"] = table["rank"].astype("Int64")
    order = {t: i for i, t in enumerate(sens.spec.targets)}
    table = table.assign(_t=table["target"].map(order), _m=table["measure"].map(
        {m: i for i, m in enumerate(MEASURES)}))
    return (table.sort_values(["_t", "_m", "rank", "factor"], kind="mergesort")
            .drop(columns=["_t", "_m"]).reset_index(drop=True))


def run_sensitivity(sens: Sensitivity, out: str | Path, workers: int | None = None,
                    executor: str = "local", scheduler: str | None = None,
                    progress: Progress | None = None, log=None, runner=None) -> SensitivityOutcome:
    """Run (or resume) the design in ``out/sweep`` on the sweep engine, then analyse and write.

    ``runner`` replaces :func:`sim.experiments.executors.execute` (``Job -> RunResult``): a cheap synthetic
    model with a known answer in the tests.
    """
    from sim.experiments.executors import default_workers

    out = Path(out)
    say = log or (lambda msg: None)
    check_out(out)
    check_sweep_folder(out / "sweep", sens.sweep)  # a changed file is refused untouched
    started, t0 = now_iso(), time.perf_counter()
    if out.is_dir():
        begin_update(out)  # incomplete until the manifest is written again, last
    done = run_sweep(sens.sweep, out / "sweep", workers=workers, executor=executor,
                     scheduler=scheduler, progress=progress, log=say, runner=runner)
    if done.failed:
        raise SweepError(f"{done.failed} of {done.n_runs} runs failed (see "
                         f"{out / 'sweep' / 'failures.csv'}); the indices need every point. "
                         "Re-running the same command retries just those runs")
    annual = pd.read_parquet(out / "sweep" / "annual.parquet",
                             filters=[("year", "=", sens.spec.year)])
    table = analyse(sens, annual)
    write_csv(table, out / "sensitivity.csv")
    write_manifest(manifest(
        "sensitivity", sens.sweep.base.to_dict(),
        {"master": sens.spec.seed, "replicates": list(sens.sweep.seeds),
         "design": design_seed(sens.spec.seed),
         "method": "replicate k has the same seed at every design point (common random "
                   "numbers), derived as skills-sim forecast derives replicates; SALib's design "
                   "and bootstrap use the design seed, derived from the master seed"},
        started, sensitivity_file=str(sens.path), definition=sens.definition(),
        design={"points": sens.sweep.n_points, "runs": done.n_runs,
                "this_session": done.ran, "folder": "sweep"},
        executor=executor, scheduler=scheduler,
        workers=workers if workers or executor == "dask" else default_workers(),
        versions={"SALib": dist_version("SALib")}, figures=figure_names(table),
        elapsed_s=round(time.perf_counter() - t0, 1),
    ), out, ["sensitivity.csv"])
    return SensitivityOutcome(out, table, done.n_runs, done.ran, done.failed)


def figure_names(table: pd.DataFrame) -> list[str]:
    """The figures :func:`sim.interfaces.plots.sensitivity.plot_sensitivity` draws for ``table``."""
    return [f"sensitivity_{t}.png" for t in table["target"].unique()]


def check_out(out: Path) -> None:
    """Refuse a foreign, non-empty ``--out`` before anything is written (a sensitivity folder
    has ``sweep/sweep.json``; its own sweep refuses a different design)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "sweep" / "sweep.json").is_file())):
        raise ParamError(str(out), "<file>", MISSING,
                         "--out exists and is not a sensitivity folder; give a new or empty "
                         "folder, or the folder of an earlier run of this file to resume it")


# ---------------------------------------------------------------------------------------------
# Figures and the answer in words


# ---------------------------------------------------------------------------------------------
# The command
