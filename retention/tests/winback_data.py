"""Hand-built histories for the win-back tests: customers with paid orders days ago, the segments
refreshed as the nightly job does, attempts dated by hand."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from commerce.choices import OrderStatus
from commerce.models import Order
from segmentation.refresh import business_today, business_zone


def days_ago(n: int) -> date:
    return business_today() - timedelta(days=n)


def paid_orders(customer: Any, *ages: int, margin: str = "30") -> None:
    """Paid orders `ages` days ago (revenue 100, the given margin)."""
    Order.objects.bulk_create([
        Order(customer=customer, status=OrderStatus.PAID, revenue=Decimal("100"), cost=Decimal("100") - Decimal(margin),
              margin=Decimal(margin), ordered_at=datetime.combine(days_ago(a), time(12), tzinfo=business_zone()))
        for a in ages])


def lost_customer(make_customer: Any, owner: Any, name: str, *, email: str = "", last_order_days: int = 400,
                  **data: Any) -> Any:
    """A customer whose last purchase was `last_order_days` ago (lost by the lifecycle rule at the
    next refresh)."""
    customer = make_customer(owner, name=name, email=email, **data)
    paid_orders(customer, last_order_days + 60, last_order_days)
    return customer


def refresh() -> None:
    from segmentation.services import segments_refresh

    segments_refresh()


def sent_at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)), business_zone())
