"""The audit pages (D12): the change trail and the access log, searchable, newest first.

Administrators read every entry, managers the entries about customers they may see (the
selectors go through AuditQuerySet.restrict); everyone else gets 403. Pages are keyset-paginated,
so the 1,000th page costs what the first does, and a page costs a fixed number of queries.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import Team
from accounts.roles import Cap, Sensitive
from audit.forms import AccessFilterForm, AuditFilterForm
from audit.models import AccessLog, ObjectChange
from audit.selectors import audit_accesses, audit_changes
from core.masking import mask_amount, mask_id_number, mask_phone
from core.pagination import KeysetPage, keyset_page

PAGE_SIZE = 50
ORDERING = ["-at", "-id"]

# Changed values of sensitive fields are masked like the fields themselves for roles that must
# not see them (today every role with the audit capability sees them; the rule still holds).
SENSITIVE_FIELDS = {
    "id_number": Sensitive.ID_NUMBER,
    "phone": Sensitive.PHONES,
    "phone_alt": Sensitive.PHONES,
    "assets": Sensitive.ASSETS,
}
MASKERS = {Sensitive.ID_NUMBER: mask_id_number, Sensitive.PHONES: mask_phone, Sensitive.ASSETS: mask_amount}
# Fields whose values are ids of users or teams: shown by name.
USER_FIELDS = {"owner", "from_user", "to_user", "uploaded_by"}
TEAM_FIELDS = {"team"}
DETAIL_LABELS = {
    "rows": gettext_lazy("Rows"),
    "filters": gettext_lazy("Filters"),
    "format": gettext_lazy("Format"),
    "tab": gettext_lazy("Tab"),
    "document_id": gettext_lazy("Document ID"),
}


@dataclass
class FieldChange:
    name: str
    label: Any
    before: str | None
    after: str | None
    paired: bool = True  # False when the entry holds a single value (e.g. the ids a deleted tag was on)


@dataclass
class ChangeRow:
    entry: ObjectChange
    type_label: Any
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class AccessRow:
    entry: AccessLog
    details: list[tuple[Any, str]] = field(default_factory=list)


def _require_audit(request: HttpRequest) -> None:
    if not request.user.can(Cap.AUDIT):
        raise PermissionDenied(_("Only administrators and managers may read the audit trail."))


@functools.lru_cache(maxsize=256)
def _model(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _type_label(object_type: str) -> Any:
    model = _model(object_type)
    return capfirst(model._meta.verbose_name) if model else object_type


def _field_label(object_type: str, name: str) -> Any:
    model = _model(object_type)
    try:
        return capfirst(model._meta.get_field(name).verbose_name) if model else name
    except (FieldDoesNotExist, AttributeError):
        return name.replace("_", " ")


@functools.lru_cache(maxsize=1024)
def _choice_labels(object_type: str, name: str) -> dict[Any, Any]:
    """{stored value: label} for a field with choices ("aggressive" → "Aggressive"), else {}."""
    model = _model(object_type)
    try:
        return dict(model._meta.get_field(name).flatchoices) if model else {}
    except (FieldDoesNotExist, AttributeError, TypeError):
        return {}


def _show(value: Any) -> str | None:
    """A stored value as text; None for "no value"."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Names:
    """Names of the users and teams a page's entries refer to by id: one query each, per page."""

    def __init__(self, entries: list[ObjectChange]) -> None:
        user_ids: set[int] = set()
        team_ids: set[int] = set()
        for e in entries:
            for name, pair in (e.changes or {}).items():
                ids = user_ids if name in USER_FIELDS else team_ids if name in TEAM_FIELDS else None
                if ids is not None and isinstance(pair, list):
                    ids.update(v for v in pair if isinstance(v, int))
        self.users = (
            {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
        )
        self.teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}

    def name(self, field_name: str, value: Any) -> Any:
        if isinstance(value, int) and field_name in USER_FIELDS:
            return self.users.get(value, f"#{value}")
        if isinstance(value, int) and field_name in TEAM_FIELDS:
            return self.teams.get(value, f"#{value}")
        return value


def _change_rows(user: Any, entries: list[ObjectChange]) -> list[ChangeRow]:
    names = _Names(entries)
    rows = []
    for e in entries:
        row = ChangeRow(entry=e, type_label=_type_label(e.object_type))
        for name, value in (e.changes or {}).items():
            group = SENSITIVE_FIELDS.get(name)
            mask = MASKERS[group] if group and user.masks(group) else None
            label = _field_label(e.object_type, name)
            choices = _choice_labels(e.object_type, name)
            if isinstance(value, list) and len(value) == 2:
                if value[0] == value[1]:
                    continue  # recorded for context (e.g. the team on a transfer within it): not a change
                before, after = (
                    choices.get(v, v) if choices and isinstance(v, (str, int)) else names.name(name, v) for v in value
                )
                if mask:
                    before, after = (mask(v) if v not in (None, "") else v for v in (before, after))
                row.changes.append(FieldChange(name, label, _show(before), _show(after)))
            else:
                row.changes.append(
                    FieldChange(name, label, None, _show(mask(value) if mask else value), paired=False)
                )
        rows.append(row)
    return rows


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
    context["rows"] = _change_rows(request.user, page.items)
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
