"""Every number is finite and within what a workstation can run; validation only, no runs."""

from __future__ import annotations

import copy
import math
import re

import pytest
from pydantic import BaseModel

from sim.params import BASELINE_PATH, ParamError, Params, load_params, read_toml, validate
from sim.params.base import MAX_COUNT, MAX_MAGNITUDE
from sim.params.loading import MAX_FILE_BYTES, resolve_base_chain
from sim.params.sizes import machine_memory, run_size


def float_keys(model: type[BaseModel], raw: dict, prefix: str = "") -> list[str]:
    """Dotted keys of every float field of the schema, walked through the baseline's tables
    (``sectors`` is a table of tables, one per sector)."""
    keys = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys += float_keys(ann, raw[key], f"{prefix}{key}.")
        elif key == "sectors":
            sector_type = ann.__args__[1]
            for sector, table in raw[key].items():
                keys += float_keys(sector_type, table, f"{prefix}{key}.{sector}.")
        elif ann is float:
            keys.append(f"{prefix}{key}")
    return keys


BASE_RAW = resolve_base_chain(BASELINE_PATH, seen=())
FLOAT_KEYS = float_keys(Params, BASE_RAW)


def test_the_schema_walk_finds_every_float_of_the_baseline():
    # [uncertain] ranges are not schema fields: they are checked by ranges.parse_uncertain (below).
    flat = {k: v for k, v in _flat(load_params().to_dict()).items()
            if isinstance(v, float) and not k.startswith("uncertain.")}
    assert sorted(FLOAT_KEYS) == sorted(flat) and len(FLOAT_KEYS) > 200


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_a_non_finite_uncertain_range_is_refused(tmp_path, bad):
    from sim.experiments.ranges import parse_uncertain
    from sim.params import ParamError

    path = tmp_path / "p.toml"
    path.write_text(f'base = "{BASELINE_PATH.as_posix()}"\n[uncertain]\n'
                    f'"major_adjustment.speed" = {{ low = {bad}, high = 0.5, why = "test" }}\n')
    with pytest.raises(ParamError, match="major_adjustment.speed"):
        parse_uncertain(load_params(path), str(path))


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def _set(raw: dict, dotted: str, value) -> dict:
    raw = copy.deepcopy(raw)
    node = raw
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return raw


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused_in_every_float_from_a_file_or_set(bad):
    accepted = []
    for key in FLOAT_KEYS:
        for attempt in (lambda: validate(_set(BASE_RAW, key, bad), "file.toml"),
                        lambda: load_params(BASELINE_PATH, {key: bad})):
            try:
                attempt()
                accepted.append(key)
            except ParamError as exc:
                assert key in str(exc) and "finite" in str(exc), str(exc)
    assert accepted == []


def test_nan_written_in_a_toml_file_is_refused(tmp_path):
    text = BASELINE_PATH.read_text().replace("total_yuan = 1.2e8", "total_yuan = nan", 1)
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(ParamError, match=r"budget.total_yuan = nan: .*finite"):
        load_params(tmp_path / "p.toml")
    with pytest.raises(ParamError, match="finite"):  # --set parses nan/inf as TOML does
        load_params(overrides={"labour_market.outside_moving_cost": float("-inf")})


def test_numbers_without_their_own_bound_are_held_to_a_workstation_bound():
    bound = re.escape(f"{MAX_MAGNITUDE:.0e}")
    with pytest.raises(ParamError, match=f"budget.total_yuan = .*at most {bound}"):
        load_params(overrides={"budget.total_yuan": MAX_MAGNITUDE * 10})
    with pytest.raises(ParamError, match=f"order_classes.class_size = .*at most {MAX_COUNT:,}"):
        load_params(overrides={"order_classes.class_size": MAX_COUNT + 1})
    # A field's own bound still speaks for itself.
    with pytest.raises(ParamError, match="enterprises.n = .*1000000"):
        load_params(overrides={"enterprises.n": 2_000_000})


def test_a_city_too_large_for_the_machine_is_refused_with_its_sizes():
    with pytest.raises(ParamError) as err:
        load_params(overrides={"demography.junior_high_graduates": 1e12})
    msg = str(err.value)
    for fragment in ("demography.junior_high_graduates", "students", "agents", "GiB",
                     "run.persons_per_agent"):
        assert fragment in msg, msg
    # The same city at the baseline's size is fine, and its estimate is a few hundred MB.
    size = run_size(load_params())
    assert 50_000 < size.students_alive < 200_000
    assert 2e8 < size.memory_bytes < min(1e9, machine_memory())


def test_a_huge_or_special_parameter_file_is_refused(tmp_path):
    with pytest.raises(ParamError, match="not a regular file"):
        read_toml("/dev/zero")
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ParamError, match="larger than"):
        read_toml(big)
    with pytest.raises(ParamError, match="not a regular file"):
        read_toml(tmp_path)
