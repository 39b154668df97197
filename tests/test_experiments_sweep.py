"""Sweeps: the same numbers on any executor, exactly-once resume after ``kill -9``, failures
recorded without stopping the rest, flat memory, and every shipped experiment valid.

Runs use a small city (10 persons per agent, 2 years, ~0.5 s a run) so the file stays well
under 90 s on two cores.
"""

from __future__ import annotations

import gc
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.params import BASELINE_PATH, ParamError
from sim.experiments.executors import execute
from sim.experiments.sweep import run_sweep
from sim.experiments.sweep_file import load_sweep
from sim.interfaces.plots.sweep import plot_sweep

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"run.persons_per_agent": 10, "run.years": 2}
TINY = {"run.persons_per_agent": 100, "run.years": 1}
REF_AXES = {"labour_market.outside_wage_premium": [0.0, 0.6], "major_adjustment.speed": [0.05, 0.3]}
REF_REPLICATES = 2
QUIET = {"progress": False, "log": lambda msg: None}


def _toml_value(v) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # TOML spells them nan, inf, -inf
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def write_sweep(path: Path, axes: dict, replicates: int = 2, seed: int = 11,
                fixed: dict | None = None, **fields) -> Path:
    """A sweep file with the given axes; ``fields`` go into ``[sweep]`` as written."""
    lines = ["[sweep]", f"base = {json.dumps(str(BASELINE_PATH))}",
             f"replicates = {replicates}", f"seed = {seed}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in fields.items()]
    lines += ["[sweep.set]"] + [f'"{k}" = {_toml_value(v)}' for k, v in (SMALL if fixed is None else fixed).items()]
    lines += ["[sweep.axes]"] + [f'"{k}" = {_toml_value(v)}' for k, v in axes.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "annual.parquet")


def part_files(out: Path) -> list[Path]:
    return sorted((out / "parts" / "annual").glob("p*.parquet"))


def explode_at_point_1(job):
    """A worker function that fails for every run of point 1 (importable by spawned workers)."""
    if job.labels["point"] == 1:
        raise ValueError(f"boom: model diverged at point 1, seed {job.seed}")
    return execute(job)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The 2 x 2 x 2 sweep run in this process (W = 1): the table every other way must match."""
    folder = tmp_path_factory.mktemp("ref")
    path = write_sweep(folder / "ref.toml", REF_AXES, replicates=REF_REPLICATES)
    out = folder / "out"
    outcome = run_sweep(load_sweep(path), out, workers=1, **QUIET)
    plot_sweep(out)  # the engine writes tables; the command line draws
    assert outcome.failed == 0 and outcome.ran == 4 * REF_REPLICATES
    return path, out, read_runs(out)


def test_the_engine_reports_progress_to_the_callers_tracker(reference, tmp_path):
    """run_sweep draws nothing: it opens the caller's tracker with the runs already done and
    counts each run it finishes (a resumed folder with one part missing runs just that one)."""
    path, out, _runs = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    part_files(copy)[0].unlink()
    opened, updates = [], []

    class Recorder:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def update(self, k=1):
            updates.append(k)

        def note(self, text):
            raise AssertionError("a sweep has no status note")

    def progress(total, desc, initial=0, unit="run"):
        opened.append((total, desc, initial, unit))
        return Recorder()

    outcome = run_sweep(load_sweep(path), copy, workers=1, progress=progress, log=lambda m: None)
    n = 4 * REF_REPLICATES
    assert outcome.ran == 1 and opened == [(n, "sweep", n - 1, "run")] and updates == [1]


# ---------------------------------------------------------------------------------------------
# Same numbers whatever the executor


def test_reference_table_is_labelled_with_points_axes_and_common_seeds(reference):
    path, out, runs = reference
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4
    assert runs.groupby(["point", "replicate"]).ngroups == 4 * REF_REPLICATES
    # Each row carries its point's axis values, as points.csv lists them.
    merged = runs.merge(points, on="point", suffixes=("", "_listed"))
    for key in REF_AXES:
        assert (merged[key] == merged[f"{key}_listed"]).all()
    # Common random numbers: replicate k has one seed at every point, and seeds differ across k.
    seeds = runs.groupby("replicate")["seed"].nunique()
    assert (seeds == 1).all()
    assert runs.groupby("replicate")["seed"].first().nunique() == REF_REPLICATES
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["replicates"] == runs.groupby("replicate")["seed"].first().tolist()
    # The axes reach the model: the same seed gives different T9 at different points.
    t9 = runs[(runs["target"] == "T9") & (runs["year"] == runs["year"].max())]
    assert t9.groupby("replicate")["value"].nunique().min() > 1
    att = pd.read_csv(out / "attainment.csv")
    assert set(att["point"]) == {0, 1, 2, 3} and (att["n_runs"] == REF_REPLICATES).all()
    # The companions of the targets: every run's years, labelled as its annual rows.
    flows = pd.read_parquet(out / "target_flows.parquet")
    keys = ["point", *REF_AXES, "scenario", "replicate", "seed", "year"]
    assert (flows[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
            .equals(runs[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)))
    assert "target_flows.parquet" in manifest["files"]
    assert sorted(p.name for p in out.glob("sweep_T*.png")) == sorted(
        f"sweep_{t}.png" for t in runs["target"].unique())


def test_two_workers_and_a_dask_cluster_give_the_same_run_table(reference, tmp_path):
    from distributed import LocalCluster


    path, ref_out, ref = reference
    ref_att = pd.read_csv(ref_out / "attainment.csv")
    w2 = tmp_path / "w2"
    run_sweep(load_sweep(path), w2, workers=2, **QUIET)
    pd.testing.assert_frame_equal(read_runs(w2), ref)
    pd.testing.assert_frame_equal(pd.read_csv(w2 / "attainment.csv"), ref_att)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask_out = tmp_path / "dask"
        outcome = run_sweep(load_sweep(path), dask_out, executor="dask",
                            scheduler=cluster.scheduler_address, **QUIET)
    assert outcome.failed == 0
    pd.testing.assert_frame_equal(read_runs(dask_out), ref)
    pd.testing.assert_frame_equal(pd.read_csv(dask_out / "attainment.csv"), ref_att)
    assert [p.name for p in part_files(dask_out)] == [p.name for p in part_files(ref_out)]


# ---------------------------------------------------------------------------------------------
# Killed and resumed


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_sigkill_mid_sweep_then_rerun_runs_every_run_exactly_once(reference, tmp_path):
    path, _, ref = reference
    out = tmp_path / "killed"
    total = 4 * REF_REPLICATES
    proc = _cli("sweep", str(path), "--workers", "2", "--out", str(out), start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(part_files(out)) < 3:
            assert proc.poll() is None, f"sweep ended before it could be killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no runs finished within 120 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group, as a batch system would
        proc.communicate()
    survivors = part_files(out)
    assert 3 <= len(survivors) < total, "the kill must land part-way"
    for p in survivors:  # no reader ever sees half a file
        pq.read_table(p)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in survivors}

    rerun = _cli("sweep", str(path), "--workers", "2", "--out", str(out))
    stdout, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, stderr
    assert f"{len(survivors)} already done, {total - len(survivors)} to run" in stderr

    after = part_files(out)
    assert len(after) == total
    for p in after:  # the runs that survived the kill were not run or written again
        if p.name in before:
            assert (p.stat().st_ino, p.stat().st_mtime_ns) == before[p.name]
    assert not list((out / "parts").rglob("*.tmp"))
    runs = read_runs(out)
    assert runs.groupby(["point", "replicate"]).size().eq(len(ref) // total).all()
    pd.testing.assert_frame_equal(runs, ref)


def test_truncated_empty_or_misnamed_parts_are_run_again_to_the_uninterrupted_table(
        reference, tmp_path):
    path, ref_out, ref = reference
    out = tmp_path / "damaged"
    shutil.copytree(ref_out, out)
    parts = out / "parts" / "annual"
    names = [p.name for p in part_files(out)]
    truncated, empty, misnamed = parts / names[1], parts / names[4], parts / names[6]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    empty.write_bytes(b"")
    shutil.copy(parts / names[0], misnamed)  # a valid part, of another run
    warnings = []
    outcome = run_sweep(load_sweep(path), out, workers=1, progress=False, log=warnings.append)
    assert outcome.done_before == len(names) - 3 and outcome.ran == 3 and outcome.failed == 0
    for bad in (truncated, empty, misnamed):
        assert any(str(bad) in w and "run again" in w for w in warnings), (bad, warnings)
    assert any("holds point 0 replicate 0" in w for w in warnings)
    pd.testing.assert_frame_equal(read_runs(out), ref)
    assert main(["plot", str(out)]) == 0  # the finished folder's manifest vouches for it


def test_changed_sweep_file_on_existing_folder_is_refused(reference, tmp_path, capsys):
    path, out, _ = reference
    changed = write_sweep(tmp_path / "ref.toml", REF_AXES, replicates=REF_REPLICATES + 1)
    stamp = (out / "sweep.json").stat().st_mtime_ns
    listing = sorted(p.name for p in out.rglob("*"))
    assert main(["sweep", str(changed), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"replicates: {REF_REPLICATES} -> {REF_REPLICATES + 1}" in err and "--out" in err
    assert (out / "sweep.json").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in out.rglob("*")) == listing


# ---------------------------------------------------------------------------------------------
# Failures


def test_failing_point_is_recorded_and_the_rest_finish_then_retried(tmp_path):
    path = write_sweep(tmp_path / "f.toml", {"major_adjustment.speed": [0.1, 0.2, 0.3]},
                       monthly=True)
    out = tmp_path / "out"
    outcome = run_sweep(load_sweep(path), out, workers=2, runner=explode_at_point_1, **QUIET)
    assert outcome.failed == 2 and outcome.ran == 4
    failures = pd.read_csv(out / "failures.csv")
    assert sorted(failures["replicate"]) == [0, 1]
    assert set(failures["point"]) == {1}
    assert set(failures["major_adjustment.speed"]) == {0.2}
    assert all(json.loads(p) == {"major_adjustment.speed": 0.2} for p in failures["params"])
    assert failures["error"].str.startswith("ValueError: boom: model diverged at point 1").all()
    assert failures["traceback"].str.contains("explode_at_point_1").all()
    runs = read_runs(out)
    assert sorted(runs.groupby(["point", "replicate"]).groups) == [(0, 0), (0, 1), (2, 0), (2, 1)]
    assert set(pd.read_csv(out / "attainment.csv")["point"]) == {0, 2}
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert sorted(monthly.groupby(["point", "replicate"]).groups) == [(0, 0), (0, 1), (2, 0), (2, 1)]
    plot_sweep(out)
    assert list(out.glob("sweep_T*.png"))  # one axis: curves with bands

    # The same command again retries only the failed runs.
    outcome = run_sweep(load_sweep(path), out, workers=1, **QUIET)
    assert (outcome.done_before, outcome.ran, outcome.failed) == (4, 2, 0)
    assert pd.read_csv(out / "failures.csv").empty
    assert read_runs(out).groupby(["point", "replicate"]).ngroups == 6


# ---------------------------------------------------------------------------------------------
# Memory


def test_memory_does_not_grow_with_the_number_of_runs(tmp_path):
    """Peak traced memory of the collecting process for 12 vs 36 runs of a tiny city.

    Keeping each run's table (~10 kB) or job (~27 kB) would add 240-650 kB for the 24 extra
    runs; the bound allows 6 kB per extra run for library caches that fill up as files are
    written (each run writes two parts, annual and target_flows; 4 kB was the bound with one,
    and the two-part sweep measured 4.3 kB per run in one full-file pass). Figures are
    left out: they depend on the points' summary, not on the runs, and are tested above.
    """
    warm = write_sweep(tmp_path / "warm.toml", {"major_adjustment.speed": [0.1]}, replicates=1,
                       fixed=TINY)
    run_sweep(load_sweep(warm), tmp_path / "warm", workers=1, **QUIET)
    peaks = {}
    tracemalloc.start()
    try:
        for n_points in (6, 18):
            speeds = [round(0.05 + 0.01 * i, 2) for i in range(n_points)]
            path = write_sweep(tmp_path / f"m{n_points}.toml", {"major_adjustment.speed": speeds},
                               replicates=2, fixed=TINY)
            sweep = load_sweep(path)
            gc.collect()
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            outcome = run_sweep(sweep, tmp_path / f"m{n_points}", workers=2, **QUIET)
            peaks[sweep.n_runs] = tracemalloc.get_traced_memory()[1] - start
            assert outcome.failed == 0
    finally:
        tracemalloc.stop()
    assert set(peaks) == {12, 36}
    assert peaks[36] - peaks[12] < 24 * 6144, peaks


# ---------------------------------------------------------------------------------------------
# The sweep file


BAD = [
    ({"labour_market.outside_wage_premum": [0.1]}, {}, "did you mean 'labour_market.outside_wage_premium'"),
    ({"labour_market.outside_wage_premium": [0.1, 7.0]}, {}, "less than or equal to 5"),
    ({"major_adjustment.signal_lag_years": [0.5, 1]}, {}, "takes int values"),
    ({"major_adjustment.speed": [0.1, 0.1]}, {}, "values repeat"),
    ({"major_adjustment.speed": {"start": 0.1, "stop": 0.3}}, {}, "exactly one of num"),
    ({"major_adjustment.speed": {"low": 0.1, "high": 0.3}}, {}, "sampled designs"),
    ({"major_adjustment.speed": [0.1]}, {"replicate": 2}, "did you mean 'sweep.replicates'"),
    ({"major_adjustment.speed": {"low": 0.1, "high": 0.3}}, {"design": "sobol", "size": 10}, "power of 2"),
    ({"major_adjustment.speed": {"low": 0.1, "high": 0.3}}, {"design": "lhs"}, "needs size"),
    ({"run.years": [1, 2]}, {}, "also fixed in [sweep.set]"),
    ({"major_adjustment.speed": [0.1, float("nan")]}, {}, "finite number"),
    ({"major_adjustment.speed": {"start": 0.1, "stop": float("inf"), "num": 3}}, {}, "finite number"),
    ({"major_adjustment.speed": {"low": float("nan"), "high": 0.3}}, {"design": "lhs", "size": 4},
     "finite number"),
    ({"budget.total_yuan": [1e8, float("-inf")]}, {}, "finite number"),
    ({"labour_market.search_months": [[6], [7]]}, {}, "single number, bool or string"),
]


@pytest.mark.parametrize("axes, fields, message", BAD, ids=[m for _, _, m in BAD])
def test_bad_sweep_file_exits_2_names_the_problem_and_writes_nothing(tmp_path, capsys, axes,
                                                                     fields, message):
    path = write_sweep(tmp_path / "bad.toml", axes, **fields)
    with pytest.raises(ParamError, match=None) as info:
        load_sweep(path)
    assert message in str(info.value) and str(path) in str(info.value)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    assert main(["check", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_base_file_and_dask_without_scheduler_are_bad_input(tmp_path, capsys):
    path = write_sweep(tmp_path / "s.toml", {"major_adjustment.speed": [0.1]})
    text = path.read_text().replace(str(BASELINE_PATH), "nowhere.toml")
    (tmp_path / "nobase.toml").write_text(text)
    assert main(["check", str(tmp_path / "nobase.toml")]) == 2
    assert "no parameter file" in capsys.readouterr().err
    assert main(["sweep", str(path), "--executor", "dask", "--out", str(tmp_path / "o")]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_designs_grid_ranges_latin_hypercube_and_sobol(tmp_path):
    grid = load_sweep(write_sweep(tmp_path / "g.toml", {
        "major_adjustment.speed": {"start": 0.1, "stop": 0.3, "num": 3},
        "major_adjustment.signal_lag_years": {"start": 0, "stop": 4, "step": 2},
        "major_adjustment.signal_sees_pipeline": [False, True]}))
    assert grid.n_points == 3 * 3 * 2
    assert sorted({p[0] for p in grid.points}) == [0.1, 0.2, 0.3]
    assert sorted({p[1] for p in grid.points}) == [0, 2, 4]
    assert all(isinstance(p[1], int) and isinstance(p[2], bool) for p in grid.points)
    assert len(set(grid.points)) == grid.n_points

    axes = {"major_adjustment.speed": {"low": 0.05, "high": 0.45},
            "major_adjustment.signal_lag_years": {"low": 0, "high": 3}}
    lhs = load_sweep(write_sweep(tmp_path / "l.toml", axes, design="lhs", size=16))
    again = load_sweep(write_sweep(tmp_path / "l2.toml", axes, design="lhs", size=16))
    assert lhs.points == again.points  # the design follows from the master seed
    speeds = [p[0] for p in lhs.points]
    strata = sorted(int((s - 0.05) / 0.40 * 16) for s in speeds)
    assert strata == list(range(16))  # Latin hypercube: one point in each of 16 strata
    lags = [p[1] for p in lhs.points]
    assert all(isinstance(v, int) and 0 <= v <= 3 for v in lags) and set(lags) == {0, 1, 2, 3}
    sobol = load_sweep(write_sweep(tmp_path / "s.toml", axes, design="sobol", size=8))
    assert sobol.n_points == 8 and all(0.05 <= p[0] <= 0.45 for p in sobol.points)
    assert sobol.seeds == lhs.seeds  # replicate seeds depend on the master seed only


def test_toml_dotted_keys_mean_the_same_as_quoted_keys(tmp_path):
    quoted = load_sweep(write_sweep(tmp_path / "q.toml", {"major_adjustment.speed": [0.1, 0.2]},
                                    fixed={"retention.subsidy.enabled": True}))
    text = (f"[sweep]\nbase = {json.dumps(str(BASELINE_PATH))}\nreplicates = 2\nseed = 11\n"
            "[sweep.set]\nretention.subsidy.enabled = true\n"
            "[sweep.axes]\nmajor_adjustment.speed = [0.1, 0.2]\n")
    (tmp_path / "d" ).mkdir()
    (tmp_path / "d" / "q.toml").write_text(text)
    dotted = load_sweep(tmp_path / "d" / "q.toml")
    assert dotted.definition() == quoted.definition()
    assert dotted.base.retention.subsidy.enabled is True


def test_plot_redraws_from_summary_files_alone(reference, tmp_path):
    _, out, runs = reference
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("parts", "annual.parquet", "*.png"))
    assert main(["plot", str(copy)]) == 0  # skills-sim plot DIR calls plot_sweep for sweeps
    written = sorted(copy.glob("sweep_*.png"))
    assert [p.name for p in written] == sorted(f"sweep_{t}.png" for t in runs["target"].unique())
    assert all(p.stat().st_size > 10_000 for p in written)


# ---------------------------------------------------------------------------------------------
# Shipped experiments


def test_every_experiment_sweep_file_passes_check(capsys):
    files = sorted((ROOT / "experiments").glob("*.toml"))
    assert len(files) >= 3
    readme = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    for path in files:
        assert main(["check", str(path)]) == 0, capsys.readouterr().err
        assert f"skills-sim sweep experiments/{path.name}" in readme
