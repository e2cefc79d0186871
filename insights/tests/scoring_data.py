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


def scores_stored(customers: list[Customer], *, as_of: date = date(2026, 6, 30), churn: bool = False,
                  **run_fields: Any) -> Any:
    """A finished run and one stored score per customer, written directly (for page, API and
    permission tests that need scores, not a fit): the i-th customer gets call score 100 − i."""
    from django.utils import timezone

    from insights.models import CustomerScore, RunStatus, ScoreRun

    run = ScoreRun.objects.create(
        as_of=as_of, status=RunStatus.DONE, started_at=timezone.now(), finished_at=timezone.now(),
        customers_scored=len(customers), duration_seconds=1.5,
        bgnbd={"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43, "log_likelihood": -9582.4, "converged": True},
        gamma_gamma={"p": 6.25, "q": 3.74, "gamma": 15.44, "log_likelihood": -4000.0,
                     "spend_frequency_correlation": 0.11},
        holdout={"calibration_end": "2026-04-01", "days": 90, "total": {"predicted": 10.0, "actual": 9.0},
                 "groups": [{"frequency": "0", "customers": 5, "predicted": 0.2, "actual": 0.1},
                            {"frequency": "1", "customers": 3, "predicted": 0.5, "actual": 0.6}]},
        **run_fields,
    )
    CustomerScore.objects.bulk_create([
        CustomerScore(
            customer=c, run=run, frequency=i % 5, recency_weeks=float(i % 5), age_weeks=10.0,
            first_purchase=as_of - timedelta(days=70), last_purchase=as_of - timedelta(days=70 - 7 * (i % 5)),
            mean_order_value=100.0 if i % 5 else None, margin_share=0.3, expected_purchases_30=0.5,
            expected_purchases_90=1.2, p_alive=0.9, purchase_likelihood=0.4, expected_order_value=120.0,
            clv=1000.0 + i, churn_risk=(0.5 if churn else None),
            churn_factors=[{"feature": "recency_days", "direction": "up", "value": 120.0, "typical": 45.0,
                            "effect": 0.2}] if churn else [],
            next_products=[{"product_id": 1, "name": "稳健理财A", "basis": "popular", "support": 0.3, "score": 0.3}],
            call_score=100.0 - i, value_at_risk=(0.5 * (1000.0 + i) if churn else None),
            reason_key="overdue", reason_params={"every": 30, "silent": 45, "percent": 40, "period": 30, "count": 3},
        )
        for i, c in enumerate(customers)
    ])
    return run
