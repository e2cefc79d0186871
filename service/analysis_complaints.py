"""Complaints analysis (learning from service recovery): set-based SQL over the complaints the user
sees in one year — counts and rates per 1,000 customers and per 1,000 orders by category, product,
channel, severity and month; time to acknowledge and resolve against the SLA; repeat complainers;
complaints of each key customer (ABC tier A/B)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from commerce.models import Order
from core.timeline import choice_labels
from customers.selectors import customers_visible
from segmentation.choices import AbcTier
from segmentation.models import CustomerSegment
from service.choices import Severity
from service.models.complaints import Complaint

TOP = 20


@dataclass
class Row:
    label: str
    count: int
    per_1000_customers: float
    share: float = 0.0


@dataclass
class SlaRow:
    label: str
    count: int
    acknowledged: int
    ack_on_time: float | None
    avg_ack_minutes: float | None
    resolved: int
    resolve_on_time: float | None
    avg_resolve_minutes: float | None


@dataclass
class Analysis:
    total: int
    customers: int
    orders: int
    per_1000_customers: float
    per_1000_orders: float
    by: dict[str, list[Row]] = field(default_factory=dict)
    months: list[Row] = field(default_factory=list)
    sla: list[SlaRow] = field(default_factory=list)
    repeat_count: int = 0
    repeaters: list[dict[str, Any]] = field(default_factory=list)
    key_tiers: list[dict[str, Any]] = field(default_factory=list)
    key_customers: list[dict[str, Any]] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)


def _bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def _rate(n: int, base: int) -> float:
    return round(n * 1000 / base, 2) if base else 0.0


def _pct(n: int, base: int) -> float | None:
    return round(100 * n / base, 1) if base else None


def complaints_analysis(*, user: User, year: int) -> Analysis:
    start, end = _bounds(year)
    complaints = Complaint.objects.restrict(user, "view").filter(received_at__gte=start, received_at__lt=end)
    customers = customers_visible(user).count()
    orders = Order.objects.restrict(user, "view").filter(ordered_at__gte=start, ordered_at__lt=end).count()
    total = complaints.count()
    out = Analysis(total=total, customers=customers, orders=orders, per_1000_customers=_rate(total, customers),
                   per_1000_orders=_rate(total, orders))

    def grouped(column: str, label_of: Any) -> list[Row]:
        rows = complaints.order_by().values(column).annotate(n=Count("pk")).order_by("-n", column)[:TOP]
        return [Row(label=str(label_of(r[column])) if r[column] not in (None, "") else _("Not set"), count=r["n"],
                    per_1000_customers=_rate(r["n"], customers), share=_pct(r["n"], total) or 0.0) for r in rows]

    out.by["category"] = grouped("category", choice_labels(Complaint, "category"))
    out.by["channel"] = grouped("channel", choice_labels(Complaint, "channel"))
    out.by["severity"] = grouped("severity", choice_labels(Complaint, "severity"))
    out.by["root_cause"] = grouped("root_cause", choice_labels(Complaint, "root_cause"))
    out.by["product"] = grouped("product__name", lambda name: name)

    by_month = dict(complaints.annotate(m=ExtractMonth("received_at")).order_by().values("m")
                    .annotate(n=Count("pk")).values_list("m", "n"))
    out.months = [Row(label=f"{year}-{m:02d}", count=by_month.get(m, 0),
                      per_1000_customers=_rate(by_month.get(m, 0), customers)) for m in range(1, 13)]

    sla_rows = {r["severity"]: r for r in complaints.order_by().values("severity").annotate(
        n=Count("pk"),
        acked=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        ack_on_time=Count("pk", filter=Q(acknowledged_at__lte=F("acknowledge_by"))),
        ack_minutes=Avg("minutes_to_acknowledge"),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        resolve_on_time=Count("pk", filter=Q(resolved_at__lte=F("resolve_by"))),
        resolve_minutes=Avg("minutes_to_resolve"))}
    for value, label in Severity.choices:
        r = sla_rows.get(value)
        if r is None:
            continue
        out.sla.append(SlaRow(
            label=str(label), count=r["n"], acknowledged=r["acked"], ack_on_time=_pct(r["ack_on_time"], r["acked"]),
            avg_ack_minutes=round(r["ack_minutes"], 1) if r["ack_minutes"] is not None else None,
            resolved=r["resolved"], resolve_on_time=_pct(r["resolve_on_time"], r["resolved"]),
            avg_resolve_minutes=round(r["resolve_minutes"], 1) if r["resolve_minutes"] is not None else None))

    per_customer = complaints.order_by().values("customer_id").annotate(n=Count("pk")).filter(n__gte=2)
    out.repeat_count = per_customer.count()
    out.repeaters = list(per_customer.order_by("-n", "customer_id")
                         .values("customer_id", "customer__name", "n")[:TOP])

    tier_label = choice_labels(CustomerSegment, "abc_tier")
    key = complaints.filter(customer__segment__abc_tier__in=[AbcTier.A, AbcTier.B])
    tiers = dict(key.order_by().values("customer__segment__abc_tier").annotate(n=Count("pk"))
                 .values_list("customer__segment__abc_tier", "n"))
    complainers = dict(key.order_by().values("customer__segment__abc_tier")
                       .annotate(c=Count("customer_id", distinct=True))
                       .values_list("customer__segment__abc_tier", "c"))
    members = dict(CustomerSegment.objects.restrict(user, "view").filter(abc_tier__in=[AbcTier.A, AbcTier.B])
                   .order_by().values("abc_tier").annotate(n=Count("pk")).values_list("abc_tier", "n"))
    out.key_tiers = [{"tier": str(tier_label(t)), "customers": members.get(t, 0), "complaints": tiers.get(t, 0),
                      "complainers": complainers.get(t, 0)} for t in (AbcTier.A, AbcTier.B)]
    out.key_customers = [
        {**r, "tier": str(tier_label(r["customer__segment__abc_tier"]))}
        for r in key.order_by().values("customer_id", "customer__name", "customer__segment__abc_tier")
        .annotate(n=Count("pk")).order_by("-n", "customer_id")[:TOP]]
    out.chart = {
        "months": {"labels": [r.label for r in out.months], "values": [r.count for r in out.months],
                   "series": _("Complaints")},
        "category": {"labels": [r.label for r in out.by["category"]], "values": [r.count for r in out.by["category"]],
                     "series": _("Complaints")},
    }
    return out
