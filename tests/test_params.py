"""Parameter files: the shipped baseline, validation messages and overrides."""

from __future__ import annotations

import re
import tomllib

import pytest

from sim.params import BASELINE_PATH, ParamError, load_params, parse_set_options


def test_baseline_loads_and_is_sized_from_calibration():
    p = load_params()
    assert p.run.persons_per_agent == 1
    assert 17 <= p.schools.n_secondary <= 36  # CALIBRATION.md: 17-36 schools
    assert 1 <= p.schools.n_higher <= 5
    assert p.enterprises.n >= 1000
    assert sum(s.chains for s in p.sectors.values()) == 20  # the plan's 20 key chains
    classes = [s.class_ for s in p.sectors.values()]
    assert classes.count("leading") == 6 and classes.count("emerging") == 3


def test_every_number_in_the_baseline_has_a_unit_or_source_comment():
    missing = []
    for n, line in enumerate(BASELINE_PATH.read_text().splitlines(), 1):
        code = line.split("#", 1)[0].strip()
        if re.match(r"^[A-Za-z_0-9]+\s*=\s*[-0-9\[]", code) and "#" not in line:
            # Sector tables are documented once above them; their keys are listed there.
            if not re.match(r"^(enterprise_share|seat_share|preference|growth|wage_index|chains)\b", code):
                missing.append(f"{n}: {line}")
    assert not missing, "numbers without a comment:\n" + "\n".join(missing)


def _write(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


def _baseline_text():
    return BASELINE_PATH.read_text()


@pytest.mark.parametrize(
    "edit, key, fragment",
    [
        (("junior_high_graduates = 52000", "junior_high_graduats = 52000"),
         "demography.junior_high_graduats", "did you mean 'demography.junior_high_graduates'"),
        (("n_secondary = 24", "n_secondary = \"many\""), "schools.n_secondary", "valid integer"),
        (("n = 1600", "n = -3"), "enterprises.n", "greater than or equal to 1"),
        (("junior_high_graduates = 52000", "junior_high_graduates = -52000"),
         "demography.junior_high_graduates", "greater than 0"),
        (("seat_share = 0.25", "seat_share = 0.55"), "seat_share", "must sum to 1"),
    ],
)
def test_bad_files_name_key_value_and_rule(tmp_path, edit, key, fragment):
    old, new = edit
    text = _baseline_text()
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ParamError) as info:
        load_params(path)
    msg = str(info.value)
    assert str(path) in msg and key in msg and fragment in msg


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ParamError, match="file not found"):
        load_params(tmp_path / "absent.toml")
    with pytest.raises(ParamError, match="malformed TOML"):
        load_params(_write(tmp_path, "[run\nyears = 3"))
    raw = tomllib.loads(_baseline_text())
    del raw["run"]["years"]
    text = _baseline_text().replace("years = 6 ", "# years removed ", 1)
    with pytest.raises(ParamError, match="run.years.*required key is missing"):
        load_params(_write(tmp_path, text))


def test_set_overrides_are_validated():
    p = load_params(overrides=parse_set_options(["labour_market.outside_wage_premium=0.5",
                                                 "major_adjustment.signal_sees_pipeline=true"]))
    assert p.labour_market.outside_wage_premium == 0.5
    assert p.major_adjustment.signal_sees_pipeline is True
    with pytest.raises(ParamError, match="did you mean 'labour_market.outside_wage_premium'"):
        load_params(overrides={"labour_market.outside_wage_premum": 0.5})
    with pytest.raises(ParamError, match="run.years = 2.5"):
        load_params(overrides={"run.years": 2.5})
    with pytest.raises(ParamError, match="KEY=VALUE"):
        parse_set_options(["no-equals-sign"])


def test_scenario_files_inherit_from_a_base(tmp_path):
    path = _write(tmp_path, f'base = "{BASELINE_PATH}"\n[labour_market]\noutside_wage_premium = 0.1\n')
    p = load_params(path)
    assert p.labour_market.outside_wage_premium == 0.1
    assert p.enterprises.n == load_params().enterprises.n


def test_an_uncertain_range_must_contain_the_point_value(tmp_path):
    # A single run uses the point value and a forecast draws from the range: they must agree.
    bad = _write(tmp_path, f'base = "{BASELINE_PATH}"\n[uncertain]\n'
                 '"labour_market.outside_moving_cost" = { low = 0.0, high = 0.6, why = "t" }\n')
    with pytest.raises(ParamError, match=r'outside_moving_cost.*0\.6.*point value '
                       r'labour_market\.outside_moving_cost = 1\.8') as err:
        load_params(bad)
    assert err.value.key == 'uncertain."labour_market.outside_moving_cost"'
    # A value the file (or --set) gives fixes the key, so its range no longer applies.
    assert load_params(bad, {"labour_market.outside_moving_cost": 0.3}).uncertain.get(
        "labour_market.outside_moving_cost") is None
    ok = _write(tmp_path, f'base = "{BASELINE_PATH}"\n[uncertain]\n'
                '"labour_market.outside_moving_cost" = { low = 1.8, high = 2.0, why = "t" }\n')
    assert load_params(ok).uncertain["labour_market.outside_moving_cost"]["low"] == 1.8
    # Every shipped parameter file's ranges hold their point values (load_params checks).
    from sim.params import PACKAGE_ROOT

    for path in sorted((PACKAGE_ROOT / "params").rglob("*.toml")):
        assert load_params(path).uncertain, path
