"""Output folders as transactions: one whole result or recognisably incomplete, never a mix."""

from __future__ import annotations

import errno
import json
import os
import tempfile

import numpy as np
import pandas as pd
import pytest

from sim.experiments.folders import (OutputFolder, atomic_path, begin_update, check_out,
                                     read_finished, write_csv, write_manifest)
from sim.experiments.limits import MAX_REPLICATES, check_replicates, check_seed, check_workers
from sim.experiments.seeds import replicate_seed, replicate_seeds
from sim.params import ParamError


def _result(folder, value: int, command: str = "run"):
    """A tiny finished folder whose table holds ``value``."""
    with OutputFolder(folder, command) as f:
        write_csv(pd.DataFrame({"x": [value]}), f.path / "a.csv")
        write_csv(pd.DataFrame({"y": [value]}), f.path / "b.csv")
        f.commit({"command": command, "value": value}, ["a.csv", "b.csv"])


def _hidden(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_commit_moves_a_whole_folder_into_place_and_replaces_the_earlier_one(tmp_path):
    out = tmp_path / "out"
    _result(out, 1)
    (out / "run_T1.png").write_bytes(b"a figure of run 1")  # drawn later by plot
    _result(out, 2)
    meta = read_finished(out)
    assert meta["value"] == 2 and set(meta["files"]) == {"a.csv", "b.csv"}
    assert pd.read_csv(out / "a.csv")["x"].tolist() == [2]
    assert not (out / "run_T1.png").exists()  # nothing of run 1 is left beside run 2
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left")])
def test_stopped_between_two_writes_the_earlier_result_stays_whole(tmp_path, stop):
    out = tmp_path / "out"
    _result(out, 1)
    with pytest.raises(type(stop)):
        with OutputFolder(out, "run") as f:
            write_csv(pd.DataFrame({"x": [2]}), f.path / "a.csv")
            raise stop  # killed before b.csv and the manifest
    assert read_finished(out)["value"] == 1
    assert pd.read_csv(out / "a.csv")["x"].tolist() == [1]
    assert _hidden(tmp_path) == []


def test_a_study_folder_without_its_manifest_is_refused_by_plot(tmp_path):
    _result(tmp_path / "s", 1, "sweep")
    begin_update(tmp_path / "s")  # a resumed study is writing
    with pytest.raises(ParamError, match="manifest.json: not found"):
        read_finished(tmp_path / "s")


def test_files_that_disagree_with_the_manifest_are_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _result(a, 1)
    _result(b, 2)
    (b / "a.csv").replace(a / "a.csv")  # a folder mixing two runs
    with pytest.raises(ParamError, match=r"a\.csv: differs from what .* records"):
        read_finished(a)
    (b / "manifest.json").write_text(json.dumps({"command": "run"}))  # no file list
    with pytest.raises(ParamError, match="incomplete manifest"):
        read_finished(b)


def test_write_manifest_records_size_and_sha256(tmp_path):
    write_csv(pd.DataFrame({"x": [1, 2]}), tmp_path / "t.csv")
    write_manifest({"command": "forecast"}, tmp_path, ["t.csv", "absent.csv"])
    rec = json.loads((tmp_path / "manifest.json").read_text())["files"]
    assert list(rec) == ["t.csv"] and rec["t.csv"]["bytes"] == (tmp_path / "t.csv").stat().st_size
    assert len(rec["t.csv"]["sha256"]) == 64


def test_check_out_refuses_files_other_commands_and_unrelated_folders(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParamError, match="exists and is not a folder"):
        check_out(tmp_path / "file", "run")
    _result(tmp_path / "fc", 1, "forecast")
    with pytest.raises(ParamError, match="holds a result of skills-sim forecast.*--overwrite"):
        check_out(tmp_path / "fc", "run")
    check_out(tmp_path / "fc", "forecast")            # its own command replaces it
    check_out(tmp_path / "fc", "run", overwrite=True)  # or anyone, when told to
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(ParamError, match=r"no readable manifest.json \(thesis.docx\)"):
        check_out(tmp_path / "mine", "sweep", resumable=False)
    check_out(tmp_path / "new" / "deeper", "run")  # not there yet: fine, and nothing made
    assert not (tmp_path / "new").exists()


def test_check_out_refuses_to_overwrite_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamError, match="current folder"):
        check_out(tmp_path, "run", overwrite=True)


def test_an_unwritable_out_is_refused_before_any_work(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(ParamError, match=r"--out = .*cannot write in .*Read-only file system"):
        check_out(tmp_path / "out", "run")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ParamError, match="cannot write in"):
            check_out(ro / "out", "run")
    finally:
        ro.chmod(0o755)


def test_a_full_disk_names_the_file_and_leaves_no_temporary(tmp_path):
    with pytest.raises(OSError) as err:
        with atomic_path(tmp_path / "annual.parquet") as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.filename == str(tmp_path / "annual.parquet")
    assert err.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_seeds_are_made_one_at_a_time_with_the_same_values():
    assert [replicate_seed(20220101, k) for k in range(30)] == replicate_seeds(20220101, 30)
    children = np.random.SeedSequence(7).spawn(5)
    assert replicate_seed(7, 4) == int(children[4].generate_state(1, np.uint64)[0] >> np.uint64(1))


@pytest.mark.parametrize("check, value, fragment", [
    (check_seed, -1, "from 0 to 9,223,372,036,854,775,807"),
    (check_seed, 2**70, "from 0"),
    (check_replicates, MAX_REPLICATES + 1, f"from 1 to {MAX_REPLICATES:,}"),
    (check_replicates, 0, "from 1"),
    (check_workers, 10**6, "from 1 to 1,024"),
    (check_workers, True, "whole number"),
])
def test_command_line_counts_and_seeds_are_bounded(check, value, fragment):
    with pytest.raises(ParamError, match=fragment):
        check(value)


def test_json_files_never_hold_a_bare_nan(tmp_path):
    from sim.experiments.folders import write_json

    write_json({"p": float("nan"), "q": [1.5, float("-inf")], "r": {"s": np.float64("inf")}},
               tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"p": None, "q": [1.5, None], "r": {"s": None}}
