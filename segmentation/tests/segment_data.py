"""Small fixed datasets for the segmentation page/API tests: customers with CustomerSegment rows
written directly (bulk), so the pages are tested independently of the refresh's rules."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from customers.models import Customer
from segmentation.models import CustomerSegment

AS_OF = date(2026, 6, 30)
_seq = itertools.count(1)


def customers(owner: Any, count: int, **data: Any) -> list[Customer]:
    """`count` customers of `owner` (in the owner's team), bulk-created."""
    name = data.pop("name", None)
    made = Customer.objects.bulk_create([
        Customer(name=name or f"客户{next(_seq)}", owner=owner, team_id=owner.team_id, **data)
        for _ in range(count)
    ])
    return sorted(made, key=lambda c: c.pk)


def segment(customer: Customer, **values: Any) -> dict[str, Any]:
    """Keyword values for one CustomerSegment row with sensible defaults."""
    row = {"customer_id": customer.pk, "as_of": AS_OF, "abc_tier": "C", "rfm_segment": "no_recent_purchase",
           "lifecycle_stage": "potential", "loyalty": "potential", "value_class": "frozen",
           "refreshed_at": timezone.now()}
    row.update(values)
    for key in ("revenue", "margin", "cost_to_serve", "profit", "monetary", "current_value", "potential_value"):
        if key in row:
            row[key] = Decimal(str(row[key]))
    return row


def write_segments(rows: list[dict[str, Any]]) -> None:
    CustomerSegment.objects.bulk_create([CustomerSegment(**r) for r in rows])
