"""Customer lifetime value over a horizon: BG/NBD expected purchases × Gamma-Gamma expected spend, discounted monthly.

    CLV = Σ_{i=1..H} (E[Y(i months)] − E[Y(i−1 months)]) · E[spend] · margin_share / (1 + d)^i

where E[Y(t)] is the BG/NBD conditional expectation of purchases in (T, T+t] given the customer's history,
E[spend] the Gamma-Gamma expected value of one transaction, d the monthly discount rate and H the horizon in months.
Purchases in month i are discounted as if they happened at its end (a conservative convention; FHL 2005 "RFM and CLV"
discount continuously, which differs by at most a factor (1+d)^(1/2) per month).

Pure NumPy/SciPy: no Django.
"""

from __future__ import annotations

import numpy as np

from insights.math._common import as_float_array, unique_rows
from insights.math.bgnbd import BGNBDParams, _check_history, _expected_given_alive, bgnbd_p_alive
from insights.math.gamma_gamma import GammaGammaParams, gamma_gamma_expected_spend


def _given_alive_by_month(bgnbd: BGNBDParams, x: np.ndarray, T: np.ndarray, horizon_months: int,
                          periods_per_month: float) -> tuple[np.ndarray, np.ndarray]:
    """E[Y(i months) | alive] for i = 0..H per distinct (x, T) pair (shape (pairs, H+1)), and each row's pair.

    The hypergeometric part depends on (x, T) only (P(alive), which needs t_x, is a per-customer factor), and daily
    histories have far fewer distinct (x, T) pairs than customers.
    """
    if horizon_months < 0:
        raise ValueError("horizon_months must be ≥ 0")
    (ux, uT), idx = unique_rows([x, T])
    months = np.arange(horizon_months + 1, dtype=float) * periods_per_month
    shape = (len(ux), len(months))
    t = np.broadcast_to(months[None, :], shape)
    k = np.broadcast_to((bgnbd.r + ux)[:, None], shape)
    beta = np.broadcast_to((bgnbd.alpha + uT)[:, None], shape)
    bb = np.broadcast_to((bgnbd.b + ux)[:, None], shape)
    given_alive = _expected_given_alive(k.ravel(), beta.ravel(), bgnbd.a, bb.ravel(), t.ravel()).reshape(shape)
    return given_alive, idx


def expected_purchases_by_month(bgnbd: BGNBDParams, x: object, t_x: object, T: object, *, horizon_months: int,
                                periods_per_month: float) -> np.ndarray:
    """Cumulative expected purchases E[Y(i months)], i = 0..H, as an array of shape (customers, H+1)."""
    xa, ta, Ta = _check_history(x, t_x, T)
    given_alive, idx = _given_alive_by_month(bgnbd, xa, Ta, horizon_months, periods_per_month)
    return bgnbd_p_alive(bgnbd, xa, ta, Ta)[:, None] * given_alive[idx]


def clv(bgnbd: BGNBDParams, gg: GammaGammaParams, x: object, t_x: object, T: object, m: object, *,
        horizon_months: int, monthly_discount_rate: float, periods_per_month: float,
        margin_share: float = 1.0) -> np.ndarray:
    """Expected discounted margin of each customer over the next `horizon_months` months (see module docstring).

    x, t_x, T are in the BG/NBD model's time unit; `periods_per_month` converts months into it (4.348 for weeks,
    30.44 for days, 1 for months). m is the mean repeat-transaction value (ignored where x = 0). The discounted
    monthly sum is formed once per distinct (x, T) pair, then multiplied by each customer's P(alive) and spend.
    """
    if monthly_discount_rate <= -1:
        raise ValueError("monthly_discount_rate must be > −1")
    if not periods_per_month > 0:
        raise ValueError("periods_per_month must be > 0")
    xa, ta, Ta = _check_history(x, t_x, T)
    ma = np.broadcast_to(as_float_array("m", m), xa.shape)
    given_alive, idx = _given_alive_by_month(bgnbd, xa, Ta, horizon_months, periods_per_month)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1, dtype=float)
    per_pair = (np.diff(given_alive, axis=1) * discount[None, :]).sum(axis=1)
    spend = gamma_gamma_expected_spend(gg, xa, ma)
    return bgnbd_p_alive(bgnbd, xa, ta, Ta) * per_pair[idx] * spend * margin_share
