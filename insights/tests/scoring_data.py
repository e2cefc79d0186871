"""Test data for the scoring: customers and paid orders written with bulk inserts (not through the
order services: hundreds of customers would take seconds), and a BG/NBD-shaped generated history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from commerce.choices import OrderStatus
from commerce.models import Order
from customers.models import Customer


def moment(day: date, hour: int = 10) -> datetime:
    """A time on `day` in the business time zone."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def customers_bulk(owner: Any, count: int, prefix: str = "客户") -> list[Customer]:
    made = Customer.objects.bulk_create(
        [Customer(name=f"{prefix}{i}", owner=owner, team_id=owner.team_id, kind="person") for i in range(count)]
    )
    if made and made[0].pk is None:  # backends without RETURNING ids
        made = list(Customer.objects.filter(owner=owner, name__startswith=prefix).order_by("id"))
    return made


def orders_bulk(rows: list[tuple[int, datetime, str | Decimal, str | Decimal, str]]) -> None:
    """Orders (customer id, time, revenue, margin, status) with no lines: the scoring reads the
    order's stored revenue and margin only."""
    Order.objects.bulk_create([
        Order(customer_id=cid, ordered_at=at, revenue=Decimal(str(rev)), cost=Decimal(str(rev)) - Decimal(str(mar)),
              margin=Decimal(str(mar)), status=status)
        for cid, at, rev, mar, status in rows
    ], batch_size=2000)


def generated_history(
    customers: list[Customer], *, as_of: date, weeks: int = 104, seed: int = 7,
    r: float = 0.8, alpha: float = 8.0, a: float = 0.6, b: float = 2.5,
) -> int:
    """Paid orders drawn from the BG/NBD story (Poisson buying while active, dropout after each
    purchase) with Gamma-distributed order values, first purchases spread over the period.
    Returns the number of orders written."""
    rng = np.random.default_rng(seed)
    start = as_of - timedelta(weeks=weeks)
    rows = []
    for c in customers:
        lam = rng.gamma(r, 1 / alpha)
        p = rng.beta(a, b)
        value = rng.gamma(4.0, 100.0)  # the customer's mean order value
        birth = rng.uniform(0, weeks * 0.8)
        t = birth
        while t <= weeks:
            day = start + timedelta(days=int(t * 7))
            revenue = round(float(rng.gamma(6.0, value / 6.0)) + 1, 2)
            rows.append((c.pk, moment(day, 9 + int(rng.integers(0, 9))), revenue, round(revenue * 0.3, 2),
                         OrderStatus.PAID))
            # Dropout only after a repeat purchase (BG/NBD: P(alive) = 1 until the first repeat).
            if t > birth and rng.random() < p:
                break
            t += rng.exponential(1 / max(lam, 1e-6))
    orders_bulk(rows)
    return len(rows)
