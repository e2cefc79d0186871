"""Export of the customer list (CSV for Excel, XLSX), masked per role and written to the audit trail.

Rows are read with an iterator in chunks and written as they come: a million customers never
sit in memory. CSV streams to the client; XLSX (write-only openpyxl) goes through a temporary
file, which is then streamed.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.models import User
from audit.models import AccessAction
from audit.services import access_record
from customers import selectors
from customers.models import Customer

FORMATS = ("csv", "xlsx")
CHUNK = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection),
# unless it is a plain phone or number like "+86 138 1234 5678" or "-12.5".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-][\d\s().-]*$")


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


def _safe_text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _cell(value: Any, *, for_xlsx: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value)
        return local.replace(tzinfo=None, microsecond=0) if for_xlsx else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value if for_xlsx else value.isoformat()
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value if for_xlsx else str(value)
    return _safe_text(str(value))


def export_queryset(user: User, filters: Mapping[str, Any]) -> Any:
    """The rows the user may export under these filters (scoped with the "export" action)."""
    qs = selectors.customer_filtered(user, filters, action="export")
    if filters.get("tag"):
        qs = qs.distinct()
    return qs.select_related("owner", "team").prefetch_related("tags").order_by("name", "id")


def _rows(user: User, qs: Any, *, for_xlsx: bool) -> Iterator[list[Any]]:
    for customer in qs.iterator(chunk_size=CHUNK):
        selectors.mask_customer(user, customer)
        yield [_cell(getter(customer), for_xlsx=for_xlsx) for _name, getter in COLUMNS]


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(header: list[str], rows: Iterable[list[Any]], language: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel read the file as UTF-8 (Chinese names stay readable).
    yield "\ufeff" + writer.writerow(header)
    with translation.override(language):
        batch: list[str] = []
        for row in rows:
            batch.append(writer.writerow(row))
            if len(batch) >= CHUNK:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)


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
    filename = f"customers-{timezone.localdate():%Y%m%d}.{fmt}"
    header = headers()
    if fmt == "csv":
        language = translation.get_language() or "en"
        response = StreamingHttpResponse(
            _csv_stream(header, _rows(user, qs, for_xlsx=False), language), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    sheet.append(header)
    for row in _rows(user, qs, for_xlsx=True):
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
