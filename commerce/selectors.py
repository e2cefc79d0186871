"""Reads of products, orders and costs: scoped through the customer (orders, costs) or the shared
catalogue (products), one query per list page, and the commerce entries of the customer timeline."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import User
from commerce.choices import OrderStatus
from commerce.models import CustomerCost, Order, OrderLine, Product
from core.pagination import KeysetPage, keyset_page
from core.timeline import (
    TimelineAction,
    TimelineCursor,
    TimelineEntry,
    TimelineFact,
    as_moment,
    before_q,
    choice_labels,
    person_fields,
    timeline_provider,
    url_of,
    wants,
)
from customers.querysets import customer_permits

ORDER_SORTS: dict[str, list[str]] = {
    "-date": ["-ordered_at", "-id"],
    "date": ["ordered_at", "id"],
    "-revenue": ["-revenue", "-id"],
    "-margin": ["-margin", "-id"],
}
DEFAULT_ORDER_SORT = "-date"
# Plain equality filters of the order list and API: name → lookup.
ORDER_FILTERS: dict[str, str] = {
    "customer": "customer_id",
    "status": "status",
    "channel": "channel",
    "salesperson": "salesperson_id",
    "region": "region",
    "currency": "currency",
}
STATUS_BADGES = {
    OrderStatus.PLACED: "warn", OrderStatus.PAID: "ok", OrderStatus.CANCELLED: "", OrderStatus.REFUNDED: "bad",
}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- products --------------------------------------------------------------------------------------

def products_visible(user: User) -> QuerySet[Product]:
    return Product.objects.restrict(user, "view")


def product_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 100) -> KeysetPage:
    """The catalogue, by category and name; filters: category, active (bool), q (name or code)."""
    qs = products_visible(user)
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("active") is not None and filters.get("active") != "":
        qs = qs.filter(active=bool(filters["active"]))
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return keyset_page(qs, ordering=["category", "name", "id"], cursor=cursor, size=size)


def product_categories(user: User) -> list[str]:
    return list(products_visible(user).order_by("category").values_list("category", flat=True).distinct())


def products_orderable(user: User) -> QuerySet[Product]:
    """Products a new order line may name (active ones)."""
    return products_visible(user).filter(active=True).order_by("category", "name", "id")


# --- orders ----------------------------------------------------------------------------------------

def order_filtered(user: User, filters: Mapping[str, Any], action: str = "view") -> QuerySet[Order]:
    """Scoped orders narrowed by the list filters (empty ones are ignored): the ORDER_FILTERS plus
    date_from / date_to (dates, inclusive), product (id: orders with a line of it) and q (the
    customer's name or the order number)."""
    qs = Order.objects.restrict(user, action)
    for key, lookup in ORDER_FILTERS.items():
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{lookup: value})
    if filters.get("date_from"):
        qs = qs.filter(ordered_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(ordered_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    if filters.get("product"):
        # EXISTS rather than a join: one row per order, no DISTINCT.
        qs = qs.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), product_id=filters["product"])))
    q = (filters.get("q") or "").strip()
    if q:
        cond = Q(customer__name__icontains=q) | Q(external_id__istartswith=q)
        number = q.lstrip("#")
        if number.isdigit():
            cond |= Q(pk=int(number))
        qs = qs.filter(cond)
    return qs


def order_list(
    *, user: User, filters: Mapping[str, Any], sort: str = DEFAULT_ORDER_SORT, cursor: str | None = None,
    size: int = 50,
) -> KeysetPage:
    """One page of orders with customer and salesperson (one query)."""
    ordering = ORDER_SORTS.get(sort, ORDER_SORTS[DEFAULT_ORDER_SORT])
    qs = order_filtered(user, filters).select_related("customer", "salesperson")
    return keyset_page(qs, ordering=ordering, cursor=cursor, size=size)


def order_detail(*, user: User, order_id: int) -> Order:
    """An order with its customer, salesperson and lines (with products): two queries. Raises
    Order.DoesNotExist outside the user's scope."""
    order = Order.objects.restrict(user, "view").select_related("customer", "salesperson").get(pk=order_id)
    order.line_list = list(order.lines.select_related("product").order_by("position", "id"))
    return order


def order_can(user: User, order_id: int, action: str) -> bool:
    return Order.objects.restrict(user, action).filter(pk=order_id).exists()


@dataclass
class CustomerValue:
    """What a customer brought and cost, from completed (paid) orders and costs to serve."""

    orders: int
    revenue: Decimal
    margin: Decimal
    cost_to_serve: Decimal
    pending_orders: int

    @property
    def profit(self) -> Decimal:
        return self.margin - self.cost_to_serve


def customer_value(*, user: User, customer_id: int) -> CustomerValue:
    """Completed revenue and margin, costs to serve, profit (two aggregate queries). Amounts in
    mixed currencies are added as they are: the demo and most installations use one currency."""
    zero = Decimal("0.00")
    orders = Order.objects.restrict(user, "view").filter(customer_id=customer_id).aggregate(
        n=Count("pk", filter=Q(status=OrderStatus.PAID)),
        pending=Count("pk", filter=Q(status=OrderStatus.PLACED)),
        revenue=Coalesce(Sum("revenue", filter=Q(status=OrderStatus.PAID)), zero),
        margin=Coalesce(Sum("margin", filter=Q(status=OrderStatus.PAID)), zero),
    )
    costs = CustomerCost.objects.restrict(user, "view").filter(customer_id=customer_id).aggregate(
        total=Coalesce(Sum("amount"), zero)
    )
    return CustomerValue(orders=orders["n"], revenue=orders["revenue"], margin=orders["margin"],
                         cost_to_serve=costs["total"], pending_orders=orders["pending"])


# --- costs -----------------------------------------------------------------------------------------

def cost_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[CustomerCost]:
    qs = CustomerCost.objects.restrict(user, "view")
    for key, lookup in (("customer", "customer_id"), ("kind", "kind"), ("currency", "currency")):
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("date_from"):
        qs = qs.filter(incurred_on__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(incurred_on__lte=filters["date_to"])
    return qs


def cost_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    qs = cost_filtered(user, filters).select_related("customer", "created_by")
    return keyset_page(qs, ordering=["-incurred_on", "-id"], cursor=cursor, size=size)


# --- timeline ----------------------------------------------------------------------------------------

def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


@timeline_provider(kinds={"order": gettext_lazy("Orders")})
def order_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                   limit: int) -> list[TimelineEntry]:
    """The customer's orders, newest first (one query on the (customer, ordered_at) index)."""
    if not wants(["order"], kinds):
        return []
    rows = (
        Order.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="ordered_at", kind="order", before=before))
        .select_related("salesperson").order_by("-ordered_at", "-id")
        .only("id", "ordered_at", "channel", "location", "region", "margin", "revenue", "currency", "status",
              "external_id", *person_fields("salesperson"))[:limit]
    )
    label = pgettext("sales order", "Order")
    url = url_of("commerce:order_detail")
    channel, status = choice_labels(Order, "channel"), choice_labels(Order, "status")
    out = []
    for o in rows:
        where = " · ".join(x for x in (channel(o.channel), o.location or o.region) if x)
        out.append(TimelineEntry(
            kind="order", kind_label=label, at=o.ordered_at, pk=o.pk,
            title=_("Order %(number)s") % {"number": o.number},
            detail=_("margin %(margin)s") % {"margin": _money(o.margin, o.currency)} + (f" · {where}" if where else ""),
            url=url(o.pk), actor=str(o.salesperson or ""),
            amount=o.revenue, currency=o.currency, badge=status(o.status), badge_class=STATUS_BADGES[o.status],
        ))
    return out


@timeline_provider(kinds={"cost": gettext_lazy("Costs to serve")})
def cost_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                  limit: int) -> list[TimelineEntry]:
    """The customer's costs to serve, newest first (one query on the (customer, incurred_on) index)."""
    if not wants(["cost"], kinds):
        return []
    rows = (
        CustomerCost.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="incurred_on", kind="cost", before=before, is_date=True))
        .select_related("created_by").order_by("-incurred_on", "-id")
        .only("id", "incurred_on", "kind", "description", "amount", "currency", *person_fields("created_by"))[:limit]
    )
    label = _("Cost")
    # Costs have no page of their own: the entry links to the form, for users who may change it.
    editable = customer_permits(user, "change")
    url, kind = url_of("commerce:cost_edit"), choice_labels(CustomerCost, "kind")
    return [
        TimelineEntry(
            kind="cost", kind_label=label, at=as_moment(c.incurred_on), pk=c.pk,
            title=kind(c.kind), detail=c.description,
            url=url(c.pk) if editable else "", actor=str(c.created_by or ""),
            amount=c.amount, currency=c.currency, badge="", extra={"date_only": True},
        )
        for c in rows
    ]


def timeline_actions(user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    """New order and record a cost, for users who may change the customer."""
    if not can_change:
        return []
    return [
        TimelineAction(label=_("New order"), url=reverse("commerce:order_add", args=[customer_id])),
        TimelineAction(label=_("Record a cost"), url=reverse("commerce:cost_add", args=[customer_id])),
    ]


def timeline_facts(user: Any, customer_id: int) -> list[TimelineFact]:
    """Completed revenue and margin, cost to serve and profit, above the card's timeline."""
    value = customer_value(user=user, customer_id=customer_id)
    paid = _("from %(count)d paid orders") % {"count": value.orders}
    return [
        TimelineFact(label=_("Revenue"), value=f"{value.revenue:,.2f}", hint=paid),
        TimelineFact(label=_("Margin"), value=f"{value.margin:,.2f}", hint=paid),
        TimelineFact(label=_("Cost to serve"), value=f"{value.cost_to_serve:,.2f}"),
        TimelineFact(label=_("Profit"), value=f"{value.profit:,.2f}", hint=_("margin − cost to serve")),
    ]
