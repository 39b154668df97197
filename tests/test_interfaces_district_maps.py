"""The dashboard's district maps: a year's answers by district drawn cell by cell."""

from __future__ import annotations

import numpy as np
import pytest

from sim import SkillsModel, load_params

alt = pytest.importorskip("altair", reason="needs the viz extra: python3 -m pip install -e '.[viz]'")

from sim.interfaces.dashboard.district_maps import (  # noqa: E402
    DISTRICT_LAYERS, district_layer, district_map_chart)


def test_every_cell_shows_its_districts_value_of_the_last_year():
    m = SkillsModel(load_params(overrides={"run.persons_per_agent": 20, "run.years": 1}), seed=2)
    empty = district_layer(m, "hires")
    assert empty["value"].isna().all()  # nothing tallied before the first December
    m.run()
    year = max(m.district_log)
    for indicator in DISTRICT_LAYERS:
        cells = district_layer(m, indicator)
        assert len(cells) == m.city.n_cells
        by_district = cells.groupby("district")["value"].unique()
        expected = dict(zip(m.city.district_names, m.district_log[year][indicator]))
        scale = 100 if DISTRICT_LAYERS[indicator][2] else 1
        for name, values in by_district.items():
            assert len(values) == 1
            assert values[0] == pytest.approx(expected[name] * scale, nan_ok=True)
    total = district_layer(m, "hires").groupby("district")["value"].first().sum()
    assert total == pytest.approx(np.sum(m.district_log[year]["hires"]))
    spec = district_map_chart(m, "local_employment.secondary.elsewhere_in_city").to_dict()
    assert str(year) in spec["title"]
    with pytest.raises(KeyError, match="unknown district layer"):
        district_layer(m, "no such indicator")
