"""Helpers shared by the model modules: input checks, grouping rows into sufficient statistics, the optimiser."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

# Log-parameters are kept in this box while optimising: e^±25 covers every shape or scale a real customer base
# has (after the data are rescaled to unit size), and keeps exp() away from overflow.
LOG_BOUND = 25.0


def as_float_array(name: str, values: object) -> np.ndarray:
    """A 1-d float array copy of `values`; ValueError naming the argument when it holds NaN or infinities."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1:
        arr = arr.ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return arr


def wsum(weights: np.ndarray, values: np.ndarray) -> float:
    """Σ weights·values without BLAS: np.dot hands 1-d products to a multithreaded BLAS, which on a busy 2-core
    machine costs milliseconds of thread hand-offs per call — more than the arithmetic."""
    return float(np.sum(weights * values))


def unique_rows(columns: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the columns (sorted), the index of each input row's distinct row, and the sort order."""
    stacked = np.column_stack(columns)
    if len(stacked) == 0:
        return [c[:0] for c in columns], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(stacked.T[::-1])
    s = stacked[order]
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    new[1:] = np.any(s[1:] != s[:-1], axis=1)
    group_of_sorted = np.cumsum(new) - 1
    inverse = np.empty(len(s), dtype=np.int64)
    inverse[order] = group_of_sorted
    uniq = s[new]
    return [uniq[:, i].copy() for i in range(uniq.shape[1])], inverse, order


def group_rows(columns: Sequence[np.ndarray], weights: np.ndarray | None) -> tuple[list[np.ndarray], np.ndarray]:
    """Identical rows collapsed into one row with the summed weight (the likelihood depends on the rows only)."""
    w = np.ones(len(columns[0])) if weights is None else np.asarray(weights, dtype=float)
    uniq, inverse, _ = unique_rows(columns)
    return uniq, np.bincount(inverse, weights=w, minlength=len(uniq[0]))


def minimise(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    starts: Sequence[Sequence[float]],
) -> tuple[np.ndarray, bool]:
    """Minimise a smooth objective (value, gradient) of log-parameters from several starts; the best end wins.

    L-BFGS-B with the analytic gradient, then a second L-BFGS-B run from the optimum with tighter tolerances (the
    "polish": it restarts the curvature memory, which matters for the ill-conditioned BG/NBD surface). Returns the
    log-parameters and whether the optimiser reported success away from the box edges.
    """
    # One BLAS thread: L-BFGS-B's small dense products gain nothing from threads and lose much to hand-offs on a
    # busy machine (measured: a 20,000-customer BG/NBD fit 1.6 s with OpenBLAS threads, 0.6 s without).
    with threadpool_limits(limits=1, user_api="blas"):
        return _minimise(objective, starts)


def _minimise(objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
              starts: Sequence[Sequence[float]]) -> tuple[np.ndarray, bool]:
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    best: optimize.OptimizeResult | None = None
    for start in starts:
        try:
            res = optimize.minimize(objective, np.asarray(start, dtype=float), jac=True, method="L-BFGS-B",
                                    bounds=bounds, options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9})
        except (FloatingPointError, ValueError):
            continue
        if not np.isfinite(res.fun):
            continue
        if best is None or res.fun < best.fun:
            best = res
    if best is None:
        raise ValueError("the likelihood could not be evaluated at any starting point")
    polished = optimize.minimize(objective, best.x, jac=True, method="L-BFGS-B", bounds=bounds,
                                 options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
    if np.isfinite(polished.fun) and polished.fun <= best.fun:
        best = polished
    at_edge = bool(np.any(np.abs(best.x) > LOG_BOUND - 1e-6))
    _, grad = objective(best.x)
    # L-BFGS-B sometimes stops on "ABNORMAL" line searches at a point that is an optimum to machine precision;
    # a small projected gradient is the honest test.
    converged = (bool(best.success) or float(np.max(np.abs(grad))) < 1e-5) and not at_edge
    return best.x, converged
