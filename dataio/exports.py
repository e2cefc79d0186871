"""Exports of the filtered lists — customers, orders, interactions — to CSV and XLSX, for the pages
and `kehu export`. Each respects the user's scope (the "export" action) and masking, and every
export is written to the audit trail (access log) before a row leaves."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.models import AccessAction
from audit.services import access_record
from core.tabular import FORMATS, cell, csv_stream, download, xlsx_file

CHUNK = 1000


@dataclass(frozen=True)
class Export:
    kind: str
    label: Any  # the list's name, for the file and the audit trail
    queryset: Callable[[User, Mapping[str, Any]], Any]
    headers: Callable[[], list[str]]
    rows: Callable[[User, Any, bool], Iterator[list[Any]]]
    filters: Callable[[User, Mapping[str, Any]], dict[str, Any]]


def _label(model: Any, name: str) -> str:
    text = str(model._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=64)
def _choice_labels(model: Any, name: str, language: str | None) -> dict[Any, str]:
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _display(obj: Any, name: str) -> str:
    """A choice's label in the active language. Looked up in a table made once per language:
    Django's get_FOO_display() hashes the lazily translated choices on every call, which was half
    of an order export's time."""
    value = getattr(obj, name)
    if not value:
        return ""
    return _choice_labels(type(obj), name, translation.get_language()).get(value, str(value))


# --- customers: the customer app's own export --------------------------------------------------------

def _customers() -> Export:
    from customers import exports
    from customers.forms import CustomerFilterForm

    return Export(
        kind="customers", label=gettext_lazy("Customer list"),
        queryset=exports.export_queryset, headers=exports.headers,
        rows=lambda user, qs, for_xlsx: exports.rows(user, qs, for_xlsx=for_xlsx),
        filters=lambda user, data: CustomerFilterForm(data, user=user).filters(),
    )


# --- orders -----------------------------------------------------------------------------------------------

def _orders() -> Export:
    from commerce.forms import OrderFilterForm
    from commerce.models import Order
    from commerce.selectors import order_filtered

    columns: list[tuple[str, Callable[[Any], Any]]] = [
        ("external_id", lambda o: o.number),
        ("customer", lambda o: o.customer.name),
        ("customer_external_id", lambda o: o.customer.external_id or ""),
        ("ordered_at", lambda o: o.ordered_at),
        ("status", lambda o: _display(o, "status")),
        ("channel", lambda o: _display(o, "channel")),
        ("region", lambda o: o.region),
        ("location", lambda o: o.location),
        ("salesperson", lambda o: o.salesperson_name),
        ("currency", lambda o: o.currency),
        ("revenue", lambda o: o.revenue),
        ("cost", lambda o: o.cost),
        ("margin", lambda o: o.margin),
        ("note", lambda o: o.note),
    ]

    def headers() -> list[str]:
        out = []
        for name, _getter in columns:
            if name == "external_id":
                out.append(_("Order number"))
            elif name == "customer_external_id":
                out.append(_("Customer's external ID"))
            else:
                out.append(_label(Order, name))
        return out

    def queryset(user: User, filters: Mapping[str, Any]) -> Any:
        # Only the exported columns: the customer's eighty columns made each row several times dearer.
        return order_filtered(user, filters, action="export").select_related("customer").only(
            "external_id", "ordered_at", "status", "channel", "region", "location", "salesperson_id", "currency",
            "revenue", "cost", "margin", "note", "customer__name", "customer__external_id",
        ).order_by("-ordered_at", "-id")

    def rows(user: User, qs: Any, for_xlsx: bool) -> Iterator[list[Any]]:
        # The salespeople are a few hundred users: named once, not joined into every row.
        names = {u.pk: str(u) for u in User.objects.only("username", "first_name", "last_name")}
        for order in qs.iterator(chunk_size=CHUNK):
            order.salesperson_name = names.get(order.salesperson_id, "") if order.salesperson_id else ""
            yield [cell(getter(order), for_xlsx=for_xlsx) for _name, getter in columns]

    return Export(kind="orders", label=gettext_lazy("Order list"), queryset=queryset, headers=headers, rows=rows,
                  filters=lambda user, data: OrderFilterForm(data, user=user).filters())


# --- interactions ---------------------------------------------------------------------------------------

def _interactions() -> Export:
    from interactions.forms import InteractionFilterForm
    from interactions.models import Interaction
    from interactions.selectors import interaction_filtered

    columns: list[tuple[str, Callable[[Any], Any]]] = [
        ("external_id", lambda i: i.external_id or ""),
        ("occurred_at", lambda i: i.occurred_at),
        ("customer", lambda i: i.customer.name),
        ("customer_external_id", lambda i: i.customer.external_id or ""),
        ("channel", lambda i: _display(i, "channel")),
        ("direction", lambda i: _display(i, "direction")),
        ("staff", lambda i: str(i.staff) if i.staff_id else ""),
        ("contact", lambda i: i.contact.name if i.contact_id else ""),
        ("subject", lambda i: i.subject),
        ("content", lambda i: i.content),
        ("outcome", lambda i: i.outcome),
    ]

    def headers() -> list[str]:
        return [_("Customer's external ID") if n == "customer_external_id" else _label(Interaction, n)
                for n, _getter in columns]

    def queryset(user: User, filters: Mapping[str, Any]) -> Any:
        return interaction_filtered(user, filters, action="export").select_related(
            "customer", "staff", "contact").order_by("-occurred_at", "-id")

    def rows(user: User, qs: Any, for_xlsx: bool) -> Iterator[list[Any]]:
        for obj in qs.iterator(chunk_size=CHUNK):
            yield [cell(getter(obj), for_xlsx=for_xlsx) for _name, getter in columns]

    return Export(kind="interactions", label=gettext_lazy("Interaction list"), queryset=queryset,
                  headers=headers, rows=rows,
                  filters=lambda user, data: InteractionFilterForm(data, user=user).filters())


# --- holdings (the wealth desk) -------------------------------------------------------------------------

def _holding_filters(user: User, data: Mapping[str, Any]) -> dict[str, Any]:
    """The holding list's filters from a query string: a customer, a class (unknown values dropped)."""
    from wealth.choices import AssetClass

    out: dict[str, Any] = {}
    customer = str(data.get("customer") or "")
    if customer.isdigit():
        out["customer"] = int(customer)
    if data.get("asset_class") in AssetClass.values:
        out["asset_class"] = data["asset_class"]
    return out


def _holdings() -> Export:
    from core import masking
    from wealth.models import Holding
    from wealth.selectors_holdings import holding_filtered

    columns: list[tuple[str, Callable[[Any], Any]]] = [
        ("external_id", lambda h: h.external_id or ""),
        ("customer", lambda h: h.customer.name),
        ("customer_external_id", lambda h: h.customer.external_id or ""),
        ("asset_class", lambda h: _display(h, "asset_class")),
        ("product_name", lambda h: h.product_name),
        ("product_code", lambda h: h.product_code),
        ("held_with_us", lambda h: _("yes") if h.held_with_us else _("no")),
        ("institution", lambda h: h.institution),
        ("amount", lambda h: h.amount),
        ("currency", lambda h: h.currency),
        ("started_on", lambda h: h.started_on),
        ("matures_on", lambda h: h.matures_on),
        ("risk_level", lambda h: h.risk_level),
        ("notes", lambda h: h.notes),
    ]

    def headers() -> list[str]:
        return [_("Customer's external ID") if n == "customer_external_id" else _label(Holding, n)
                for n, _getter in columns]

    def queryset(user: User, filters: Mapping[str, Any]) -> Any:
        return holding_filtered(user, filters, action="export").select_related("customer").only(
            *[n for n, _getter in columns if n not in ("customer", "customer_external_id")],
            "customer__name", "customer__external_id",
        ).order_by("customer_id", "asset_class", "id")

    def rows(user: User, qs: Any, for_xlsx: bool) -> Iterator[list[Any]]:
        # Amounts are assets (D12): masked for the roles that see them masked, as on the card.
        masked = masking.masks(user, Holding, "amount")
        for holding in qs.iterator(chunk_size=CHUNK):
            if masked:
                masking.mask_instance(user, holding)
            yield [cell(getter(holding), for_xlsx=for_xlsx) for _name, getter in columns]

    return Export(kind="holdings", label=gettext_lazy("Holding list"), queryset=queryset, headers=headers,
                  rows=rows, filters=_holding_filters)


_BUILDERS: dict[str, tuple[str, Callable[[], Export]]] = {
    "customers": ("customers", _customers),
    "orders": ("commerce", _orders),
    "interactions": ("interactions", _interactions),
    "holdings": ("wealth", _holdings),
}


def exports() -> dict[str, Export]:
    from django.apps import apps

    return {kind: build() for kind, (app, build) in _BUILDERS.items() if apps.is_installed(app)}


def _record(user: User, spec: Export, filters: Mapping[str, Any], count: int, fmt: str) -> None:
    access_record(
        user=user, action=AccessAction.EXPORT, object_repr=str(spec.label),
        detail={"kind": spec.kind, "filters": {k: str(v) for k, v in filters.items()}, "rows": count,
                "format": fmt},
    )


def export_response(*, user: User, kind: str, filters: Mapping[str, Any], fmt: str) -> HttpResponseBase:
    """The export as a download; recorded before any row leaves."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    spec = exports()[kind]
    qs = spec.queryset(user, filters)
    _record(user, spec, filters, qs.count(), fmt)
    return download(fmt=fmt, filename=f"{kind}-{timezone.localdate():%Y%m%d}.{fmt}", header=spec.headers(),
                    rows=lambda for_xlsx: spec.rows(user, qs, for_xlsx), title=str(spec.label))


def export_to_file(*, user: User, kind: str, path: str | Path, filters: Mapping[str, Any] | None = None) -> int:
    """`kehu export`: the whole list the user may export into a .csv or .xlsx file. Returns the row count."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(_("The file must end in .csv or .xlsx."))
    spec = exports()[kind]
    filters = filters or {}
    qs = spec.queryset(user, filters)
    count = qs.count()
    _record(user, spec, filters, count, fmt)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for chunk in csv_stream(spec.headers(), spec.rows(user, qs, False), translation.get_language() or "en"):
                handle.write(chunk)
    else:
        with xlsx_file(spec.headers(), spec.rows(user, qs, True), str(spec.label)) as source:
            path.write_bytes(source.read())
    return count
