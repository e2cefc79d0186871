"""The audit pages (D12): the change trail and the access log, searchable, newest first.

Administrators read every entry, managers the entries about customers they may see (the
selectors go through AuditQuerySet.restrict); everyone else gets 403. Pages are keyset-paginated,
so the 1,000th page costs what the first does, and a page costs a fixed number of queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.roles import Cap
from audit.forms import AccessFilterForm, AuditFilterForm
from audit.models import AccessLog
from audit.presentation import present_changes
from audit.selectors import audit_accesses, audit_changes
from core.pagination import KeysetPage, keyset_page

PAGE_SIZE = 50
ORDERING = ["-at", "-id"]

DETAIL_LABELS = {
    "rows": gettext_lazy("Rows"),
    "filters": gettext_lazy("Filters"),
    "format": gettext_lazy("Format"),
    "tab": gettext_lazy("Tab"),
    "document_id": gettext_lazy("Document ID"),
    "fields": gettext_lazy("Fields"),
    "q": gettext_lazy("Search"),
}


@dataclass
class AccessRow:
    entry: AccessLog
    details: list[tuple[Any, str]] = field(default_factory=list)


def _require_audit(request: HttpRequest) -> None:
    if not request.user.can(Cap.AUDIT):
        raise PermissionDenied(_("Only administrators and managers may read the audit trail."))


def _show(value: Any) -> str | None:
    """A detail of an access entry as text; None for "no value"."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _access_rows(entries: list[AccessLog]) -> list[AccessRow]:
    rows = []
    for e in entries:
        details = []
        for key, value in (e.detail or {}).items():
            if key == "filters" and isinstance(value, dict):
                text = " · ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "")) or _("none")
            else:
                text = _show(value) or "—"
            details.append((DETAIL_LABELS.get(key, key), text))
        rows.append(AccessRow(entry=e, details=details))
    return rows


def _page(request: HttpRequest, queryset: QuerySet) -> KeysetPage:
    try:
        return keyset_page(queryset, ordering=ORDERING, cursor=request.GET.get("cursor") or None, size=PAGE_SIZE)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return keyset_page(queryset, ordering=ORDERING, size=PAGE_SIZE)


def _context(request: HttpRequest, form: AuditFilterForm, page: KeysetPage, tab: str) -> dict[str, Any]:
    filtered = form.is_bound and any(v not in (None, "") for k, v in form.data.items() if k != "cursor")
    return {"form": form, "page": page, "tab": tab, "filtered": filtered,
            "sees_all": request.user.can(Cap.MANAGE_USERS)}


@require_GET
@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    """Every create, change, delete, restore, transfer and verification, with before and after."""
    _require_audit(request)
    form = AuditFilterForm(request.GET or None)
    page = _page(request, audit_changes(user=request.user, filters=form.filters()))
    context = _context(request, form, page, "changes")
    context["rows"] = present_changes(page.items, reader=request.user)
    return render(request, "audit/change_list.html", context)


@require_GET
@login_required
def access_list(request: HttpRequest) -> HttpResponse:
    """Card views, exports (with their filters and row counts) and document downloads."""
    _require_audit(request)
    form = AccessFilterForm(request.GET or None)
    page = _page(request, audit_accesses(user=request.user, filters=form.filters()))
    context = _context(request, form, page, "accesses")
    context["rows"] = _access_rows(page.items)
    return render(request, "audit/access_list.html", context)
