"""Export of a saved segment's members: the customer export's columns (customers.exports), rows
scoped with the "export" action, masked for the role, recorded in the audit trail before any row
leaves, streamed (CSV) or written through a temporary file (XLSX)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import access_record
from core.tabular import CHUNK, FORMATS, XLSX_TYPE, csv_stream, xlsx_file
from customers import exports
from segmentation.models import SavedSegment
from segmentation.selectors import saved_segment_customers


def export_segment(*, user: Any, segment: SavedSegment, fmt: str) -> HttpResponseBase:
    """The response carrying the members the user may export."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    qs = (saved_segment_customers(user=user, segment=segment, action="export")
          .select_related("owner", "team").prefetch_related("tags").order_by("name", "id"))
    count = qs.count()
    access_record(user=user, action=AccessAction.EXPORT, object_repr=_("Segment “%(name)s”") % {"name": segment.name},
                  detail={"segment": segment.pk, "rules": segment.rules, "rows": count, "format": fmt})
    filename = f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.{fmt}"
    header = exports.headers()
    if fmt == "csv":
        language = translation.get_language() or "en"
        response = StreamingHttpResponse(csv_stream(header, exports.rows(user, qs, for_xlsx=False), language,
                                                    chunk=CHUNK), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    handle = xlsx_file(header, exports.rows(user, qs, for_xlsx=True), _("Customers"))
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
