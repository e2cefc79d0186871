"""Writes on products, orders and costs. Each service: keyword-only, takes the acting user, checks
permission through the scoped queryset, validates, runs in one transaction, writes the audit trail
(with the customer's id, so the change shows in the customer's history).

Amounts (docs/orders.md): a line's revenue = quantity × unit price × (1 − discount) and its cost =
quantity × the product's unit cost when the line is written, each rounded half-up to 0.01; its
margin = revenue − cost. An order's revenue, cost and margin are the sums of its lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record
from commerce.choices import STATUS_TRANSITIONS, OrderStatus
from commerce.models import CustomerCost, Order, OrderLine, Product
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer
from customers.records.base import RecordKind, soft_delete

CENT = Decimal("0.01")

PRODUCT_FIELDS: list[str] = [
    "code", "name", "category", "price", "unit_cost", "currency", "unit", "active", "description", "external_id",
]
# Order fields a user sets directly (status changes go through order_set_status; amounts come from lines).
ORDER_FIELDS: list[str] = [
    "ordered_at", "channel", "region", "location", "salesperson", "currency", "note", "external_id",
]
LINE_FIELDS: list[str] = ["product", "quantity", "unit_price", "discount"]
COST_FIELDS: list[str] = ["kind", "incurred_on", "amount", "currency", "description", "order", "external_id"]
_AUDITED_ORDER_FIELDS = [*ORDER_FIELDS, "status", "revenue", "cost", "margin"]


# --- helpers -------------------------------------------------------------------------------------


def _check_salesperson(order: Order, before: int | None = None) -> None:
    """A salesperson newly named must be an active user (a former one may stay on old orders)."""
    if order.salesperson_id and order.salesperson_id != before and not User.objects.filter(
        pk=order.salesperson_id, is_active=True
    ).exists():
        raise ValidationError({"salesperson": _("The salesperson must be an active user.")})


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc


# --- amounts ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Amounts:
    revenue: Decimal
    cost: Decimal
    margin: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, discount: Decimal, unit_cost: Decimal) -> Amounts:
    """Revenue, cost and margin of one line, exactly (Decimal, rounded half-up to the cent)."""
    revenue = (quantity * unit_price * (Decimal(1) - discount)).quantize(CENT, rounding=ROUND_HALF_UP)
    cost = (quantity * unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)
    return Amounts(revenue=revenue, cost=cost, margin=revenue - cost)


def order_totals(lines: Sequence[OrderLine]) -> Amounts:
    """An order's amounts: the sums of its lines' amounts."""
    revenue = sum((line.revenue for line in lines), Decimal("0.00"))
    cost = sum((line.cost for line in lines), Decimal("0.00"))
    return Amounts(revenue=revenue, cost=cost, margin=revenue - cost)


# --- products (shared catalogue) -------------------------------------------------------------------

def _catalogue_manager(actor: User) -> None:
    if not actor.can(Cap.CATALOGUE):
        raise PermissionDenied(_("Only managers and administrators may change the product catalogue."))


@transaction.atomic
def product_create(*, actor: User, data: Mapping[str, Any]) -> Product:
    """Add a product to the catalogue."""
    _catalogue_manager(actor)
    product = Product()
    apply_fields(product, data, PRODUCT_FIELDS)
    product.full_clean()
    product.save()
    change_record(
        user=actor, instance=product, action=ChangeAction.CREATE, changes=created_changes(product, PRODUCT_FIELDS)
    )
    return product


@transaction.atomic
def product_update(*, actor: User, product_id: int, data: Mapping[str, Any]) -> Product:
    """Change a product. Past orders keep the price and unit cost they were made with."""
    product = get_scoped(Product.objects.select_for_update(), actor, "change", product_id)
    before = field_values(product, PRODUCT_FIELDS)
    apply_fields(product, data, PRODUCT_FIELDS)
    product.full_clean()
    changes = diff_values(before, field_values(product, PRODUCT_FIELDS))
    if changes:
        product.save()
        change_record(user=actor, instance=product, action=ChangeAction.UPDATE, changes=changes)
    return product


@transaction.atomic
def product_delete(*, actor: User, product_id: int) -> Product:
    """Remove a product from the catalogue (soft delete; orders that name it keep it)."""
    product = get_scoped(Product.objects.select_for_update(), actor, "delete", product_id)
    product.deleted_at = timezone.now()
    product.active = False
    product.save(update_fields=["deleted_at", "active", "updated_at"])
    change_record(user=actor, instance=product, action=ChangeAction.DELETE,
                  changes={"deleted_at": [None, str(product.deleted_at)]})
    return product


# --- orders ----------------------------------------------------------------------------------------

def _build_lines(
    order: Order, lines: Sequence[Mapping[str, Any]], *, allowed_inactive: AbstractSet[int] = frozenset()
) -> list[OrderLine]:
    """Validated, priced OrderLine instances (not saved). Each line names a product (instance or id),
    a quantity, optionally a unit price (default: the product's list price) and a discount (0–1)."""
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    ids = set()
    for line in lines:
        unknown = set(line) - set(LINE_FIELDS)
        if unknown:
            raise ValidationError(
                {"lines": _("Unknown line field: %(field)s.") % {"field": ", ".join(sorted(unknown))}}
            )
        product = line.get("product")
        ids.add(product.pk if isinstance(product, Product) else product)
    wanted = [i for i in ids if i is not None]
    products: dict[Any, Product] = {p.pk: p for p in Product.objects.filter(pk__in=wanted, deleted_at__isnull=True)}
    out = []
    for position, line in enumerate(lines, start=1):
        ref = line.get("product")
        product = products.get(ref.pk if isinstance(ref, Product) else ref)
        if product is None:
            where = _("Line %(n)d") % {"n": position}
            raise ValidationError({"lines": _("%(line)s: choose a product from the catalogue.") % {"line": where}})
        out.append(order_line_build(order=order, product=product, position=position, line=line,
                                    allowed_inactive=allowed_inactive))
    return out


def order_line_values(
    *, order_currency: str, product: Product, position: int, line: Mapping[str, Any],
    allowed_inactive: AbstractSet[int] = frozenset(),
) -> dict[str, Any]:
    """The checked values and amounts of one order line for a known product (no query, no instance):
    the rules of every order line, shared by the order pages, the API and imports."""
    where = _("Line %(n)d") % {"n": position}
    if not product.active and product.pk not in allowed_inactive:
        raise ValidationError({"lines": _("%(line)s: “%(product)s” is no longer sold.")
                               % {"line": where, "product": product.name}})
    quantity = _decimal(line.get("quantity"), "lines")
    price_given = line.get("unit_price") not in (None, "")
    if not price_given and product.currency != order_currency:
        raise ValidationError({"lines": _("%(line)s: the product is priced in %(product_currency)s, the order "
                                          "in %(order_currency)s; enter the unit price.")
                               % {"line": where, "product_currency": product.currency,
                                  "order_currency": order_currency}})
    unit_price = _decimal(line["unit_price"], "lines") if price_given else product.price
    discount = _decimal(line.get("discount") or 0, "lines")
    if quantity <= 0:
        raise ValidationError({"lines": _("%(line)s: the quantity must be more than 0.") % {"line": where}})
    if unit_price < 0:
        raise ValidationError({"lines": _("%(line)s: the unit price cannot be negative.") % {"line": where}})
    if not Decimal(0) <= discount <= Decimal(1):
        raise ValidationError({"lines": _("%(line)s: the discount is a fraction between 0 and 1 "
                                          "(0.15 = 15%% off).") % {"line": where}})
    amounts = line_amounts(quantity=quantity, unit_price=unit_price, discount=discount,
                           unit_cost=product.unit_cost)
    return {
        "product": product, "position": position, "quantity": quantity, "unit_price": unit_price,
        "discount": discount, "unit_cost": product.unit_cost, "revenue": amounts.revenue, "cost": amounts.cost,
        "margin": amounts.margin,
    }


def order_line_build(
    *, order: Order, product: Product, position: int, line: Mapping[str, Any],
    allowed_inactive: AbstractSet[int] = frozenset(),
) -> OrderLine:
    """One validated, priced line of `order` (see order_line_values), checked by the model too."""
    obj = OrderLine(order=order, **order_line_values(
        order_currency=order.currency, product=product, position=position, line=line,
        allowed_inactive=allowed_inactive,
    ))
    obj.full_clean(exclude=["order", "product"])  # the product was checked above, with the others
    return obj


def _stored(line: OrderLine, name: str) -> str:
    """A decimal of `line` without trailing zeros: lines read back ("0.0000") and lines just built
    from a form ("0") must compare equal, or an unchanged line is recorded as changed."""
    return f"{Decimal(getattr(line, name)).normalize():f}"


def _lines_summary(lines: Sequence[OrderLine]) -> list[dict[str, str]]:
    """The lines as the audit trail keeps them."""
    return [
        {"product": line.product.code, **{name: _stored(line, name) for name in (
            "quantity", "unit_price", "discount", "unit_cost", "revenue")}}
        for line in lines
    ]


def _set_totals(order: Order, lines: Sequence[OrderLine]) -> None:
    totals = order_totals(lines)
    order.revenue, order.cost, order.margin = totals.revenue, totals.cost, totals.margin


@transaction.atomic
def order_create(
    *, actor: User, customer_id: int, data: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
    status: str = OrderStatus.PLACED,
) -> Order:
    """Record an order of a customer the actor may change, with its lines; revenue, cost and margin
    are computed from the lines. `status` may be placed or paid (e.g. a sale paid on the spot)."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    if status not in (OrderStatus.PLACED, OrderStatus.PAID):
        raise ValidationError({"status": _("A new order is placed or paid.")})
    order = Order(customer=customer, salesperson=actor, status=status)
    apply_fields(order, data, ORDER_FIELDS)
    _check_salesperson(order, before=actor.pk)
    if status == OrderStatus.PAID:
        order.status_changed_at = timezone.now()
    built = _build_lines(order, lines)
    _set_totals(order, built)
    order.full_clean(exclude=["customer"])
    order.save()
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    changes = created_changes(order, _AUDITED_ORDER_FIELDS)
    changes["lines"] = [None, _lines_summary(built)]
    change_record(user=actor, instance=order, action=ChangeAction.CREATE, customer_id=customer.pk, changes=changes)
    return order


@transaction.atomic
def order_update(
    *, actor: User, order_id: int, data: Mapping[str, Any], lines: Sequence[Mapping[str, Any]] | None = None,
    expected_version: str | Iterable[str] | None = None,
) -> Order:
    """Change an order's details and, while it is only placed, replace its lines (amounts are
    recomputed). Paid, cancelled and refunded orders keep their lines: cancel or refund instead.
    With `expected_version` (core.concurrency) an order changed meanwhile — details, lines or
    status — is refused with StaleWrite instead of reverting the other change."""
    order = get_scoped(Order.objects.select_for_update(), actor, "change", order_id)
    check_version(order, expected_version)
    before = field_values(order, _AUDITED_ORDER_FIELDS)
    apply_fields(order, data, ORDER_FIELDS)
    _check_salesperson(order, before=before["salesperson"])
    changes: dict[str, Any] = {}
    if lines is not None:
        if order.status != OrderStatus.PLACED:
            raise ValidationError({"lines": _("Only the lines of a placed order can change; this order is %(status)s.")
                                   % {"status": order.get_status_display().lower()}})
        old = list(order.lines.select_related("product"))
        built = _build_lines(order, lines, allowed_inactive={line.product_id for line in old})
        old_summary, new_summary = _lines_summary(old), _lines_summary(built)
        if old_summary != new_summary:
            order.lines.all().delete()
            OrderLine.objects.bulk_create(built)
            _set_totals(order, built)
            changes["lines"] = [old_summary, new_summary]
    order.full_clean(exclude=["customer"])
    changes = {**diff_values(before, field_values(order, _AUDITED_ORDER_FIELDS)), **changes}
    if changes:
        order.save()
        change_record(user=actor, instance=order, action=ChangeAction.UPDATE, customer_id=order.customer_id,
                      changes=changes)
    return order


@transaction.atomic
def order_set_status(*, actor: User, order_id: int, status: str, note: str = "") -> Order:
    """Move an order on: placed → paid or cancelled; paid → refunded."""
    order = get_scoped(Order.objects.select_for_update(), actor, "change", order_id)
    if status not in OrderStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in STATUS_TRANSITIONS[order.status]:
        raise ValidationError({"status": _("A %(from)s order cannot become %(to)s.")
                               % {"from": order.get_status_display().lower(),
                                  "to": OrderStatus(status).label.lower()}})
    before = order.status
    order.status = status
    order.status_changed_at = timezone.now()
    order.save(update_fields=["status", "status_changed_at", "updated_at"])
    change_record(user=actor, instance=order, action=ChangeAction.UPDATE, customer_id=order.customer_id,
                  changes={"status": [before, status]}, note=note)
    return order


@transaction.atomic
def order_delete(*, actor: User, order_id: int) -> Order:
    """Remove an order entered by mistake (soft delete; managers and administrators). A real order
    that did not happen is cancelled instead."""
    return soft_delete(Order, actor=actor, pk=order_id, action="delete")


# --- costs to serve ----------------------------------------------------------------------------------

def _check_cost_order(cost: CustomerCost) -> None:
    if cost.order_id and not Order.objects.filter(pk=cost.order_id, customer_id=cost.customer_id,
                                                  deleted_at__isnull=True).exists():
        raise ValidationError({"order": _("The order must belong to the same customer.")})


@transaction.atomic
def cost_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> CustomerCost:
    """Record a cost of serving a customer the actor may change."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    cost = CustomerCost(customer=customer, created_by=actor)
    apply_fields(cost, data, COST_FIELDS)
    cost.full_clean(exclude=["customer"])
    _check_cost_order(cost)
    cost.save()
    change_record(user=actor, instance=cost, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(cost, COST_FIELDS))
    return cost


@transaction.atomic
def cost_update(
    *, actor: User, cost_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> CustomerCost:
    """Change a cost; with `expected_version`, StaleWrite if it changed meanwhile (core.concurrency)."""
    cost = get_scoped(CustomerCost.objects.select_for_update(), actor, "change", cost_id)
    check_version(cost, expected_version)
    before = field_values(cost, COST_FIELDS)
    apply_fields(cost, data, COST_FIELDS)
    cost.full_clean(exclude=["customer"])
    _check_cost_order(cost)
    changes = diff_values(before, field_values(cost, COST_FIELDS))
    if changes:
        cost.save()
        change_record(user=actor, instance=cost, action=ChangeAction.UPDATE, customer_id=cost.customer_id,
                      changes=changes)
    return cost


@transaction.atomic
def cost_delete(*, actor: User, cost_id: int) -> CustomerCost:
    return soft_delete(CustomerCost, actor=actor, pk=cost_id)


# Costs on the records layer (customers.records): the pages and the API write through these services.
COSTS = RecordKind(model=CustomerCost, id_kwarg="cost_id", create=cost_create, update=cost_update, delete=cost_delete)
