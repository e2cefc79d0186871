"""Every customer's purchase history reduced to the models' sufficient statistics, in ONE set-based
query over the paid orders (never one ORM object per customer or order).

A purchase is a day: all paid orders of one customer on one calendar day (in the business time
zone, settings.TIME_ZONE / KEHU_TIME_ZONE) count as one transaction, as in the literature. Per
customer the query returns the number of purchase days, the first and last day, revenue and margin
(in total and on the first day, so the mean value of *repeat* purchases can be formed), and the
same counts split at the holdout boundary for the holdout check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Case, IntegerField, Max, Sum, Value, When
from django.db.models.functions import TruncDate

from commerce.models import Order

WEEK_DAYS = 7.0


@dataclass
class PurchaseHistory:
    """Per-customer arrays (one entry per customer with at least one paid purchase day up to as_of),
    ordered by customer id. Days are numpy day numbers (days since 1970-01-01)."""

    as_of: date
    holdout_start: date  # first day of the holdout window (calibration ends the day before)
    customer_id: np.ndarray  # int64
    days: np.ndarray  # purchase days up to as_of
    first_day: np.ndarray
    last_day: np.ndarray
    revenue: np.ndarray  # total revenue of paid orders
    margin: np.ndarray
    first_revenue: np.ndarray  # revenue of the first purchase day
    cal_days: np.ndarray  # purchase days before holdout_start
    cal_last_day: np.ndarray  # last purchase day before holdout_start (meaningless when cal_days == 0)
    holdout_days: np.ndarray  # purchase days from holdout_start to as_of

    def __len__(self) -> int:
        return len(self.customer_id)

    @property
    def as_of_day(self) -> int:
        return _day_number(self.as_of)

    # The BG/NBD / Gamma-Gamma inputs as of `as_of`, in weeks.
    @property
    def x(self) -> np.ndarray:
        return (self.days - 1).astype(float)

    @property
    def t_x(self) -> np.ndarray:
        return (self.last_day - self.first_day) / WEEK_DAYS

    @property
    def T(self) -> np.ndarray:  # noqa: N802 - the literature's name
        return (self.as_of_day - self.first_day) / WEEK_DAYS

    @property
    def mean_repeat_revenue(self) -> np.ndarray:
        """Mean revenue of the repeat purchase days (the first is left out, as Gamma-Gamma asks); 0 when x = 0."""
        repeat = self.days - 1
        out = np.zeros(len(self), dtype=float)
        has = repeat > 0
        out[has] = (self.revenue[has] - self.first_revenue[has]) / repeat[has]
        return out

    @property
    def margin_share(self) -> np.ndarray:
        """Margin / revenue of the customer's paid orders; the whole base's share where revenue is 0."""
        total_revenue = float(self.revenue.sum())
        overall = float(self.margin.sum()) / total_revenue if total_revenue > 0 else 1.0
        out = np.full(len(self), overall, dtype=float)
        has = self.revenue > 0
        out[has] = self.margin[has] / self.revenue[has]
        return np.clip(out, -1.0, 1.0)

    def calibration(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(mask, x, t_x, T, actual holdout purchases) of the customers who had bought before the
        holdout window, measured at its start."""
        mask = self.cal_days > 0
        end = _day_number(self.holdout_start) - 1  # the calibration's last day
        x = (self.cal_days[mask] - 1).astype(float)
        t_x = (self.cal_last_day[mask] - self.first_day[mask]) / WEEK_DAYS
        T = (end - self.first_day[mask]) / WEEK_DAYS  # noqa: N806
        return mask, x, t_x, T, self.holdout_days[mask].astype(float)


def _day_number(value: date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _days(values: list[object]) -> np.ndarray:
    """Day numbers from what the driver returns for a date (a date, or ISO text on SQLite); None → 0."""
    arr = np.array([v if v is not None else "1970-01-01" for v in values], dtype="datetime64[D]")
    return arr.astype(np.int64)


def purchase_history(*, as_of: date, holdout_days: int = 90) -> PurchaseHistory:
    """The sufficient statistics of every customer's paid orders up to and including `as_of`, in
    one query: per (customer, day) sums inside, per customer aggregates outside."""
    tz = ZoneInfo(settings.TIME_ZONE)
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    holdout_start = as_of - timedelta(days=holdout_days - 1)
    holdout_from = datetime.combine(holdout_start, time.min, tzinfo=tz)
    per_day = (
        Order.objects.completed()
        .filter(ordered_at__lt=end, customer__deleted_at__isnull=True)
        .annotate(day=TruncDate("ordered_at", tzinfo=tz))
        .values("customer_id", "day")
        .annotate(
            day_revenue=Sum("revenue"), day_margin=Sum("margin"),
            # 1 for a day in the holdout window (all orders of a day fall on the same side of it).
            hold=Max(Case(When(ordered_at__gte=holdout_from, then=Value(1)), default=Value(0),
                          output_field=IntegerField())),
        )
        .order_by()
    )
    # The inner query is compiled by Django (portable, parameterised); the outer one is plain SQL.
    inner_sql, inner_params = per_day.query.sql_with_params()
    sql = f"""
        SELECT d.customer_id, COUNT(*), MIN(d.day), MAX(d.day),
               SUM(d.day_revenue), SUM(d.day_margin),
               SUM(CASE WHEN d.rn = 1 THEN d.day_revenue ELSE 0 END),
               SUM(1 - d.hold), MAX(CASE WHEN d.hold = 0 THEN d.day END), SUM(d.hold)
        FROM (
            SELECT t.customer_id, t.day, t.day_revenue, t.day_margin, t.hold,
                   ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY t.day) AS rn
            FROM ({inner_sql}) t
        ) d
        GROUP BY d.customer_id
        ORDER BY d.customer_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, inner_params)
        rows = cursor.fetchall()
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(10)]
    return PurchaseHistory(
        as_of=as_of,
        holdout_start=holdout_start,
        customer_id=np.asarray(cols[0], dtype=np.int64),
        days=np.asarray(cols[1], dtype=np.int64),
        first_day=_days(list(cols[2])),
        last_day=_days(list(cols[3])),
        revenue=np.asarray(cols[4], dtype=float),
        margin=np.asarray(cols[5], dtype=float),
        first_revenue=np.asarray(cols[6], dtype=float),
        cal_days=np.asarray(cols[7], dtype=np.int64),
        cal_last_day=_days(list(cols[8])),
        holdout_days=np.asarray(cols[9], dtype=np.int64),
    )
