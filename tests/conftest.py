"""Shared fixtures: a small city (10 persons per agent) so the suite stays fast."""

from __future__ import annotations

import pytest

from sim import SkillsModel, load_params

SMALL = {"run.persons_per_agent": 10, "run.years": 2}


@pytest.fixture(scope="session")
def small_params():
    return load_params(overrides=SMALL)


@pytest.fixture(scope="session")
def small_run(small_params):
    """A finished small-city run, shared by read-only tests."""
    return SkillsModel(small_params, seed=7).run()
