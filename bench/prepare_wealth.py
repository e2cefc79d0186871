"""Bench fixture of the wealth desk: one customer with 200 holdings (the holdings tab's worst case
of the issue; the reviews part adds its 24 past reviews to the same customer, `wealth_customer`)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

HOLDINGS = 200


def wealth_customer(rnd: random.Random) -> dict[str, Any]:
    """The first person with recorded assets, given holdings up to HOLDINGS (idempotent: the bench's
    holdings carry the external IDs bench-holding-N), and the demo's FX rates."""
    from django.utils import timezone

    from customers.models import Customer
    from wealth.choices import AssetClass, RiskLevel
    from wealth.demo_holdings import ensure_rates
    from wealth.models import Holding

    customer = (Customer.objects.filter(kind="person", assets__gt=0, deleted_at__isnull=True)
                .order_by("pk").values("pk", "owner_id").first())
    if customer is None:
        return {}
    ensure_rates(timezone.localdate())
    have = Holding.objects.filter(customer_id=customer["pk"], deleted_at__isnull=True).count()
    classes, levels = list(AssetClass.values), list(RiskLevel.values)
    rows = [
        Holding(customer_id=customer["pk"], asset_class=rnd.choice(classes), product_name=f"基准持仓 {n}",
                product_code=f"B{n:04d}", amount=Decimal(rnd.randrange(1_000, 2_000_000)),
                currency=rnd.choice(["CNY"] * 8 + ["USD", "HKD"]), risk_level=rnd.choice(levels),
                matures_on=timezone.localdate() + timedelta(days=rnd.randrange(1, 1500)),
                created_by_id=customer["owner_id"], external_id=f"bench-holding-{n}")
        for n in range(have, HOLDINGS)
    ]
    Holding.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return {"customer": customer["pk"], "holdings": max(have, HOLDINGS)}
