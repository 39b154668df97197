"""The command line's folders: whole results or none, checked before any run, and failures in
one line (2 bad input, 1 disk and other OS errors, 130 Ctrl-C)."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments.folders import read_finished
from sim.params import BASELINE_PATH

SMALL = ["--set", "run.persons_per_agent=20", "--set", "run.years=1"]


def _run(out: Path, seed: int = 1, *extra) -> int:
    return main(["run", "--seed", str(seed), "--out", str(out), *SMALL, *extra])


def _no_simulation(monkeypatch):
    """Any run from here on fails the test: the refusal must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("a simulation started before the input was refused")

    monkeypatch.setattr("sim.interfaces.cli.run.run_one", refuse)
    monkeypatch.setattr("sim.experiments.forecast.run_jobs", refuse)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "seed1"
    assert _run(out, 1) == 0
    return out


def _copy(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(src, out)
    return out


@pytest.mark.parametrize("stop, status, says", [
    (KeyboardInterrupt(), 130, "interrupted; nothing was written"),
    (OSError(errno.ENOSPC, "No space left on device"), 1, "No space left on device"),
])
def test_killed_between_two_file_writes_the_folder_holds_one_run(run_folder, tmp_path, capsys,
                                                                 monkeypatch, stop, status, says):
    out = _copy(run_folder, tmp_path)
    before = _snapshot(out)
    from sim.experiments import folders

    real, calls = folders.write_parquet, []

    def second_write_fails(df, path):
        calls.append(path)
        if len(calls) == 2:  # annual.parquet written, monthly.parquet not
            raise type(stop)(*stop.args)
        real(df, path)

    monkeypatch.setattr("sim.interfaces.cli.run.write_parquet", second_write_fails)
    assert _run(out, 2) == status
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert len(calls) == 2
    assert _snapshot(out) == before  # still run 1, whole: plot accepts it
    assert read_finished(out)["seeds"] == {"seed": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no half folder beside it


def test_plot_refuses_a_folder_mixing_two_runs(run_folder, tmp_path, capsys):
    out = _copy(run_folder, tmp_path)
    other = tmp_path / "other"
    assert _run(other, 2) == 0
    shutil.copy(other / "annual.parquet", out / "annual.parquet")
    assert main(["plot", str(out)]) == 2
    assert "annual.parquet: differs from what" in capsys.readouterr().err
    assert main(["plot", str(other)]) == 0


def test_a_folder_of_another_command_is_refused_unless_overwrite(run_folder, tmp_path, capsys,
                                                                 monkeypatch):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "annual.parquet").write_bytes(b"a sweep's table")
    (sweep / "manifest.json").write_text(json.dumps({"command": "sweep", "files": {}}))
    before = _snapshot(sweep)
    with monkeypatch.context() as m:
        _no_simulation(m)
        for argv in (["run", "--out", str(sweep)], ["forecast", "--out", str(sweep)]):
            assert main(argv + SMALL) == 2
            assert "holds a result of skills-sim sweep" in capsys.readouterr().err
    mine = _copy(run_folder, tmp_path)
    (mine / "notes.txt").write_text("mine")  # a run folder, but not only
    shutil.move(mine / "manifest.json", tmp_path / "m.json")
    with monkeypatch.context() as m:
        _no_simulation(m)
        assert _run(mine) == 2
        assert "no readable manifest.json" in capsys.readouterr().err
    assert _snapshot(sweep) == before and (mine / "notes.txt").exists()
    assert _run(sweep, 3, "--overwrite") == 0
    assert read_finished(sweep)["command"] == "run" and not (sweep / "manifest.json").read_text() == ""


def test_out_seed_and_counts_are_refused_before_any_simulation(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    (tmp_path / "file").write_text("x")
    cases = [
        (["run", "--out", str(tmp_path / "file")], "exists and is not a folder"),
        (["run", "--seed", "-1", "--out", str(tmp_path / "o")], "--seed = -1"),
        (["run", "--seed", str(2**70), "--out", str(tmp_path / "o")], "--seed = 1180591620717411303424"),
        (["forecast", "--replicates", str(10**9), "--out", str(tmp_path / "o")], "--replicates"),
        (["forecast", "--workers", str(10**5), "--out", str(tmp_path / "o")], "--workers"),
        (["run", "/dev/zero", "--out", str(tmp_path / "o")], "/dev/zero: not a regular file"),
        (["calibrate", "/dev/zero", "--fit", "labour_market.further_study_higher=-1:2",
          "--out", str(tmp_path / "o")], "/dev/zero: not a regular file"),
    ]
    for argv, fragment in cases:
        assert main(argv + SMALL) == 2, argv
        assert fragment in capsys.readouterr().err, argv
    assert main(["sweep", "/dev/zero", "--out", str(tmp_path / "o")]) == 2
    assert "/dev/zero: not a regular file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_check_refuses_what_run_could_not_finish(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    huge = ["--set", "demography.junior_high_graduates=1e12"]
    assert main(["check", str(BASELINE_PATH), *huge]) == 2
    checked = capsys.readouterr().err
    assert main(["run", "--out", str(tmp_path / "o"), *huge]) == 2
    ran = capsys.readouterr().err
    assert "GiB of memory" in checked and checked.split(": ", 1)[1] == ran.split(": ", 1)[1]
    assert not (tmp_path / "o").exists()


def test_every_bad_forecast_scenario_is_reported_before_any_run(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    text = BASELINE_PATH.read_text()
    (tmp_path / "a.toml").write_text(text.replace("total_yuan = 1.2e8", "total_yuan = inf", 1))
    huge = text.replace("junior_high_graduates = 52000", "junior_high_graduates = 1e12", 1)
    # its [uncertain] range widened too, so the size check (not the range check) speaks
    huge = huge.replace('"demography.junior_high_graduates" = { low = 49400, high = 54600',
                        '"demography.junior_high_graduates" = { low = 49400, high = 1e13', 1)
    assert huge.count("1e13") == 1
    (tmp_path / "b.toml").write_text(huge)
    argv = ["forecast", str(BASELINE_PATH), str(tmp_path / "a.toml"), str(tmp_path / "b.toml"),
            "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "2 of 3 scenarios" in err and "a.toml" in err and "b.toml" in err
    assert "budget.total_yuan = inf" in err and "GiB" in err
    assert not (tmp_path / "o").exists()


def test_ctrl_c_in_a_study_says_how_to_resume(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.interfaces.cli.sweep.run_sweep", interrupted)
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'[sweep]\nbase = "{BASELINE_PATH}"\nreplicates = 1\nseed = 1\n'
                     '[sweep.axes]\n"major_adjustment.speed" = [0.1, 0.2]\n')
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "o")]) == 130
    assert capsys.readouterr().err.strip() == ("skills-sim sweep: interrupted; re-run the same "
                                               "command to resume")


# ---------------------------------------------------------------------------------------------
# A real full disk and a real read-only folder (small file systems, where the test may mount)


@pytest.fixture
def mounted(tmp_path):
    """Mount a small tmpfs with the given options, or skip where mounting is not allowed."""
    points = []

    def mount(options: str) -> Path:
        point = tmp_path / f"fs{len(points)}"
        point.mkdir()
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", str(point)], capture_output=True)


def test_a_full_disk_exits_1_in_one_line_and_leaves_no_result(mounted, capsys):
    disk = mounted("size=16k")  # room for a table or two, not for the whole run
    out = disk / "out"
    assert _run(out) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(disk) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert list(disk.iterdir()) == []  # no result, no half folder


def test_a_read_only_target_is_refused_before_any_run(mounted, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    ro = mounted("size=64k,ro")
    assert _run(ro / "out") == 2
    err = capsys.readouterr().err
    assert "--out" in err and "cannot write in" in err and "Read-only file system" in err
