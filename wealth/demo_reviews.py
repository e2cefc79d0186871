"""Demo data of the asset reviews: a history of reviews for the demo's wealth customers (those the
holdings' generator gave holdings; it runs before this one). Written in bulk, reproducible by seed.

Each customer gets 2–8 past reviews, monthly for one customer in four (the important ones, flagged
by hand) and quarterly for the others. A past review holds the holdings that had started by then,
their values walked back from today's by a few percent a period, converted at that day's stored
rates. At most DEMO_CUSTOMERS customers get a history (the demo at 1M stays quick)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

DEMO_CUSTOMERS = 5000
CHUNK = 500


def _history(holdings: list[Any], *, rng: random.Random, today: date) -> list[tuple[date, dict[int, Decimal]]]:
    """(day, {holding id: amount that day}) of each past review, oldest first."""
    from wealth.review_rules import add_months

    monthly = rng.random() < 0.25
    count = rng.randint(2, 8)
    step = 1 if monthly else 3
    values = {h.pk: Decimal(h.amount) for h in holdings}
    out = []
    for k in range(1, count + 1):
        day = add_months(today, -k * step)
        values = {hid: (v / Decimal(str(1 + rng.uniform(-0.02, 0.06)))).quantize(Decimal("0.01"))
                  for hid, v in values.items()}
        out.append((day, {h.pk: values[h.pk] for h in holdings if not h.started_on or h.started_on <= day}))
    return list(reversed(out))


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             ) -> dict[str, float]:
    """The demo generator (contract in customers/management/commands/demo.py)."""
    from customers.models import Customer
    from wealth.fx import rate_table_on
    from wealth.models import AssetReview, AssetReviewLine, Holding, ReviewSchedule
    from wealth.services_reviews import schedule_refresh, snapshot_lines
    from wealth.valuation import MissingRate, Position, summarize

    started = timezone.now()
    today = timezone.localdate()
    rng = random.Random(seed * 7919 + 16)
    ids = list(Holding.objects.filter(customer_id__gte=first_customer_id, customer_id__lte=last_customer_id,
                                      deleted_at__isnull=True).order_by("customer_id")
               .values_list("customer_id", flat=True).distinct()[:DEMO_CUSTOMERS])
    tables: dict[date, Any] = {}
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        customers = Customer.objects.filter(pk__in=chunk).only("id", "assets_currency", "risk_preference", "owner_id")
        by_customer: dict[int, list[Any]] = defaultdict(list)
        for h in Holding.objects.filter(customer_id__in=chunk, deleted_at__isnull=True).order_by("pk"):
            by_customer[h.customer_id].append(h)
        reviews, line_sets = [], []
        for customer in customers:
            holdings = by_customer[customer.pk]
            for day, amounts in _history(holdings, rng=rng, today=today):
                rates = tables.setdefault(day, rate_table_on(day))
                then = [h for h in holdings if h.pk in amounts]
                for h in then:
                    h.amount = amounts[h.pk]
                try:
                    summary = summarize([Position(h.asset_class, h.amount, h.currency, h.risk_level) for h in then],
                                        currency=customer.assets_currency, rates=rates)
                    lines = snapshot_lines(then, currency=customer.assets_currency, rates=rates)
                except MissingRate:
                    continue
                reviews.append(AssetReview(
                    customer_id=customer.pk, reviewed_on=day, currency=customer.assets_currency,
                    assets=summary.assets, liabilities=summary.liabilities, net_worth=summary.net_worth,
                    by_class={c: str(a) for c, a in summary.by_class.items()},
                    risk_mix={r: str(s) for r, s in summary.risk_mix.items()},
                    risk_preference=customer.risk_preference, created_by_id=customer.owner_id,
                    notes="", next_steps="",
                ))
                line_sets.append(lines)
        with transaction.atomic():
            AssetReview.objects.bulk_create(reviews, batch_size=1000)
            for review, lines in zip(reviews, line_sets, strict=True):
                for line in lines:
                    line.review_id = review.pk
            AssetReviewLine.objects.bulk_create([x for lines in line_sets for x in lines], batch_size=2000)
            flagged = [cid for cid in chunk if rng.random() < 0.25]
            ReviewSchedule.objects.bulk_create(
                [ReviewSchedule(customer_id=cid, important_flag=True) for cid in flagged], ignore_conflicts=True)
            schedule_refresh(customer_ids=chunk, today=today)
        written += len(reviews)
        progress("asset reviews", written, written)
    return {"asset reviews": (timezone.now() - started).total_seconds()}
