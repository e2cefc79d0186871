"""Fit time of the lifetime-value models: BG/NBD + Gamma-Gamma fits and the 12-month CLV of every customer.

Simulates customer summaries from the models' own generative processes at daily resolution (as a real order history
gives them: whole days, amounts in cents), then times each step. No database is involved: this is the arithmetic
that `kehu clv refresh` runs after one set-based query.

    .venv/bin/python -m bench.insights [--customers 100000 1000000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from insights.math.bgnbd import BGNBDParams, bgnbd_fit
from insights.math.clv import clv
from insights.math.gamma_gamma import GammaGammaParams, gamma_gamma_fit
from insights.math.simulate import simulate_bgnbd, simulate_gamma_gamma

# Daily parameters of a plausible retail base: ~3 purchases a year while active, most customers buy a few times.
TRUE_BGNBD = BGNBDParams(r=0.25, alpha=30.0, a=0.8, b=2.5)
TRUE_GG = GammaGammaParams(p=6.0, q=3.5, gamma=150.0)
HISTORY_DAYS = 3 * 365
DAYS_PER_MONTH = 365.25 / 12


def simulate(customers: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T, m) for `customers` customers first seen uniformly over three years, in whole days."""
    rng = np.random.default_rng(seed)
    T = rng.integers(0, HISTORY_DAYS + 1, customers).astype(float)
    x, t_x = simulate_bgnbd(TRUE_BGNBD, T, rng)
    # Orders carry dates, not times: the last purchase falls on a whole day after the first one.
    t_x = np.where(x > 0, np.clip(np.ceil(t_x), 1.0, np.maximum(T, 1.0)), 0.0)
    T = np.maximum(T, t_x)
    m = np.round(simulate_gamma_gamma(TRUE_GG, x, rng), 2)
    m = np.where(x > 0, np.maximum(m, 0.01), 0.0)
    return x, t_x, T, m


def fit_timing(customers: int) -> dict:
    """Simulate `customers` summaries and time the BG/NBD fit, the Gamma-Gamma fit and the CLV of all of them."""
    x, t_x, T, m = simulate(customers)
    c0 = time.process_time()
    t0 = time.perf_counter()
    bg = bgnbd_fit(x, t_x, T)
    t1 = time.perf_counter()
    gg = gamma_gamma_fit(x, m)
    t2 = time.perf_counter()
    values = clv(bg.params, gg.params, x, t_x, T, m, horizon_months=12, monthly_discount_rate=0.01,
                 periods_per_month=DAYS_PER_MONTH)
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    return {
        "customers": customers,
        "repeat_buyers": int((x > 0).sum()),
        "bgnbd_seconds": round(t1 - t0, 3),
        "gamma_gamma_seconds": round(t2 - t1, 3),
        "clv_seconds": round(t3 - t2, 3),
        "total_seconds": round(t3 - t0, 3),
        "cpu_seconds": round(cpu, 3),
        "bgnbd": {"r": bg.params.r, "alpha": bg.params.alpha, "a": bg.params.a, "b": bg.params.b,
                  "converged": bg.converged},
        "gamma_gamma": {"p": gg.params.p, "q": gg.params.q, "gamma": gg.params.gamma, "converged": gg.converged},
        "clv_mean": float(values.mean()),
        "clv_finite": bool(np.all(np.isfinite(values))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"{'customers':>10} {'BG/NBD s':>9} {'Gamma-Gamma s':>14} {'CLV s':>7} {'total s':>8} {'CPU s':>6}  "
          f"fitted r, α, a, b (true {TRUE_BGNBD.r}, {TRUE_BGNBD.alpha}, {TRUE_BGNBD.a}, {TRUE_BGNBD.b}); "
          f"p, q, γ (true {TRUE_GG.p}, {TRUE_GG.q}, {TRUE_GG.gamma})")
    for n in args.customers:
        res = fit_timing(n)
        b, g = res["bgnbd"], res["gamma_gamma"]
        print(f"{n:>10,} {res['bgnbd_seconds']:>9.2f} {res['gamma_gamma_seconds']:>14.2f} {res['clv_seconds']:>7.2f} "
              f"{res['total_seconds']:>8.2f} {res['cpu_seconds']:>6.2f}  "
              f"{b['r']:.3f}, {b['alpha']:.2f}, {b['a']:.3f}, {b['b']:.3f}; "
              f"{g['p']:.2f}, {g['q']:.2f}, {g['gamma']:.1f}", flush=True)


if __name__ == "__main__":
    main()
