"""Export of a saved segment's members: the customer export's columns (customers.exports), rows
scoped with the "export" action, masked for the role, recorded in the audit trail before any row
leaves, streamed as CSV or XLSX (the download starts at once)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import access_record
from core.tabular import FORMATS, download
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
    return download(fmt=fmt, filename=f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.{fmt}",
                    header=exports.headers(), rows=lambda for_xlsx: exports.rows(user, qs, for_xlsx=for_xlsx),
                    title=_("Customers"))
