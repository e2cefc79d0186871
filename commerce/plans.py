"""What commerce contributes to the salesperson's plan (work/plan_registry.py's contracts): the
orders a salesperson took as daily log entries, and revenue and margin as plan metrics — paid
orders (docs/orders.md: only paid orders count) by their salesperson, dated by the order date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.choices import OrderStatus
from commerce.models import Order
from work import plan_registry as reg


def order_entries(*, user_ids: Sequence[int], start: date, end: date) -> list[reg.LogEntry]:
    low, high = reg.period_bounds(start, end)
    rows = (Order.objects.filter(salesperson_id__in=user_ids, ordered_at__gte=low, ordered_at__lt=high,
                                 deleted_at__isnull=True, customer__deleted_at__isnull=True)
            .values_list("pk", "salesperson_id", "ordered_at", "customer_id", "customer__name", "revenue",
                         "currency", "status", "external_id"))
    return [reg.LogEntry(user_id=uid, at=at, kind="order", customer_id=cid,
                         label=_("Order %(number)s of %(customer)s: %(amount)s %(currency)s (%(status)s)") % {
                             "number": ext or f"#{pk}", "customer": name, "amount": f"{revenue:,.2f}",
                             "currency": currency, "status": OrderStatus(status).label},
                         url=reverse("commerce:order_detail", args=[pk]))
            for pk, uid, at, cid, name, revenue, currency, status, ext in rows]


def _paid_sum(field: str) -> reg.PlanMetric:
    def actual(user_ids: Sequence[int], start: date, end: date) -> dict[int, Decimal]:
        low, high = reg.period_bounds(start, end)
        rows = (Order.objects.completed()
                .filter(salesperson_id__in=user_ids, ordered_at__gte=low, ordered_at__lt=high)
                .order_by().values("salesperson_id").annotate(total=Sum(field))
                .values_list("salesperson_id", "total"))
        return {uid: total or Decimal("0") for uid, total in rows}

    labels = {"revenue": gettext_lazy("Revenue"), "margin": gettext_lazy("Margin")}
    return reg.PlanMetric(key=field, label=labels[field], unit=reg.AMOUNT, actual=actual,
                          order=10 if field == "revenue" else 20)


def register() -> None:
    reg.add_log_source("order", gettext_lazy("Orders"), order_entries)
    reg.add_metric(_paid_sum("revenue"))
    reg.add_metric(_paid_sum("margin"))
