"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to project customer
retention", Journal of Interactive Marketing 21(1), 76–90). Pure NumPy/SciPy, no Django.

The story: at the end of each period a customer who is still active renews with probability 1 − θ and leaves with
probability θ, independently from period to period; θ varies across customers as Beta(α, β). For a cohort of
customers who all started in period 0 (periods t = 1, 2, … after the start):

    P(T = 1) = α / (α + β)
    P(T = t) = (β + t − 2) / (α + β + t − 1) · P(T = t − 1)            (t ≥ 2)
    S(t)     = B(α, β + t) / B(α, β) = S(t − 1) · (β + t − 1) / (α + β + t − 1)
    r(t)     = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)          (retention rises with t: the cohort sorts)

Given survivors n_0, n_1, …, n_k (n_0 customers at the start, n_t still active after t periods) the
log-likelihood is Σ_{t=1..k} (n_{t−1} − n_t) ln P(T = t) + n_k ln S(k) (eq. 7 of the paper); it is maximised over
(ln α, ln β) with L-BFGS-B.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

# ln α and ln β are kept in this box: e^±12 covers every retention pattern a cohort of survivors can show and keeps
# the beta functions away from overflow.
LOG_BOUND = 12.0
# Fewer than this many periods after the start leave the two parameters unidentified (one drop-out rate).
MIN_PERIODS = 3


class SurvivorsError(ValueError):
    """The survivor counts cannot be fitted; `code` names why (for messages in the user's language)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SBGFit:
    alpha: float
    beta: float
    log_likelihood: float
    periods_fitted: int  # k: the number of periods after the start the survivors cover

    def survival(self, periods: int) -> np.ndarray:
        """S(t) for t = 0 … periods (S(0) = 1)."""
        return sbg_survival(self.alpha, self.beta, periods)

    def retention(self, periods: int) -> np.ndarray:
        """r(t) for t = 1 … periods (index 0 is r(1))."""
        return sbg_retention(self.alpha, self.beta, periods)

    def expected_lifetime(self) -> float:
        """Expected number of periods a new customer stays (E[T]); infinite when α ≤ 1."""
        return sbg_expected_lifetime(self.alpha, self.beta)

    def derl(self, discount: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime of a customer who has made `renewals` renewals (see `sbg_derl`)."""
        return sbg_derl(self.alpha, self.beta, discount, renewals)


def check_survivors(survivors: Sequence[float]) -> np.ndarray:
    """The counts as a float array; SurvivorsError when they cannot be fitted."""
    arr = np.asarray(list(survivors), dtype=float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise SurvivorsError("not_numbers", "survivors must be finite numbers")
    if len(arr) < MIN_PERIODS + 1:
        raise SurvivorsError("too_few", f"need survivors for at least {MIN_PERIODS + 1} periods (t = 0 … "
                                        f"{MIN_PERIODS}), got {len(arr)}")
    if np.any(arr < 0):
        raise SurvivorsError("negative", "survivor counts cannot be negative")
    if arr[0] <= 0:
        raise SurvivorsError("empty_cohort", "the cohort is empty at the start")
    if np.any(np.diff(arr) > 0):
        raise SurvivorsError("increasing", "survivor counts cannot rise from one period to the next")
    if arr[-1] == arr[0]:
        raise SurvivorsError("no_churn", "nobody left the cohort: the drop-out rate cannot be estimated")
    if arr[-1] == 0:
        raise SurvivorsError("all_lost", "nobody is left at the end: the maximum likelihood runs off to α/β → ∞")
    return arr


def _log_p_and_s(log_alpha: float, log_beta: float, k: int) -> tuple[np.ndarray, float]:
    """ln P(T = t) for t = 1 … k and ln S(k), through log-beta functions (stable for large β)."""
    a, b = math.exp(log_alpha), math.exp(log_beta)
    t = np.arange(1, k + 1, dtype=float)
    log_b0 = special.betaln(a, b)
    log_p = special.betaln(a + 1.0, b + t - 1.0) - log_b0
    log_s = float(special.betaln(a, b + k) - log_b0)
    return log_p, log_s


def sbg_log_likelihood(alpha: float, beta: float, survivors: Sequence[float]) -> float:
    """The cohort's log-likelihood (eq. 7) at (α, β)."""
    n = check_survivors(survivors)
    k = len(n) - 1
    log_p, log_s = _log_p_and_s(math.log(alpha), math.log(beta), k)
    lost = n[:-1] - n[1:]
    return float(np.sum(lost * log_p) + n[-1] * log_s)


def sbg_fit(survivors: Sequence[float]) -> SBGFit:
    """Maximum-likelihood (α, β) from survivor counts n_0 ≥ n_1 ≥ … ≥ n_k (k ≥ 3)."""
    n = check_survivors(survivors)
    k = len(n) - 1
    lost = n[:-1] - n[1:]
    scale = 1.0 / n[0]  # the optimiser works on shares: the same optimum, gradients of order one

    def negative(x: np.ndarray) -> float:
        log_p, log_s = _log_p_and_s(float(x[0]), float(x[1]), k)
        value = -(float(np.sum(lost * log_p)) + n[-1] * log_s) * scale
        return value if math.isfinite(value) else 1e300

    best: optimize.OptimizeResult | None = None
    # A few starts: the surface is smooth but flat along α/β ≈ const when the drop-out barely slows.
    for start in ((0.0, 0.0), (-1.0, 1.0), (1.0, 2.0)):
        result = optimize.minimize(negative, np.array(start), method="L-BFGS-B",
                                   bounds=[(-LOG_BOUND, LOG_BOUND)] * 2, options={"ftol": 1e-15, "gtol": 1e-10})
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    alpha, beta = math.exp(float(best.x[0])), math.exp(float(best.x[1]))
    return SBGFit(alpha=alpha, beta=beta, log_likelihood=float(-best.fun / scale), periods_fitted=k)


def sbg_survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """S(t) for t = 0 … periods."""
    if periods < 0:
        raise ValueError("periods must be ≥ 0")
    t = np.arange(1, periods + 1, dtype=float)
    ratios = (beta + t - 1.0) / (alpha + beta + t - 1.0)
    return np.concatenate([[1.0], np.cumprod(ratios)])


def sbg_retention(alpha: float, beta: float, periods: int) -> np.ndarray:
    """r(t) = (β + t − 1) / (α + β + t − 1) for t = 1 … periods."""
    t = np.arange(1, periods + 1, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def sbg_expected_lifetime(alpha: float, beta: float) -> float:
    """E[T] = E[1/θ] = (α + β − 1) / (α − 1) periods for α > 1; infinite otherwise (the heavy tail of loyal
    customers with θ near 0 makes the mean diverge — quote the discounted figure instead)."""
    if alpha <= 1.0:
        return math.inf
    return (alpha + beta - 1.0) / (alpha - 1.0)


def sbg_derl(alpha: float, beta: float, discount: float, renewals: int = 0) -> float:
    """Discounted expected residual lifetime (Fader & Hardie 2010, "Customer-base valuation in a contractual
    setting", Marketing Science 29(1)) of a customer still active after `renewals` periods (0: a new customer): the
    expected number of further periods they stay, the first counted in full and each later one discounted at rate d,

        DERL = Σ_{t ≥ n+1} S(t) / S(n) / (1 + d)^(t − n − 1)
             = (β + n) / (α + β + n) · ₂F₁(1, β + n + 1; α + β + n + 1; 1 / (1 + d))      (n = renewals)
    """
    if discount <= 0:
        raise ValueError("the discount rate must be > 0 (the undiscounted lifetime is sbg_expected_lifetime)")
    if renewals < 0:
        raise ValueError("renewals must be ≥ 0")
    n = float(renewals)
    lead = (beta + n) / (alpha + beta + n)
    return float(lead * special.hyp2f1(1.0, beta + n + 1.0, alpha + beta + n + 1.0, 1.0 / (1.0 + discount)))
