"""CLV: the discounted monthly sum, by hand, and its invariances."""

from __future__ import annotations

import numpy as np
import pytest

from insights.math.bgnbd import BGNBDParams, bgnbd_expected_purchases
from insights.math.clv import clv, expected_purchases_by_month
from insights.math.gamma_gamma import GammaGammaParams, gamma_gamma_expected_spend

BG = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
WEEKS_PER_MONTH = 52 / 12

# Same (x, T) with different t_x (the grouping must not mix them up), a newcomer, a heavy buyer.
X = np.array([2, 2, 0, 0, 30])
TX = np.array([30.43, 5.0, 0.0, 0.0, 37.0])
T = np.array([38.86, 38.86, 38.86, 2.0, 38.86])
M = np.array([22.35, 22.35, 0.0, 0.0, 55.0])


def test_clv_by_hand():
    d, share = 0.01, 0.3
    got = clv(BG, GG, X, TX, T, M, horizon_months=3, monthly_discount_rate=d, periods_per_month=WEEKS_PER_MONTH,
              margin_share=share)
    spend = gamma_gamma_expected_spend(GG, X, M)
    cumulative = [bgnbd_expected_purchases(BG, i * WEEKS_PER_MONTH, X, TX, T) for i in range(4)]
    expected = sum((cumulative[i] - cumulative[i - 1]) * spend * share / (1 + d) ** i for i in range(1, 4))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] > got[1]  # the customer who bought recently is worth more than the one silent since week 5


def test_without_discount_it_is_expected_purchases_times_spend():
    got = clv(BG, GG, X, TX, T, M, horizon_months=12, monthly_discount_rate=0.0, periods_per_month=WEEKS_PER_MONTH)
    expected = bgnbd_expected_purchases(BG, 12 * WEEKS_PER_MONTH, X, TX, T) * gamma_gamma_expected_spend(GG, X, M)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    discounted = clv(BG, GG, X, TX, T, M, horizon_months=12, monthly_discount_rate=0.02,
                     periods_per_month=WEEKS_PER_MONTH)
    assert np.all(discounted < got)
    longer = clv(BG, GG, X, TX, T, M, horizon_months=24, monthly_discount_rate=0.02, periods_per_month=WEEKS_PER_MONTH)
    assert np.all(longer > discounted)


def test_time_unit_does_not_matter():
    # The same model in days: α scales with the unit; the CLV must not change.
    in_days = BGNBDParams(r=BG.r, alpha=BG.alpha * 7, a=BG.a, b=BG.b)
    weeks = clv(BG, GG, X, TX, T, M, horizon_months=6, monthly_discount_rate=0.01, periods_per_month=WEEKS_PER_MONTH)
    days = clv(in_days, GG, X, TX * 7, T * 7, M, horizon_months=6, monthly_discount_rate=0.01,
               periods_per_month=WEEKS_PER_MONTH * 7)
    np.testing.assert_allclose(days, weeks, rtol=1e-9)


def test_monthly_path_is_cumulative_and_starts_at_zero():
    path = expected_purchases_by_month(BG, X, TX, T, horizon_months=4, periods_per_month=WEEKS_PER_MONTH)
    assert path.shape == (5, 5)
    assert np.all(path[:, 0] == 0) and np.all(np.diff(path, axis=1) > 0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        clv(BG, GG, X, TX, T, M, horizon_months=3, monthly_discount_rate=-1.5, periods_per_month=4)
    with pytest.raises(ValueError):
        clv(BG, GG, X, TX, T, M, horizon_months=3, monthly_discount_rate=0.01, periods_per_month=0)
