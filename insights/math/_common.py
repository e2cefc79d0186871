"""Helpers shared by the model modules: input checks, grouping rows into sufficient statistics, the optimiser."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

try:  # installed with scikit-learn; without it the optimiser simply runs with the default BLAS threads
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    def threadpool_limits(**_kwargs: object) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

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


def unique_rows(columns: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the columns (in lexicographic order) and the index of each input row's distinct row.

    Each column is coded by its rank among its distinct values and the codes combined into one integer key, so a
    single integer sort does the work (a lexsort of float rows is several times slower for a million rows).
    """
    n = len(columns[0])
    if n == 0:
        return [np.asarray(c)[:0] for c in columns], np.zeros(0, dtype=np.int64)
    values, codes = [], []
    for c in columns:
        u, inv = np.unique(np.asarray(c), return_inverse=True)
        values.append(u)
        codes.append(inv.astype(np.int64).ravel())
    sizes = [len(u) for u in values]
    if float(np.prod([float(k) for k in sizes])) < 2.0 ** 62:
        key = codes[0]
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key = key * size + code
        ukey, inverse = np.unique(key, return_inverse=True)
        out = []
        for u, size in zip(values[::-1], sizes[::-1], strict=True):
            ukey, code = np.divmod(ukey, size)
            out.append(u[code])
        return out[::-1], inverse.astype(np.int64).ravel()
    # Too many distinct combinations for one 64-bit key: sort the rows of codes lexicographically.
    stacked = np.column_stack(codes)
    order = np.lexsort(stacked.T[::-1])
    s = stacked[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = np.any(s[1:] != s[:-1], axis=1)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    first = order[new]
    return [np.asarray(c)[first] for c in columns], inverse


def group_rows(columns: Sequence[np.ndarray], weights: np.ndarray | None) -> tuple[list[np.ndarray], np.ndarray]:
    """Identical rows collapsed into one row with the summed weight (the likelihood depends on the rows only)."""
    w = np.ones(len(columns[0])) if weights is None else np.asarray(weights, dtype=float)
    uniq, inverse = unique_rows(columns)
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
    # The polish: a fresh L-BFGS-B run from the best end (new curvature memory, tighter tolerances), needed only
    # when the first run stopped on a small relative change of the value while the gradient was not yet ~0.
    if float(np.max(np.abs(best.jac))) > 1e-7:
        polished = optimize.minimize(objective, best.x, jac=True, method="L-BFGS-B", bounds=bounds,
                                     options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
        if np.isfinite(polished.fun) and polished.fun <= best.fun:
            best = polished
    at_edge = bool(np.any(np.abs(best.x) > LOG_BOUND - 1e-6))
    # L-BFGS-B sometimes stops on "ABNORMAL" line searches at a point that is an optimum to machine precision;
    # a small projected gradient is the honest test.
    converged = (bool(best.success) or float(np.max(np.abs(best.jac))) < 1e-5) and not at_edge
    return best.x, converged
