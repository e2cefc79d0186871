"""Customers drawn from the models' own generative processes (for parameter-recovery tests and the benchmark).

Vectorised: no loop per customer. Pure NumPy: no Django.
"""

from __future__ import annotations

import numpy as np

from insights.math.bgnbd import BGNBDParams
from insights.math.gamma_gamma import GammaGammaParams


def simulate_bgnbd(params: BGNBDParams, T: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Repeat-purchase histories (x, t_x) for customers observed for T time units after their first purchase.

    λ ~ Gamma(r, rate α), p ~ Beta(a, b). Repeat purchases arrive as a Poisson(λ) process; after each repeat purchase
    the customer drops out for good with probability p (not after the first purchase, as in FHL 2005), so the number
    of repeat purchases a customer would ever make is G ~ Geometric(p) on {1, 2, …}. With N ~ Poisson(λT) arrivals in
    (0, T], x = min(N, G), and given N the arrival times are uniform order statistics, so the x-th one is
    T · Beta(x, N − x + 1).
    """
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    # p can underflow to exactly 0 for tiny a; a customer who never drops out then has G = ∞.
    g = np.where(p > 0, rng.geometric(np.clip(p, 1e-300, 1.0), n), np.iinfo(np.int64).max)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, g)
    pos = x > 0
    t_x = np.zeros(n)
    t_x[pos] = T[pos] * rng.beta(x[pos], arrivals[pos] - x[pos] + 1)
    return x.astype(float), t_x


def simulate_gamma_gamma(params: GammaGammaParams, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mean transaction value m over x transactions per customer (0 where x = 0).

    ν ~ Gamma(q, rate γ) per customer, each value z ~ Gamma(p, rate ν); a sum of x such values is Gamma(p·x, rate ν).
    """
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(params.q, 1.0 / params.gamma, len(x))
    pos = x > 0
    m = np.zeros(len(x))
    m[pos] = rng.gamma(params.p * x[pos], 1.0 / nu[pos]) / x[pos]
    return m
