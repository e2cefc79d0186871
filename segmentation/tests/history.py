"""Tiny hand-built purchase histories for the refresh tests: customers, paid orders and costs written
with bulk inserts (the rules read only the stored amounts, dates and statuses)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from commerce.choices import OrderStatus
from commerce.models import CustomerCost, Order
from customers.models import Customer
from segmentation.models import CustomerSegment

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 30)
_seq = itertools.count(1)


def day(offset: int) -> date:
    """AS_OF + offset days (offset ≤ 0 for the past)."""
    return AS_OF + timedelta(days=offset)


class History:
    """Builds customers and their orders; `segment(c)` reads a customer's stored classes."""

    def __init__(self, owner) -> None:  # noqa: ANN001
        self.owner = owner

    def customers(self, count: int) -> list[Customer]:
        made = Customer.objects.bulk_create([
            Customer(name=f"客户{next(_seq)}", owner=self.owner, team_id=self.owner.team_id) for _ in range(count)
        ])
        return sorted(made, key=lambda c: c.pk)

    def customer(self) -> Customer:
        return self.customers(1)[0]

    def orders(self, customer: Customer, *days: date | int, revenue: str | Decimal = "100",
               margin: str | Decimal = "10", status: str = OrderStatus.PAID, at: time = time(12, 0)) -> list[Order]:
        rows = []
        for d in days:
            d = day(d) if isinstance(d, int) else d
            rows.append(Order(customer=customer, status=status, ordered_at=datetime.combine(d, at, tzinfo=SHANGHAI),
                              revenue=Decimal(revenue), cost=Decimal(revenue) - Decimal(margin),
                              margin=Decimal(margin)))
        return Order.objects.bulk_create(rows)

    def cost(self, customer: Customer, on: date | int, amount: str | Decimal) -> CustomerCost:
        on = day(on) if isinstance(on, int) else on
        return CustomerCost.objects.create(customer=customer, kind="service", incurred_on=on, amount=Decimal(amount))

    @staticmethod
    def zone() -> ZoneInfo:
        return SHANGHAI

    @staticmethod
    def segment(customer: Customer) -> CustomerSegment:
        return CustomerSegment.objects.get(customer=customer)
