"""Gamma-Gamma: likelihood by hand, expected spend, parameter recovery, stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from insights.math.gamma_gamma import (
    GammaGammaParams,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    gamma_gamma_log_likelihood,
)
from insights.math.simulate import simulate_gamma_gamma

PUBLISHED = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def _density_by_hand(g: GammaGammaParams, x: int, m: float) -> float:
    """Fader & Hardie (2013) eq. 3 with math.gamma (products, not logs)."""
    px = g.p * x
    return (math.gamma(px + g.q) / (math.gamma(px) * math.gamma(g.q)) * g.gamma ** g.q * m ** (px - 1) * x ** px
            / (g.gamma + x * m) ** (px + g.q))


@pytest.mark.parametrize("x,m", [(1, 10.0), (2, 22.35), (5, 38.0), (12, 14.5)])
def test_log_likelihood_by_hand(x, m):
    assert gamma_gamma_log_likelihood(PUBLISHED, x, m)[0] == pytest.approx(math.log(_density_by_hand(PUBLISHED, x, m)),
                                                                           rel=1e-10)


def test_density_integrates_to_one():
    # A proper density of the mean value for every x: a check of the constant terms the fit would not notice.
    for x in (1, 3, 8):
        total, _ = integrate.quad(lambda m, x=x: math.exp(gamma_gamma_log_likelihood(PUBLISHED, x, m)[0]), 0, np.inf,
                                  limit=200)
        assert total == pytest.approx(1.0, abs=1e-7)


def test_expected_spend_by_hand():
    g = PUBLISHED
    got = gamma_gamma_expected_spend(g, [0, 2, 10], [99.0, 22.35, 40.0])
    assert got[0] == pytest.approx(g.p * g.gamma / (g.q - 1), rel=1e-12)  # x = 0: the population mean
    weight = g.p * 2 / (g.p * 2 + g.q - 1)
    assert got[1] == pytest.approx((1 - weight) * g.p * g.gamma / (g.q - 1) + weight * 22.35, rel=1e-12)
    # More transactions: closer to the customer's own mean.
    assert abs(got[2] - 40.0) < abs(gamma_gamma_expected_spend(g, 1, 40.0)[0] - 40.0)
    with pytest.raises(ValueError):
        gamma_gamma_expected_spend(GammaGammaParams(p=2, q=0.9, gamma=1), 1, 5.0)


def test_expected_spend_is_the_posterior_mean_of_simulated_customers():
    rng = np.random.default_rng(8)
    n = 300_000
    x = np.full(n, 3.0)
    nu = rng.gamma(PUBLISHED.q, 1 / PUBLISHED.gamma, n)
    m = rng.gamma(PUBLISHED.p * 3, 1 / nu) / 3
    future = PUBLISHED.p / nu  # the customer's true mean transaction value
    predicted = gamma_gamma_expected_spend(PUBLISHED, x, m)
    for lo, hi in ((0, 20), (20, 40), (40, np.inf)):
        sel = (m >= lo) & (m < hi)
        se = future[sel].std() / math.sqrt(sel.sum())
        assert abs(predicted[sel].mean() - future[sel].mean()) < 5 * se


def test_weights_equal_repeated_rows_and_x0_rows_are_ignored():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, 300).astype(float)
    m = simulate_gamma_gamma(PUBLISHED, x, rng)
    w = rng.integers(1, 4, 300)
    a = gamma_gamma_fit(np.r_[x, [0, 0]], np.r_[m, [0, 0]], weights=np.r_[w, [5, 5]])
    b = gamma_gamma_fit(np.repeat(x, w), np.repeat(m, w))
    assert a.customers == b.customers == w.sum()
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-9)
    assert a.params.q == pytest.approx(b.params.q, rel=1e-5)


# Recovery tolerance on |log(fitted) − log(true)|: K/√n with K = (40, 10, 50) for (p, q, γ): four times the spread
# √n·sd measured over 20 simulated data sets (≈ 9.6, 2.3, 12; p and γ trade off against each other). Their
# combination the data pin down, the population mean spend pγ/(q − 1), gets K = 6 (its √n·sd is ≈ 1).
RECOVERY_TRUE = GammaGammaParams(p=6.0, q=3.5, gamma=15.0)
RECOVERY_K = {"p": 40.0, "q": 10.0, "gamma": 50.0}


@pytest.mark.parametrize("n", [2_000, 20_000, 200_000])
def test_parameter_recovery(n):
    rng = np.random.default_rng(77 + n)
    x = rng.integers(1, 10, n).astype(float)
    m = simulate_gamma_gamma(RECOVERY_TRUE, x, rng)
    fit = gamma_gamma_fit(x, m)
    assert fit.converged and fit.customers == n
    for name, k in RECOVERY_K.items():
        error = abs(math.log(getattr(fit.params, name)) - math.log(getattr(RECOVERY_TRUE, name)))
        assert error <= k / math.sqrt(n), (name, getattr(fit.params, name))

    def mean_spend(g: GammaGammaParams) -> float:
        return g.p * g.gamma / (g.q - 1)

    assert abs(math.log(mean_spend(fit.params) / mean_spend(RECOVERY_TRUE))) <= 6 / math.sqrt(n)


def test_money_units_do_not_matter():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 6, 2000).astype(float)
    m = simulate_gamma_gamma(RECOVERY_TRUE, x, rng)
    yuan = gamma_gamma_fit(x, m)
    fen = gamma_gamma_fit(x, m * 100)
    assert fen.params.p == pytest.approx(yuan.params.p, rel=1e-5)
    assert fen.params.gamma == pytest.approx(100 * yuan.params.gamma, rel=1e-5)
    # A density in money: the log-likelihood shifts by −log(100) per customer.
    assert fen.log_likelihood == pytest.approx(yuan.log_likelihood - 2000 * math.log(100), rel=1e-9)


def test_extremes_stay_finite():
    x = np.array([1, 1, 2, 1000, 100_000], dtype=float)
    m = np.array([1e-6, 1e9, 0.01, 5.0, 123.0])
    for g in (GammaGammaParams(1e-4, 1.0001, 1e-6), GammaGammaParams(1e4, 1e4, 1e8), PUBLISHED):
        assert np.all(np.isfinite(gamma_gamma_log_likelihood(g, x, m)))
        assert np.all(np.isfinite(gamma_gamma_expected_spend(g, x, m)))
    fit = gamma_gamma_fit(np.r_[x, [3, 4]], np.r_[m, [7.0, 9.0]])
    assert all(math.isfinite(v) and v > 0 for v in fit.params.__dict__.values())


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        gamma_gamma_fit([1, 2], [5.0, -1.0])
    with pytest.raises(ValueError):
        gamma_gamma_fit([0, 0, 1], [0, 0, 5.0])  # one repeat buyer is not a sample
    with pytest.raises(ValueError):
        gamma_gamma_log_likelihood(PUBLISHED, [0], [5.0])
