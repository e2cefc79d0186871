"""Bench fixture of the asset reviews: a customer with 200 holdings and 24 past reviews (its holdings
made here: the holdings part's demo may not be there), and reviews due for the bench user, who owns
that customer and 2,000 more wealth customers with schedules spread over the last and next months."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

HOLDINGS = 200
REVIEWS = 24
DUE_CUSTOMERS = 2000


def reviews_fixture(user: Any, rnd: random.Random) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from customers.models import Customer
    from wealth.choices import AssetClass, RiskLevel
    from wealth.models import AssetReview, Holding, ReviewSchedule
    from wealth.review_rules import add_months
    from wealth.services_reviews import review_start

    today = timezone.localdate()
    ids = list(Customer.objects.filter(deleted_at__isnull=True).order_by("-pk")
               .values_list("pk", flat=True)[:DUE_CUSTOMERS + 1])
    with transaction.atomic():
        Customer.objects.filter(pk__in=ids).update(owner=user)
        customer_id = ids[0]
        Holding.objects.filter(customer_id=customer_id).delete()
        AssetReview.objects.filter(customer_id=customer_id).delete()
        Customer.objects.filter(pk=customer_id).update(assets_currency="CNY")
        classes, levels = list(AssetClass.values), list(RiskLevel.values)
        holdings = Holding.objects.bulk_create([
            Holding(customer_id=customer_id, asset_class=rnd.choice(classes), product_name=f"产品 {n:03d}",
                    amount=Decimal(rnd.randint(1_000, 2_000_000)), currency="CNY", risk_level=rnd.choice(levels),
                    started_on=today - timedelta(days=rnd.randint(0, 800)))
            for n in range(HOLDINGS)])
    for k in range(REVIEWS, 0, -1):
        # Older reviews saw fewer holdings (those that had started) at other values.
        for h in holdings:
            h.amount = (h.amount * Decimal(str(rnd.uniform(0.97, 1.05)))).quantize(Decimal("0.01"))
        Holding.objects.bulk_update(holdings, ["amount"])
        review_start(actor=user, customer_id=customer_id, reviewed_on=add_months(today, -k))
    last = review_start(actor=user, customer_id=customer_id)
    ReviewSchedule.objects.filter(customer_id__in=ids).delete()
    ReviewSchedule.objects.bulk_create([
        ReviewSchedule(customer_id=cid, owner=user, next_review_due=today + timedelta(days=rnd.randint(-60, 90)))
        for cid in ids[1:]], batch_size=1000)
    return {"review_id": last.pk, "customer_id": customer_id}
