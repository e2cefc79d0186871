"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013,
"The Gamma-Gamma Model of Monetary Value").

Per customer, each transaction's value z ~ Gamma(shape p, rate ν); across customers ν ~ Gamma(shape q, rate γ).
A customer is summarised by x (how many transactions enter the average) and m = z̄, their mean value. The model
assumes spend does not depend on how often someone buys; it is fitted on customers with x ≥ 1 (in the papers the
REPEAT transactions of the calibration period, so the first purchase does not count).

Pure NumPy/SciPy: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from insights.math._common import as_float_array, group_rows, minimise, wsum


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: transaction value ~ Gamma(p, ν), ν ~ Gamma(q, γ). γ is in money units."""

    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class GammaGammaFit:
    """A maximum-likelihood fit: parameters, summed log-likelihood, customers used (x ≥ 1), optimiser success."""

    params: GammaGammaParams
    log_likelihood: float
    customers: int
    converged: bool


# Above this many distinct rows the fit starts on a random subset of them and finishes on all (fewer full passes).
_WARM_START_ROWS = 50_000


def _check_params(params: GammaGammaParams) -> tuple[float, float, float]:
    vals = (float(params.p), float(params.q), float(params.gamma))
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError("Gamma-Gamma parameters must be positive and finite")
    return vals


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: object, m: object) -> np.ndarray:
    """Log density of each customer's mean transaction value m over x ≥ 1 transactions (Fader & Hardie 2013 eq. 3).

    f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m^(px−1) · x^(px) / (γ + x m)^(px+q).
    """
    p, q, g = _check_params(params)
    xa, ma = np.broadcast_arrays(as_float_array("x", x), as_float_array("m", m))
    if np.any(xa < 1) or np.any(ma <= 0):
        raise ValueError("the Gamma-Gamma likelihood needs x ≥ 1 and m > 0")
    px = p * xa
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(ma) + px * np.log(xa) - (px + q) * np.log(g + xa * ma))


def gamma_gamma_fit(x: object, m: object, *, weights: object | None = None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from customers' (x, m); rows with x = 0 (or zero weight) are ignored.

    Money is rescaled to a mean of 1 while optimising (γ is scaled back), identical rows are grouped, and every term
    that depends on x alone is computed once per distinct x.
    """
    xa, ma = np.broadcast_arrays(as_float_array("x", x), as_float_array("m", m))
    wa = None if weights is None else as_float_array("weights", weights)
    if wa is not None and (wa.shape != xa.shape or np.any(wa < 0)):
        raise ValueError("weights must be one non-negative number per customer")
    keep = xa >= 1
    if wa is not None:
        keep &= wa > 0
    if np.any(ma[keep] <= 0):
        raise ValueError("the mean transaction value m must be > 0 for customers with x ≥ 1")
    xa, ma = xa[keep], ma[keep]
    wa = None if wa is None else wa[keep]
    if len(xa) < 2:
        raise ValueError("fewer than two customers with a repeat purchase: the Gamma-Gamma model cannot be fitted")
    (gx, gm), gw = group_rows([xa, ma], wa)
    total = float(gw.sum())
    scale = float(wsum(gw, gm) / total)
    sm = gm / scale
    xs, xi = np.unique(gx, return_inverse=True)
    log_xs = np.log(xs)
    log_m = np.log(sm)
    xlog = gx * log_m  # x · log m per row, constant during the fit

    def objective(lp: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            p, q, g = np.exp(lp)
            px_u = p * xs
            c_u = special.gammaln(px_u + q) - special.gammaln(px_u) + px_u * log_xs
            log_gxm = np.log(g + gx * sm)
            px = px_u[xi]
            ll = (c_u[xi] - special.gammaln(q) + q * np.log(g) + p * xlog - log_m - (px + q) * log_gxm)
            psi_u = special.digamma(px_u + q)
            dp = xs * (psi_u - special.digamma(px_u) + log_xs)
            g_p = dp[xi] + xlog - gx * log_gxm
            g_q = psi_u[xi] - special.digamma(q) + np.log(g) - log_gxm
            g_g = q / g - (px + q) / (g + gx * sm)
            value = -float(wsum(gw, ll)) / total
            grad = -np.array([p * wsum(gw, g_p), q * wsum(gw, g_q), g * wsum(gw, g_g)]) / total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros(3)
        return value, grad

    # Starts: neutral, and a moment-style one (a transaction's coefficient of variation of ~0.5 ⇒ p ≈ 4).
    starts: list[list[float]] = [[0.0, 0.0, 0.0], [np.log(4.0), np.log(3.0), np.log(0.5)]]
    if len(gx) > _WARM_START_ROWS:
        # Many distinct rows: find the optimum on a random subset first; the full data then only polish it.
        rows = np.random.default_rng(20130101).choice(len(gx), _WARM_START_ROWS, replace=False)
        sub_x, sub_m = gx[rows], gm[rows]
        sub_w = gw[rows] * (total / float(gw[rows].sum()))
        warm = gamma_gamma_fit(sub_x, sub_m, weights=sub_w)
        starts = [[np.log(warm.params.p), np.log(warm.params.q), np.log(warm.params.gamma / scale)]]
    lp, converged = minimise(objective, starts)
    p, q, g_s = (float(v) for v in np.exp(lp))
    params = GammaGammaParams(p=p, q=q, gamma=g_s * scale)
    ll = float(wsum(gw, gamma_gamma_log_likelihood(params, gx, gm)))
    customers = int(round(total)) if wa is not None else len(xa)
    return GammaGammaFit(params=params, log_likelihood=ll, customers=customers, converged=converged)


def gamma_gamma_expected_spend(params: GammaGammaParams, x: object, m: object) -> np.ndarray:
    """Expected value of a customer's future transactions, E[Z | x, m] = (pγ + p·x·m) / (p·x + q − 1).

    A weighted average of the population mean pγ/(q−1) and the customer's own mean m, the weight on m growing with
    x; for x = 0 it is the population mean. Needs q > 1 (otherwise the mean spend is infinite: ValueError).
    """
    p, q, g = _check_params(params)
    if q <= 1:
        raise ValueError("q ≤ 1: the Gamma-Gamma mean spend is infinite")
    xa, ma = np.broadcast_arrays(as_float_array("x", x), as_float_array("m", m))
    if np.any(xa < 0):
        raise ValueError("x must be ≥ 0")
    mm = np.where(xa > 0, ma, 0.0)
    return (p * g + p * xa * mm) / (p * xa + q - 1.0)
