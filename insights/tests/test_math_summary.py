"""Transactions → (x, t_x, T, m): same-day merging, calibration cut, repeat-only mean, against the published CDNOW
summary."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from insights.math.summary import count_transactions, summarise_transactions

FIXTURES = Path(__file__).parent / "fixtures" / "cdnow"


def test_small_history_by_hand():
    ids = np.array(["b", "a", "a", "a", "a", "b", "c", "a"])
    days = np.array([10, 3, 3, 10, 17, 24, 30, 40])
    amounts = np.array([5.0, 1.0, 2.0, 4.0, 8.0, 6.0, 9.0, 100.0])
    s = summarise_transactions(ids, days, amounts, calibration_end_day=31, time_unit_days=7)
    assert list(s.customer_id) == ["a", "b", "c"]
    # a: days 3 (1+2 merged), 10, 17 in calibration; day 40 is after it.
    assert list(s.x) == [2, 1, 0]
    np.testing.assert_allclose(s.t_x, [14 / 7, 14 / 7, 0])
    np.testing.assert_allclose(s.T, [28 / 7, 21 / 7, 1 / 7])
    np.testing.assert_allclose(s.m, [(4 + 8) / 2, 6.0, 0.0])  # the first purchase is not in the mean
    assert list(s.first_day) == [3, 10, 30]
    held = count_transactions(ids, days, after_day=31, through_day=60, customers=s.customer_id)
    assert list(held) == [1, 0, 0]


def test_customers_first_seen_after_the_calibration_end_are_left_out():
    s = summarise_transactions([1, 2], [5, 50], [1.0, 1.0], calibration_end_day=10, time_unit_days=1)
    assert list(s.customer_id) == [1]
    empty = summarise_transactions([], [], [], calibration_end_day=10, time_unit_days=1)
    assert len(empty) == 0


def test_count_transactions_ignores_unknown_customers_and_merges_days():
    held = count_transactions([1, 1, 1, 9], [20, 20, 21, 20], after_day=10, through_day=30,
                              customers=np.array([1, 2]))
    assert list(held) == [2, 0]


def _cdnow_days():
    raw = np.loadtxt(FIXTURES / "CDNOW_sample.txt", dtype=str)
    epoch = dt.date(1970, 1, 1)
    days = np.array([(dt.date(int(d[:4]), int(d[4:6]), int(d[6:])) - epoch).days for d in raw[:, 2]])
    return raw[:, 1].astype(int), days, raw[:, 4].astype(float), (dt.date(1997, 9, 30) - epoch).days


def test_cdnow_summary_matches_the_published_file():
    ids, days, amounts, cal_end = _cdnow_days()
    s = summarise_transactions(ids, days, amounts, calibration_end_day=cal_end, time_unit_days=7)
    with open(FIXTURES / "cdnow_customers_summary_with_transactions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(s) == len(rows) == 2357
    ref = {int(r["ID"]): r for r in rows}
    x = np.array([float(ref[i]["x"]) for i in s.customer_id])
    t_x = np.array([float(ref[i]["t_x"]) for i in s.customer_id])
    T = np.array([float(ref[i]["T"]) for i in s.customer_id])
    zbar = np.array([float(ref[i]["zbar"]) for i in s.customer_id])
    np.testing.assert_array_equal(s.x, x)
    np.testing.assert_allclose(s.t_x, t_x, atol=0.005 + 1e-9)  # the file has 2 decimals
    np.testing.assert_allclose(s.T, T, atol=0.005 + 1e-9)
    np.testing.assert_allclose(s.m, zbar, atol=0.005 + 1e-9)
    assert s.x.sum() == 2457 and (s.x > 0).sum() == 946


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        summarise_transactions([1, 2], [1], [1.0, 2.0], calibration_end_day=5, time_unit_days=1)
    with pytest.raises(ValueError):
        summarise_transactions([1], [1], [1.0], calibration_end_day=5, time_unit_days=0)
