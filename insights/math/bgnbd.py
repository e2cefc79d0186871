"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

The story the model tells, per customer:
- while active, a customer buys at a steady random rate λ (Poisson purchases); λ varies across customers as
  Gamma(shape r, rate α);
- after every purchase the customer may become inactive for good, with probability p; p varies across customers as
  Beta(a, b).

A customer's history is summarised by three numbers (the sufficient statistics), in one time unit (weeks in the
papers): x = number of REPEAT purchases (purchases after the first one), t_x = time of the last purchase counted from
the first one (0 when x = 0) and T = time from the first purchase to the end of the observation period.

All quantities are computed in log space with gammaln/betaln; the hypergeometric function in the expectations is
evaluated on an Euler-transformed form whose parameters do not grow with x (see `_expected_given_alive`), and a
Gauss–Jacobi quadrature of the model's own integral representation takes over where that form is unusable.

This module is pure NumPy/SciPy: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from insights.math._common import as_float_array, group_rows, minimise, unique_rows, wsum


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: purchase rate λ ~ Gamma(shape r, rate α); dropout probability p ~ Beta(a, b).

    α is in the time unit of the data it was fitted on (weeks, days, …); r, a and b have no unit.
    """

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BGNBDFit:
    """A maximum-likelihood fit: the parameters, the summed log-likelihood, how many customers, optimiser success."""

    params: BGNBDParams
    log_likelihood: float
    customers: int
    converged: bool


def _check_history(x: object, t_x: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xa, ta, Ta = as_float_array("x", x), as_float_array("t_x", t_x), as_float_array("T", T)
    xa, ta, Ta = np.broadcast_arrays(xa, ta, Ta)
    if np.any(xa < 0) or np.any(xa != np.floor(xa)):
        raise ValueError("x must be whole numbers ≥ 0")
    if np.any(ta < 0) or np.any(ta > Ta * (1 + 1e-12) + 1e-12):
        raise ValueError("t_x must lie in [0, T]")
    return xa.astype(float), ta.astype(float), Ta.astype(float)


def _check_forecast(x: object, t_x: object, T: object,
                    t: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A history plus a forecast horizon t ≥ 0, all broadcast to one shape."""
    xa, ta, Ta = _check_history(x, t_x, T)
    tt = as_float_array("t", t)
    if np.any(tt < 0):
        raise ValueError("t must be ≥ 0")
    xa, ta, Ta, tt = np.broadcast_arrays(xa, ta, Ta, tt)
    return xa, ta, Ta, tt


def _check_params(params: BGNBDParams) -> tuple[float, float, float, float]:
    vals = (float(params.r), float(params.alpha), float(params.a), float(params.b))
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError("BG/NBD parameters must be positive and finite")
    return vals


def _terms(r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """The three log terms of the likelihood (eq. 6 of the paper): L = e^A1 (e^A2 + [x>0] e^A3)."""
    lbab = special.betaln(a, b)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - lbab - (r + x) * np.log(alpha + T)
    pos = x > 0
    # b + x − 1 > 0 whenever x ≥ 1; the placeholder 1.0 keeps betaln away from 0 for x = 0 rows (masked below).
    a3 = np.where(pos, special.betaln(a + 1, np.where(pos, b + x - 1, 1.0)) - lbab
                  - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1, a2, a3, pos


def bgnbd_log_likelihood(params: BGNBDParams, x: object, t_x: object, T: object) -> np.ndarray:
    """Log-likelihood of each customer's history (x, t_x, T) under the BG/NBD model (FHL 2005 eq. 6).

    L = Γ(r+x) α^r / Γ(r) · [ B(a, b+x)/B(a, b) · (α+T)^−(r+x) + [x>0] B(a+1, b+x−1)/B(a, b) · (α+t_x)^−(r+x) ].
    """
    r, alpha, a, b = _check_params(params)
    xa, ta, Ta = _check_history(x, t_x, T)
    a1, a2, a3, _ = _terms(r, alpha, a, b, xa, ta, Ta)
    return a1 + np.logaddexp(a2, a3)


class _Data:
    """Grouped histories prepared for the likelihood: per-row indices into the distinct x, T and t_x values.

    The likelihood's special functions depend on x alone and its logs on T or t_x alone; evaluating them once per
    distinct value and gathering keeps a likelihood call at a handful of cheap vector operations per row.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        self.xs, self.xi = np.unique(x, return_inverse=True)
        self.Tu, self.Ti = np.unique(T, return_inverse=True)
        self.tu, self.ti = np.unique(t_x, return_inverse=True)
        self.x = x
        self.w = w
        self.wx = w * x
        self.total = float(w.sum())
        self.Wx = np.bincount(self.xi, weights=w, minlength=len(self.xs))

    def subset(self, rows: np.ndarray, factor: float) -> _Data:
        """A random subset of rows with weights scaled by `factor` (for a cheap first fit)."""
        return _Data(self.x[rows], self.tu[self.ti[rows]], self.Tu[self.Ti[rows]], self.w[rows] * factor)


def _objective(log_params: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    """Negative mean log-likelihood and its gradient with respect to the log-parameters (see docs/analytics.md).

    Per row, with A2 = log B(a, b+x)/B(a, b) − (r+x) log(α+T) and A3 the x > 0 term, the log-likelihood is
    A1 + A2 + log(1 + e^δ), δ = A3 − A2, and π = e^δ/(1+e^δ) is the weight of the "dropped out after the last
    purchase" branch in every derivative.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        r, alpha, a, b = np.exp(log_params)
        xs = d.xs
        pos_u = xs > 0
        bx1 = np.where(pos_u, b + xs - 1, 1.0)
        lbab = special.betaln(a, b)
        a1_u = special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha)
        b2_u = special.betaln(a, b + xs) - lbab
        b3_u = np.where(pos_u, special.betaln(a + 1, bx1) - lbab, -np.inf)
        log_aT = np.log(alpha + d.Tu)[d.Ti]
        log_at = np.log(alpha + d.tu)[d.ti]
        rx = r + d.x
        delta = (b3_u - b2_u)[d.xi] - rx * (log_at - log_aT)
        soft = np.logaddexp(0.0, delta)
        pi = special.expit(delta)
        w = d.w
        sum_w_logaT = wsum(w, log_aT)
        sum_wx_logaT = wsum(d.wx, log_aT)
        ll = (wsum(d.Wx, a1_u + b2_u) - r * sum_w_logaT - sum_wx_logaT + wsum(w, soft))
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + xs)
        d1_r_u = special.digamma(r + xs) - special.digamma(r) + np.log(alpha)
        d2_a_u = psi_ab - psi_abx
        d2_b_u = special.digamma(b + xs) - psi_abx - special.digamma(b) + psi_ab
        d3_a_u = special.digamma(a + 1) - psi_abx - special.digamma(a) + psi_ab
        d3_b_u = np.where(pos_u, special.digamma(bx1) - psi_abx - special.digamma(b) + psi_ab, 0.0)
        wpi = w * pi
        pi_x = np.bincount(d.xi, weights=wpi, minlength=len(xs))
        g_r = wsum(d.Wx, d1_r_u) - sum_w_logaT + wsum(wpi, log_aT - log_at)
        inv_T = (1.0 / (alpha + d.Tu))[d.Ti]
        inv_t = (1.0 / (alpha + d.tu))[d.ti]
        g_alpha = d.total * r / alpha - wsum(w * rx, inv_T + pi * (inv_t - inv_T))
        g_a = wsum(d.Wx, d2_a_u) + wsum(pi_x, d3_a_u - d2_a_u)
        g_b = wsum(d.Wx, d2_b_u) + wsum(pi_x, d3_b_u - d2_b_u)
        value = -ll / d.total
        grad = -np.array([r * g_r, alpha * g_alpha, a * g_a, b * g_b]) / d.total
    if not np.isfinite(value) or not np.all(np.isfinite(grad)):
        return np.inf, np.zeros(4)
    return value, grad


# Above this many distinct rows the fit starts on a random subset of them and finishes on all (fewer full passes).
_WARM_START_ROWS = 50_000


def bgnbd_fit(x: object, t_x: object, T: object, *, weights: object | None = None) -> BGNBDFit:
    """Maximum-likelihood BG/NBD parameters for the histories (x, t_x, T), optionally weighted (counts of customers).

    Identical rows are grouped first; times are rescaled so that the mean T is 1 while optimising (α is scaled back
    afterwards), which makes the surface well-conditioned whatever the time unit. With many distinct rows the
    optimiser first runs on a random subset of 50,000 of them, then polishes on all rows from that optimum.
    """
    xa, ta, Ta = _check_history(x, t_x, T)
    if weights is not None:
        wa = as_float_array("weights", weights)
        if wa.shape != xa.shape or np.any(wa < 0):
            raise ValueError("weights must be one non-negative number per customer")
        keep = wa > 0
        xa, ta, Ta, wa = xa[keep], ta[keep], Ta[keep], wa[keep]
    else:
        wa = None
    if len(xa) == 0:
        raise ValueError("no customers to fit")
    if not np.any(xa > 0):
        raise ValueError("no customer has a repeat purchase: the BG/NBD parameters cannot be estimated")
    (gx, gt, gT), gw = group_rows([xa, ta, Ta], wa)
    total = float(gw.sum())
    scale = float(wsum(gw, gT) / total)
    if not scale > 0:
        scale = 1.0
    data = _Data(gx, gt / scale, gT / scale, gw)
    mean_x = float(wsum(gw, gx) / total)
    # Starts: a neutral one, and one from the method of moments for λ (mean repeat rate ≈ r/α) with slow dropout.
    starts: list[list[float]] = [[0.0, 0.0, 0.0, 0.0],
                                 [np.log(0.5), np.log(0.5 / max(mean_x, 1e-3)), np.log(0.8), np.log(2.5)]]
    if len(gx) > _WARM_START_ROWS:
        rng = np.random.default_rng(20050101)
        rows = rng.choice(len(gx), _WARM_START_ROWS, replace=False)
        sub = data.subset(rows, len(gx) / _WARM_START_ROWS)
        if np.any(sub.x > 0):
            warm, _ = minimise(lambda lp: _objective(lp, sub), starts)
            starts = [list(warm)]
    lp, converged = minimise(lambda lp: _objective(lp, data), starts)
    r, alpha_s, a, b = (float(v) for v in np.exp(lp))
    params = BGNBDParams(r=r, alpha=alpha_s * scale, a=a, b=b)
    ll = float(wsum(gw, bgnbd_log_likelihood(params, gx, gt, gT)))
    customers = int(round(total)) if wa is not None else len(xa)
    return BGNBDFit(params=params, log_likelihood=ll, customers=customers, converged=converged)


def _expected_given_alive(k: np.ndarray, beta: np.ndarray, a: float, bb: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[purchases in the next t | alive now], where now λ ~ Gamma(k, β) and p ~ Beta(a, bb) (the posteriors).

    Closed form (FHL 2005 eq. 10 without the P(alive) factor; eq. 9 when k = r, β = α, bb = b):
        (a + bb − 1)/(a − 1) · [1 − (β/(β+t))^k · 2F1(k, bb; a+bb−1; z)],   z = t/(β+t).
    The 2F1 there grows like (1−z)^−(k+1−a) and the prefactor shrinks like (1−z)^k: for a customer with many purchases
    both over/underflow. Euler's transformation 2F1(A,B;C;z) = (1−z)^(C−A−B) 2F1(C−A, C−B; C; z) turns the product
    into the bounded
        (1−z)^(a−1) · 2F1(a+bb−1−k, a−1; a+bb−1; z),
    whose first two parameters do not depend on x. Where that is unusable (a ≈ 1, where 1 − F and a − 1 both vanish;
    a + bb − 1 ≤ 0; or a non-finite value from hyp2f1), the expectation is integrated numerically from its definition
    E = E_p[(1 − (1 + p t/β)^−k)/p] with Gauss–Jacobi nodes for the Beta(a, bb) weight.
    """
    k, beta, bb, t = np.broadcast_arrays(k, beta, bb, t)
    out = np.zeros(k.shape, dtype=float)
    live = t > 0
    if not np.any(live):
        return out
    c = a + bb - 1.0
    with np.errstate(all="ignore"):
        z = t / (beta + t)
        log1mz = np.log(beta) - np.log(beta + t)
        hyp = special.hyp2f1(c - k, a - 1.0, c, z)
        f = np.exp((a - 1.0) * log1mz) * hyp
        closed = c / (a - 1.0) * (1.0 - f) if a != 1.0 else np.full(k.shape, np.nan)
    usable = live & np.isfinite(closed) & (c > 0) & (abs(a - 1.0) > 1e-4) & (closed >= 0)
    out[usable] = closed[usable]
    todo = live & ~usable
    if np.any(todo):
        out[todo] = _expected_given_alive_quadrature(k[todo], beta[todo], a, bb[todo], t[todo])
    return out


def _expected_given_alive_quadrature(k: np.ndarray, beta: np.ndarray, a: float, bb: np.ndarray, t: np.ndarray,
                                     nodes: int = 160) -> np.ndarray:
    """E_p[(1 − (1 + p·t/β)^−k)/p] for p ~ Beta(a, bb), by quadrature (one rule per distinct bb).

    Gauss–Jacobi nodes for the Beta weight where SciPy can build them; for very large shape parameters (whose
    Jacobi weights overflow) Gauss–Legendre on the Beta quantile scale, p = F⁻¹(u), which needs no weights at all.
    """
    out = np.empty(k.shape, dtype=float)
    for value in np.unique(bb):
        sel = bb == value
        p, wq = _beta_rule(a, float(value), nodes)
        ratio = (t[sel] / beta[sel])[:, None]
        with np.errstate(over="ignore", under="ignore"):
            integrand = -np.expm1(-k[sel][:, None] * np.log1p(p[None, :] * ratio)) / p[None, :]
        out[sel] = (integrand * wq[None, :]).sum(axis=1)
    return out


def _beta_rule(a: float, bb: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes in (0, 1) and weights summing to 1 for the Beta(a, bb) distribution."""
    if a + bb < 500:
        with np.errstate(all="ignore"):
            # Jacobi weight (1−u)^α (1+u)^β on [−1, 1] with p = (1+u)/2 is ∝ p^(a−1) (1−p)^(bb−1).
            u, wq = special.roots_jacobi(nodes, bb - 1.0, a - 1.0)
        p = (1.0 + u) / 2.0
        if np.all(np.isfinite(wq)) and np.all(np.isfinite(p)) and wq.sum() > 0 and np.all((p > 0) & (p < 1)):
            return p, wq / wq.sum()
    u, wq = special.roots_legendre(nodes)
    p = special.betaincinv(a, bb, (1.0 + u) / 2.0)
    p = np.clip(p, np.finfo(float).tiny, 1.0)
    return p, wq / wq.sum()


def bgnbd_p_alive(params: BGNBDParams, x: object, t_x: object, T: object) -> np.ndarray:
    """P(the customer is still active at T | x, t_x, T) (FHL 2005 eq. 11; 1 for x = 0).

    1 / (1 + [x>0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)), evaluated as a logistic of a log-odds.
    NOT a churn score: in this model a customer can only drop out right after a purchase, so everyone without a
    repeat purchase has P(alive) = 1 however long they have been silent; ranking churners by it is worse than chance.
    """
    r, alpha, a, b = _check_params(params)
    xa, ta, Ta = _check_history(x, t_x, T)
    pos = xa > 0
    with np.errstate(divide="ignore"):
        log_odds_dead = (np.log(a) - np.log(np.where(pos, b + xa - 1, 1.0))
                         + (r + xa) * (np.log(alpha + Ta) - np.log(alpha + ta)))
    return np.where(pos, special.expit(-log_odds_dead), 1.0)


def bgnbd_expected_purchases(params: BGNBDParams, t: object, x: object, t_x: object, T: object) -> np.ndarray:
    """Expected number of purchases in (T, T+t] given the history (FHL 2005 eq. 10) = P(alive) · E[· | alive]."""
    r, alpha, a, b = _check_params(params)
    xa, ta, Ta, tt = _check_forecast(x, t_x, T, t)
    alive = bgnbd_p_alive(params, xa, ta, Ta)
    if len(xa) > 1000:
        # The hypergeometric part depends on (x, T, t) only: evaluate it once per distinct triple.
        (ux, uT, ut), idx = unique_rows([xa, Ta, tt])
        return alive * _expected_given_alive(r + ux, alpha + uT, a, b + ux, ut)[idx]
    return alive * _expected_given_alive(r + xa, alpha + Ta, a, b + xa, tt)


def bgnbd_probability_purchase(params: BGNBDParams, t: object, x: object, t_x: object, T: object) -> np.ndarray:
    """P(at least one purchase in (T, T+t] | history) = P(alive) · (1 − ((α+T)/(α+T+t))^(r+x)).

    Derivation: dropout happens only right after a purchase, so an active customer's NEXT purchase comes after an
    Exponential(λ) wait whatever p is; given alive, λ's posterior is Gamma(r+x, α+T), and
    P(wait ≤ t) = 1 − E[e^−λt] = 1 − ((α+T)/(α+T+t))^(r+x). A customer who is inactive never buys again.
    """
    r, alpha, _, _ = _check_params(params)
    xa, ta, Ta, tt = _check_forecast(x, t_x, T, t)
    alive = bgnbd_p_alive(params, xa, ta, Ta)
    return alive * -np.expm1((r + xa) * (np.log(alpha + Ta) - np.log(alpha + Ta + tt)))


def bgnbd_expected_unconditional(params: BGNBDParams, t: object) -> np.ndarray | float:
    """E[X(t)]: expected repeat purchases in the first t time units after a new customer's first purchase (eq. 9).

    Summing E[X(t_end − birth)] − E[X(t_start − birth)] over a cohort with staggered first purchases gives the
    model's forecast for a holdout period without using any customer's history. Returns a float for a scalar t.
    """
    r, alpha, a, b = _check_params(params)
    tt = np.asarray(t, dtype=float)
    scalar = tt.ndim == 0
    flat = as_float_array("t", tt)
    if np.any(flat < 0):
        raise ValueError("t must be ≥ 0")
    n = flat.shape
    out = _expected_given_alive(np.full(n, r), np.full(n, alpha), a, np.full(n, b), flat)
    return float(out[0]) if scalar else out
