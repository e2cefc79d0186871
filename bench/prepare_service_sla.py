"""The SLA part's bench fixture: 20,000 service agreements over the customers (written once, reused
by later runs), for the agreement list (expiring soon, the renewals view) and the API list."""

from __future__ import annotations

import random
from typing import Any

AGREEMENTS = 20_000


def agreements(rnd: random.Random) -> dict[str, Any]:
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.utils import timezone

    from customers.models import Customer
    from service.models import ServiceAgreement

    have = ServiceAgreement.objects.filter(number__startswith="BENCH-").count()
    if have < AGREEMENTS:
        bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
        today = timezone.localdate()
        rows = []
        for n in range(have, AGREEMENTS):
            ends = today + timedelta(days=rnd.randint(-200, 700))
            rows.append(ServiceAgreement(
                customer_id=rnd.randint(bounds["lo"], bounds["hi"]), number=f"BENCH-{n:06d}",
                level=rnd.choice(["basic", "standard", "premium", "strategic"]),
                starts_on=ends - timedelta(days=364), ends_on=ends,
                sla={"complaint": {"critical": [15, 240]}}))
        ServiceAgreement.objects.bulk_create(rows, batch_size=5000)
    return {"statuses": ["expiring", "expired", ""]}
