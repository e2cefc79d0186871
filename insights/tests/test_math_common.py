"""Grouping rows into sufficient statistics (both the integer-key path and the lexsort fallback)."""

from __future__ import annotations

import numpy as np

from insights.math._common import group_rows, unique_rows


def _check(columns):
    uniq, inverse = unique_rows(columns)
    stacked = np.column_stack(columns)
    expected, expected_inverse = np.unique(stacked, axis=0, return_inverse=True)
    np.testing.assert_array_equal(np.column_stack(uniq), expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    np.testing.assert_array_equal(np.column_stack(uniq)[inverse], stacked)


def test_unique_rows_with_an_integer_key():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, 5000).astype(float)
    t = rng.integers(0, 30, 5000) / 7
    _check([x, t, np.round(t + rng.integers(0, 3, 5000) / 7, 6)])


def test_unique_rows_when_the_key_would_overflow():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(20_000, 4))
    rows = np.vstack([base, base[:500]])  # 500 duplicates; 20,000^4 combinations do not fit in 64 bits
    _check([rows[:, i] for i in range(4)])


def test_group_rows_sums_weights():
    (x, t), w = group_rows([np.array([1.0, 0.0, 1.0, 1.0]), np.array([2.0, 0.0, 2.0, 3.0])], np.array([1, 2, 3, 4.0]))
    np.testing.assert_array_equal(x, [0, 1, 1])
    np.testing.assert_array_equal(t, [0, 2, 3])
    np.testing.assert_array_equal(w, [2, 4, 4])
    (empty,), w0 = group_rows([np.zeros(0)], None)
    assert len(empty) == 0 and len(w0) == 0
