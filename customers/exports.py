"""Export of the customer list (CSV for Excel, XLSX), masked per role and written to the audit trail.

Rows are read with an iterator in chunks and written as they come: a million customers never
sit in memory. CSV and XLSX both stream to the client as the rows are read (core.tabular.download),
so the download starts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AccessAction
from audit.services import access_record
from core.tabular import FORMATS, XLSX_TYPE, cell, download
from customers import selectors
from customers.models import Customer

__all__ = ["FORMATS", "XLSX_TYPE", "export_customers", "export_queryset", "headers", "rows"]
CHUNK = 1000

def _field(name: str) -> Callable[[Customer], Any]:
    return lambda c: getattr(c, name)


def _choice(name: str) -> Callable[[Customer], Any]:
    return lambda c: getattr(c, f"get_{name}_display")() if getattr(c, name) else ""


# (model field whose verbose name is the header, value getter)
COLUMNS: list[tuple[str, Callable[[Customer], Any]]] = [
    ("id", _field("pk")),
    ("name", _field("name")),
    ("kind", _choice("kind")),
    ("owner", lambda c: str(c.owner)),
    ("team", lambda c: c.team.name if c.team else ""),
    ("phone", _field("phone")),
    ("phone_alt", _field("phone_alt")),
    ("email", _field("email")),
    ("wechat_id", _field("wechat_id")),
    # The type with the number: a re-import of this file needs it for numbers other than resident IDs.
    ("id_type", _choice("id_type")),
    ("id_number", _field("id_number")),
    ("province", _field("province")),
    ("city", _field("city")),
    ("address", _field("address")),
    ("industry", _field("industry")),
    ("assets", _field("assets")),
    ("assets_currency", _field("assets_currency")),
    ("risk_preference", _choice("risk_preference")),
    ("source_channel", _choice("source_channel")),
    ("credit_standing", _choice("credit_standing")),
    ("tags", lambda c: ", ".join(t.name for t in c.tags.all())),
    ("last_verified_at", _field("last_verified_at")),
    ("created_at", _field("created_at")),
]


def headers() -> list[str]:
    """Column headers in the active language (the fields' verbose names)."""
    out = []
    for name, _getter in COLUMNS:
        label = _("ID") if name == "id" else str(Customer._meta.get_field(name).verbose_name)
        out.append(label[:1].upper() + label[1:])
    return out


def export_queryset(user: User, filters: Mapping[str, Any]) -> Any:
    """The rows the user may export under these filters (scoped with the "export" action)."""
    qs = selectors.customer_filtered(user, filters, action="export")
    if filters.get("tag"):
        qs = qs.distinct()
    return qs.select_related("owner", "team").prefetch_related("tags").order_by("name", "id")


def rows(user: User, qs: Any, *, for_xlsx: bool) -> Iterator[list[Any]]:
    """The export's rows, masked for the user, read in chunks."""
    for customer in qs.iterator(chunk_size=CHUNK):
        selectors.mask_customer(user, customer)
        yield [cell(getter(customer), for_xlsx=for_xlsx) for _name, getter in COLUMNS]


def export_customers(*, user: User, filters: Mapping[str, Any], fmt: str) -> HttpResponseBase:
    """The export response; the export (filters, row count, format) is recorded before any row leaves."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    qs = export_queryset(user, filters)
    count = qs.count()
    access_record(
        user=user, action=AccessAction.EXPORT, object_repr=_("Customer list"),
        detail={"filters": {k: str(v) for k, v in filters.items()}, "rows": count, "format": fmt},
    )
    return download(fmt=fmt, filename=f"customers-{timezone.localdate():%Y%m%d}.{fmt}", header=headers(),
                    rows=lambda for_xlsx: rows(user, qs, for_xlsx=for_xlsx), title=_("Customers"), chunk=CHUNK)
