"""BG/NBD: likelihood and expectations against independent hand computations, the model's own simulation,
parameter recovery at several sample sizes, and numerical stability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from insights.math.bgnbd import (
    BGNBDParams,
    _Data,
    _expected_given_alive,
    _expected_given_alive_quadrature,
    _objective,
    bgnbd_expected_purchases,
    bgnbd_expected_unconditional,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_probability_purchase,
)
from insights.math.simulate import simulate_bgnbd

CDNOW = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _lbeta(u: float, v: float) -> float:
    return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)


def _likelihood_by_hand(p: BGNBDParams, x: int, t_x: float, T: float) -> float:
    """FHL 2005 eq. 6 written out directly (products, not log-sum-exp) with math.lgamma."""
    front = math.exp(math.lgamma(p.r + x) - math.lgamma(p.r)) * p.alpha ** p.r
    first = math.exp(_lbeta(p.a, p.b + x) - _lbeta(p.a, p.b)) / (p.alpha + T) ** (p.r + x)
    second = 0.0
    if x > 0:
        second = math.exp(_lbeta(p.a + 1, p.b + x - 1) - _lbeta(p.a, p.b)) / (p.alpha + t_x) ** (p.r + x)
    return math.log(front * (first + second))


def _hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    """Gauss's series Σ (a)_n (b)_n / (c)_n z^n / n!, summed until the terms stop mattering (|z| < 1)."""
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total) or n < 5:
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        assert n < 200_000
    return total


def _conditional_by_hand(p: BGNBDParams, t: float, x: int, t_x: float, T: float) -> float:
    """FHL 2005 eq. 10 in its original (untransformed) form with the series above."""
    z = t / (p.alpha + T + t)
    hyp = _hyp2f1_series(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    num = (p.a + p.b + x - 1) / (p.a - 1) * (1 - ((p.alpha + T) / (p.alpha + T + t)) ** (p.r + x) * hyp)
    den = 1.0
    if x > 0:
        den += p.a / (p.b + x - 1) * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x)
    return num / den


HISTORIES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 29.43, 35.14), (25, 60.0, 61.0),
             (3, 0.5, 70.0)]
PARAM_SETS = [CDNOW, BGNBDParams(r=1.7, alpha=12.0, a=2.5, b=7.0), BGNBDParams(r=0.05, alpha=0.8, a=0.3, b=0.9)]


@pytest.mark.parametrize("params", PARAM_SETS)
def test_log_likelihood_matches_the_closed_form_by_hand(params):
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*HISTORIES, strict=True))
    ours = bgnbd_log_likelihood(params, x, t_x, T)
    expected = np.array([_likelihood_by_hand(params, *h) for h in HISTORIES])
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_a_worked_value_of_the_likelihood():
    # CDNOW customer 1 (x = 2, t_x = 30.43, T = 38.86) at the published parameters, with Γ itself (not its log):
    # ln[Γ(2.243)/Γ(0.243) · 4.414^0.243 · (B(.793, 4.426)/B(.793, 2.426) / 43.274^2.243
    #                                       + B(1.793, 3.426)/B(.793, 2.426) / 34.844^2.243)] = −9.458606307…
    r, al, a, b = 0.243, 4.414, 0.793, 2.426

    def beta(u: float, v: float) -> float:
        return math.gamma(u) * math.gamma(v) / math.gamma(u + v)

    by_hand = math.log(math.gamma(r + 2) / math.gamma(r) * al ** r
                       * (beta(a, b + 2) / beta(a, b) / (al + 38.86) ** (r + 2)
                          + beta(a + 1, b + 1) / beta(a, b) / (al + 30.43) ** (r + 2)))
    value = float(bgnbd_log_likelihood(CDNOW, 2, 30.43, 38.86)[0])
    assert value == pytest.approx(by_hand, rel=1e-12)
    assert value == pytest.approx(-9.458606307, abs=1e-8)


def test_series_reference_is_itself_right():
    # 2F1(1, 1; 2; z) = −ln(1 − z)/z, and 2F1(a, b; b; z) = (1 − z)^−a.
    assert _hyp2f1_series(1, 1, 2, 0.5) == pytest.approx(-math.log(0.5) / 0.5, rel=1e-13)
    assert _hyp2f1_series(0.3, 2.2, 2.2, 0.7) == pytest.approx(0.3 ** -0.3, rel=1e-13)


@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize("t", [1.0, 13.0, 39.0])
def test_conditional_expectation_matches_eq_10_with_a_direct_series(params, t):
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*HISTORIES, strict=True))
    ours = bgnbd_expected_purchases(params, t, x, t_x, T)
    expected = np.array([_conditional_by_hand(params, t, *h) for h in HISTORIES])
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


@pytest.mark.parametrize("params", PARAM_SETS)
def test_unconditional_expectation_is_eq_9(params):
    for t in (0.5, 10.0, 39.0, 78.0):
        # eq. 9 is eq. 10 for a customer with no history yet (x = 0, T = 0).
        assert bgnbd_expected_unconditional(params, t) == pytest.approx(_conditional_by_hand(params, t, 0, 0.0, 0.0),
                                                                        rel=1e-9)
    assert bgnbd_expected_unconditional(params, 0.0) == 0.0
    assert isinstance(bgnbd_expected_unconditional(params, 3.0), float)


def test_quadrature_fallback_agrees_with_the_closed_form():
    k = np.array([0.243, 2.243, 10.243, 50.0])
    beta = np.array([4.4, 43.3, 80.0, 20.0])
    bb = np.array([2.426, 4.426, 12.426, 60.0])
    t = np.array([39.0, 39.0, 5.0, 100.0])
    for a in (0.793, 1.7, 3.5):
        closed = _expected_given_alive(k, beta, a, bb, t)
        quad = _expected_given_alive_quadrature(k, beta, a, bb, t)
        np.testing.assert_allclose(quad, closed, rtol=1e-8)


def test_a_equal_to_one_is_continuous():
    # a = 1 makes eq. 9/10 0/0; the quadrature path must give the limit of the neighbours.
    base = {"r": 0.5, "alpha": 5.0, "b": 3.0}
    at_one = bgnbd_expected_purchases(BGNBDParams(a=1.0, **base), 20.0, [0, 3], [0, 10], [30, 30])
    below = bgnbd_expected_purchases(BGNBDParams(a=1.0 - 1e-3, **base), 20.0, [0, 3], [0, 10], [30, 30])
    above = bgnbd_expected_purchases(BGNBDParams(a=1.0 + 1e-3, **base), 20.0, [0, 3], [0, 10], [30, 30])
    np.testing.assert_allclose(at_one, (below + above) / 2, rtol=1e-5)
    assert np.all(below > at_one) or np.all(below < at_one)


def test_p_alive_by_hand_and_one_without_repeat_purchases():
    p = CDNOW
    expected = 1 / (1 + p.a / (p.b + 2 - 1) * ((p.alpha + 38.86) / (p.alpha + 30.43)) ** (p.r + 2))
    got = bgnbd_p_alive(p, [2, 0, 0], [30.43, 0, 0], [38.86, 1.0, 500.0])
    assert got[0] == pytest.approx(expected, rel=1e-12)
    # The model cannot see a customer without repeat purchases die: P(alive) = 1 however long the silence.
    assert got[1] == got[2] == 1.0


def test_probability_of_a_purchase_by_hand():
    p = CDNOW
    alive = bgnbd_p_alive(p, 2, 30.43, 38.86)[0]
    expected = alive * (1 - ((p.alpha + 38.86) / (p.alpha + 38.86 + 4)) ** (p.r + 2))
    assert bgnbd_probability_purchase(p, 4, 2, 30.43, 38.86)[0] == pytest.approx(expected, rel=1e-12)
    longer = bgnbd_probability_purchase(p, 40, 2, 30.43, 38.86)[0]
    assert expected < longer < alive


def _simulate_with_holdout(params: BGNBDParams, T: float, t: float, n: int, seed: int):
    """Calibration histories up to T and the purchases in (T, T+t], from the generative process."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1 / params.alpha, n)
    drop = rng.beta(params.a, params.b, n)
    g = rng.geometric(drop)
    arrivals = rng.poisson(lam * (T + t))
    in_cal = rng.binomial(arrivals, T / (T + t))
    x = np.minimum(in_cal, g)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = T * rng.beta(x[pos], in_cal[pos] - x[pos] + 1)
    holdout = np.minimum(arrivals, g) - x
    return x.astype(float), t_x, np.full(n, T), holdout


def test_expectations_agree_with_the_generative_process():
    """Averaged over customers of each calibration frequency, E[Y(t) | history] and P(purchase | history) must
    match what simulated customers go on to do (checks eq. 10, P(alive) and the purchase probability together)."""
    n, T, t = 400_000, 39.0, 39.0
    x, t_x, T_arr, holdout = _simulate_with_holdout(CDNOW, T, t, n, seed=7)
    expected = bgnbd_expected_purchases(CDNOW, t, x, t_x, T_arr)
    prob = bgnbd_probability_purchase(CDNOW, t, x, t_x, T_arr)
    for group in (x == 0, x == 1, (x >= 2) & (x <= 4), x >= 5):
        k = group.sum()
        sd = holdout[group].std() / math.sqrt(k)
        assert abs(expected[group].mean() - holdout[group].mean()) < 4 * sd + 1e-3
        share = (holdout[group] > 0).mean()
        assert abs(prob[group].mean() - share) < 4 * math.sqrt(share * (1 - share) / k) + 1e-3
    # The unconditional expectation is the population mean of the calibration count.
    assert x.mean() == pytest.approx(bgnbd_expected_unconditional(CDNOW, T), abs=4 * x.std() / math.sqrt(n))


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    T = rng.uniform(5, 40, 500)
    x, t_x = simulate_bgnbd(BGNBDParams(0.7, 3.0, 1.2, 2.0), T, rng)
    data = _Data(x, t_x / 20, T / 20, rng.integers(1, 4, 500).astype(float))
    for point in ([0.1, -0.5, 0.3, 0.9], [-1.2, 1.0, -0.4, 2.0]):
        lp = np.array(point)
        _, grad = _objective(lp, data)
        h = 1e-6
        numeric = [(_objective(lp + h * e, data)[0] - _objective(lp - h * e, data)[0]) / (2 * h) for e in np.eye(4)]
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_weights_are_the_same_as_repeated_rows():
    rng = np.random.default_rng(11)
    T = rng.integers(10, 50, 400).astype(float)
    x, t_x = simulate_bgnbd(CDNOW, T, rng)
    t_x = np.round(t_x)
    counts = rng.integers(1, 4, 400)
    weighted = bgnbd_fit(x, t_x, T, weights=counts)
    repeated = bgnbd_fit(np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts))
    assert weighted.customers == repeated.customers == counts.sum()
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)
    assert weighted.params.r == pytest.approx(repeated.params.r, rel=1e-5)
    assert weighted.params.b == pytest.approx(repeated.params.b, rel=1e-4)


def test_the_fit_is_the_maximum():
    rng = np.random.default_rng(5)
    T = rng.uniform(20, 60, 3000)
    x, t_x = simulate_bgnbd(CDNOW, T, rng)
    fit = bgnbd_fit(x, t_x, T)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(bgnbd_log_likelihood(fit.params, x, t_x, T).sum(), rel=1e-12)
    best = fit.params
    for name in ("r", "alpha", "a", "b"):
        for step in (0.98, 1.02):
            moved = BGNBDParams(**{**best.__dict__, name: getattr(best, name) * step})
            assert bgnbd_log_likelihood(moved, x, t_x, T).sum() < fit.log_likelihood


# Parameter recovery. Tolerance on |log(fitted) − log(true)|: K/√n with K = (9, 17, 29, 42) for (r, α, a, b), i.e.
# four times the spread √n·sd(log estimate) measured over 20 simulated data sets at n = 2,000 and 20,000 with these
# true values (sd·√n ≈ 2.3, 4.2, 7.2, 10.5). a and b are the hard ones: dropout shows only through silences.
RECOVERY_TRUE = BGNBDParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
RECOVERY_K = {"r": 9.0, "alpha": 17.0, "a": 29.0, "b": 42.0}


@pytest.mark.parametrize("n", [2_000, 20_000, 200_000])
def test_parameter_recovery(n):
    rng = np.random.default_rng(1000 + n)
    T = rng.uniform(26, 78, n)  # staggered first purchases: 26 to 78 weeks of history
    x, t_x = simulate_bgnbd(RECOVERY_TRUE, T, rng)
    fit = bgnbd_fit(x, t_x, T)
    assert fit.converged
    assert fit.customers == n
    for name, k in RECOVERY_K.items():
        error = abs(math.log(getattr(fit.params, name)) - math.log(getattr(RECOVERY_TRUE, name)))
        assert error <= k / math.sqrt(n), (name, getattr(fit.params, name), k / math.sqrt(n))


def test_recovery_in_another_corner_of_the_parameter_space():
    # Frequent buyers who rarely leave (a, b large), in days.
    true = BGNBDParams(r=2.0, alpha=60.0, a=3.0, b=20.0)
    rng = np.random.default_rng(42)
    n = 50_000
    T = rng.integers(30, 730, n).astype(float)
    x, t_x = simulate_bgnbd(true, T, rng)
    fit = bgnbd_fit(x, t_x, T)
    assert fit.converged
    assert fit.params.r == pytest.approx(true.r, rel=0.08)
    assert fit.params.alpha == pytest.approx(true.alpha, rel=0.08)
    # a/(a+b) (mean dropout probability) is what the data pin down; a and b separately much less so.
    assert fit.params.a / (fit.params.a + fit.params.b) == pytest.approx(true.a / (true.a + true.b), rel=0.15)


EXTREMES = [
    BGNBDParams(r=1e-4, alpha=1e-3, a=1e-3, b=1e-3),
    BGNBDParams(r=1e4, alpha=1e6, a=1e4, b=1e5),
    BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426),
    BGNBDParams(r=50.0, alpha=0.01, a=0.05, b=500.0),
    BGNBDParams(r=0.5, alpha=5.0, a=1.0, b=0.1),
]


@pytest.mark.parametrize("params", EXTREMES)
def test_no_nan_or_inf_at_extremes(params):
    x = np.array([0, 1, 5, 100, 10_000, 100_000, 0, 3], dtype=float)
    t_x = np.array([0, 0.001, 4.9, 999.0, 9_999.0, 1e5, 0, 0], dtype=float)
    T = np.array([0.0, 0.002, 5.0, 1000.0, 1e4, 1e5, 1e6, 1e6])
    for t in (0.0, 1e-6, 1.0, 52.0, 1e4, 1e7):
        e = bgnbd_expected_purchases(params, t, x, t_x, T)
        p = bgnbd_probability_purchase(params, t, x, t_x, T)
        assert np.all(np.isfinite(e)) and np.all(e >= 0), (t, e)
        assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1)), (t, p)
    alive = bgnbd_p_alive(params, x, t_x, T)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(bgnbd_log_likelihood(params, x, t_x, T)))
    u = bgnbd_expected_unconditional(params, np.array([0.0, 1.0, 1e3, 1e6]))
    assert np.all(np.isfinite(u)) and np.all(np.diff(u) >= 0)


def test_expectation_grows_with_the_horizon_for_a_heavy_buyer():
    t = np.array([1.0, 10.0, 100.0, 1000.0])
    e = bgnbd_expected_purchases(CDNOW, t, 5000, 99.0, 100.0)
    assert np.all(np.isfinite(e)) and np.all(np.diff(e) > 0)


def test_fit_on_extreme_data_stays_finite():
    # One huge buyer among customers who bought once: the optimiser must not wander into NaN.
    x = np.r_[np.zeros(500), [1e5]]
    t_x = np.r_[np.zeros(500), [99.0]]
    T = np.r_[np.full(500, 100.0), [100.0]]
    fit = bgnbd_fit(x, t_x, T)
    assert all(math.isfinite(v) and v > 0 for v in fit.params.__dict__.values())
    assert math.isfinite(fit.log_likelihood)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        bgnbd_fit([0, 0], [0, 0], [5, 5])  # nobody bought twice
    with pytest.raises(ValueError):
        bgnbd_log_likelihood(CDNOW, [1], [6.0], [5.0])  # t_x > T
    with pytest.raises(ValueError):
        bgnbd_log_likelihood(CDNOW, [1.5], [1.0], [5.0])  # fractional x
    with pytest.raises(ValueError):
        bgnbd_p_alive(BGNBDParams(r=-1, alpha=1, a=1, b=1), [1], [1], [2])
    with pytest.raises(ValueError):
        bgnbd_fit([1, np.nan], [1, 1], [2, 2])


def test_customers_who_do_not_differ_give_the_limiting_model():
    # Everyone buys at 0.02 a day and nobody leaves: the likelihood peaks at infinity (r, α → ∞, a → 0). The fit
    # heads off along that ridge and must still predict the common rate.
    rng = np.random.default_rng(0)
    n = 3000
    T = rng.integers(100, 700, n).astype(float)
    x = rng.poisson(0.02 * T).astype(float)
    t_x = np.minimum(np.where(x > 0, np.ceil(T * rng.beta(np.maximum(x, 1), 1)), 0), T)
    fit = bgnbd_fit(x, t_x, T)
    assert fit.params.r > 1e3 and fit.params.a < 1e-2
    assert fit.params.r / fit.params.alpha == pytest.approx(0.02, rel=0.05)
    np.testing.assert_allclose(bgnbd_expected_purchases(fit.params, 100, [0, 3, 20], [0, 10, 50], [300, 300, 550]),
                               2.0, rtol=0.05)
