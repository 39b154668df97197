"""The hot paths rewritten for speed give what the plain numpy they replace gives.

The whole model's tables are pinned by tests/test_regression.py; these check the helpers on
their own, ties and edge cases included, where a fixed seed might never reach them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.enrollment import best_scores
from sim.model.labour_market import _draw
from sim.model.students import RowsBySchoolGroup, StudentArrays, count_pairs


def test_best_scores_is_a_stable_sorts_first_k_ties_included():
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(0, 40))
        rows = np.sort(rng.choice(100, n, replace=False))
        score = rng.integers(0, 5, n).astype(float)  # many ties
        k = int(rng.integers(-1, n + 2))
        expected = rows[np.argsort(-score, kind="stable")[: max(k, 0)]]
        got = best_scores(rows, score, k)
        assert sorted(got.tolist()) == sorted(expected.tolist())


def test_count_pairs_equals_add_at():
    rng = np.random.default_rng(1)
    school, group = rng.integers(0, 7, 500), rng.integers(0, 4, 500)
    expected = np.zeros((7, 4))
    np.add.at(expected, (school, group), 1)
    got = count_pairs(school, group, (7, 4))
    assert got.dtype == np.float64 and np.array_equal(got, expected)
    assert np.array_equal(count_pairs(school[:0], group[:0], (7, 4)), np.zeros((7, 4)))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_draw_over_posts_equals_the_cumulative_search(dtype):
    """Integer weights (open posts) are drawn by a lookup at floor(u * total): the same index
    as the binary search of the cumulative sum, uniforms at the posts' edges included."""
    rng = np.random.default_rng(2)
    weights = rng.integers(0, 4, 300).astype(dtype)
    weights[rng.random(300) < 0.5] = 0
    total = int(weights.sum())
    edges = np.arange(total) / total  # each post's first uniform
    uniform = np.r_[rng.random(20000), edges, np.nextafter(edges[1:], 0), 1 - 2**-53]
    open_ = np.flatnonzero(weights)
    cdf = np.cumsum(weights[open_], dtype=np.float64)
    expected = open_[np.searchsorted(cdf, uniform * cdf[-1], side="right")]
    assert np.array_equal(_draw(weights, uniform), expected)
    # float weights keep the search
    assert np.array_equal(_draw(weights.astype(float), uniform[:20000]), expected[:20000])


def test_rows_by_school_group_gives_each_blocks_rows_in_ascending_order():
    """Every (school, group) lookup, keys past the last student's and an empty mask included,
    gives what a scan of every student gives."""
    rng = np.random.default_rng(3)
    students = StudentArrays(capacity=16)
    n = 2000
    students.append(n, school=rng.integers(0, 6, n), group=rng.integers(0, 5, n))
    view = students.view("school"), students.view("group")
    for mask in (rng.random(n) < 0.3, (view[0] < 3) & (view[1] < 2), np.zeros(n, dtype=bool)):
        by = RowsBySchoolGroup(students, mask, n_groups=5)
        for school in range(8):
            for group in range(5):
                expected = np.flatnonzero(mask & (view[0] == school) & (view[1] == group))
                assert np.array_equal(by.get(school, group), expected), (school, group)
