"""From a transaction list to the models' sufficient statistics (x, t_x, T, m), vectorised.

Conventions (as in the BTYD literature and the CDNOW papers):
- purchases by one customer on one day are ONE transaction (their amounts are summed);
- x counts REPEAT transactions in the calibration period (the first purchase does not count);
- t_x = time from the first to the last calibration transaction, T = time from the first transaction to the end of
  the calibration period (inclusive day numbers: a purchase ON `calibration_end_day` is in the calibration period);
- m = mean value of the REPEAT transactions (0 when x = 0), which is what the Gamma-Gamma model is fitted on.
Customers whose first purchase falls after the calibration end are not in the summary.

Pure NumPy: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """One row per customer (sorted by customer id); times in the chosen unit, first_day in the input's day numbers."""

    customer_id: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray
    first_day: np.ndarray

    def __len__(self) -> int:
        return len(self.customer_id)


def _daily(customer_ids: object, days: object, amounts: object | None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                 np.ndarray]:
    """Customer codes (into the sorted unique ids), day and summed amount of each distinct (customer, day)."""
    ids = np.asarray(customer_ids)
    day = np.asarray(days, dtype=np.int64)
    amt = np.zeros(len(day)) if amounts is None else np.asarray(amounts, dtype=float)
    if not (ids.ndim == day.ndim == amt.ndim == 1) or not (len(ids) == len(day) == len(amt)):
        raise ValueError("customer_ids, days and amounts must be 1-d and of equal length")
    uniq, code = np.unique(ids, return_inverse=True)
    order = np.lexsort((day, code))
    code, day, amt = code[order], day[order], amt[order]
    if len(code) == 0:
        return uniq, code, day, amt
    new = np.empty(len(code), dtype=bool)
    new[0] = True
    new[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    return uniq, code[starts], day[starts], np.add.reduceat(amt, starts)


def summarise_transactions(customer_ids: object, days: object, amounts: object, *, calibration_end_day: int,
                           time_unit_days: float) -> Summary:
    """The calibration-period summary (x, t_x, T, m, first_day) per customer from raw transactions.

    `days` are integer day numbers (e.g. days since 1970-01-01); `time_unit_days` is 7 for weeks, 1 for days,
    365.25/12 for months.
    """
    if not time_unit_days > 0:
        raise ValueError("time_unit_days must be > 0")
    uniq, code, day, amt = _daily(customer_ids, days, amounts)
    keep = day <= calibration_end_day
    code, day, amt = code[keep], day[keep], amt[keep]
    if len(code) == 0:
        empty = np.zeros(0)
        return Summary(uniq[:0], empty, empty, empty, empty, np.zeros(0, dtype=np.int64))
    # Rows are sorted by (customer, day): each customer's block starts at its first day and ends at its last.
    new = np.empty(len(code), dtype=bool)
    new[0] = True
    new[1:] = code[1:] != code[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(code)) - 1
    n_tx = ends - starts + 1
    first, last = day[starts], day[ends]
    total = np.add.reduceat(amt, starts)
    x = (n_tx - 1).astype(float)
    repeat_value = total - amt[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, repeat_value / np.maximum(x, 1.0), 0.0)
    return Summary(
        customer_id=uniq[code[starts]],
        x=x,
        t_x=(last - first) / time_unit_days,
        T=(calibration_end_day - first) / time_unit_days,
        m=m,
        first_day=first,
    )


def count_transactions(customer_ids: object, days: object, *, after_day: int, through_day: int,
                       customers: np.ndarray) -> np.ndarray:
    """Transactions (distinct purchase days) of each of `customers` in (after_day, through_day], in their order.

    Used for the holdout period: `customers` is a summary's customer_id; ids not among them are ignored.
    """
    uniq, code, day, _ = _daily(customer_ids, days, None)
    keep = (day > after_day) & (day <= through_day)
    per_code = np.bincount(code[keep], minlength=len(uniq))
    pos = np.searchsorted(uniq, customers)
    pos = np.clip(pos, 0, max(len(uniq) - 1, 0))
    found = (len(uniq) > 0) & (uniq[pos] == customers) if len(uniq) else np.zeros(len(customers), dtype=bool)
    return np.where(found, per_code[pos] if len(uniq) else 0, 0).astype(np.int64)
