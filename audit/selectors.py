"""Reads of the audit trail, always through AuditQuerySet.restrict (or the customer scope)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from accounts.roles import Cap
from audit.models import AccessLog, ObjectChange
from core import registry


def object_last_change(*, object_type: str, object_id: int) -> tuple[Any, Any] | None:
    """(user or None, time) of the latest recorded change of one record ("app.model", pk), None when
    the trail has none: who made a record stale for core.concurrency's conflict message. One query
    on the (object_type, object_id) index."""
    change = (ObjectChange.objects.filter(object_type=object_type, object_id=object_id)
              .select_related("user").order_by("-at", "-id").first())
    return (change.user, change.at) if change is not None else None


def customer_history(*, user: Any, customer_id: int, limit: int = 100) -> list[ObjectChange]:
    """Changes of one customer and its records (contacts, family, documents), newest first.

    Anyone who may see the customer may see its history (the card's history tab); the
    customer scope is checked here, not assumed from the caller.
    """
    visible = registry.get("customer_ids_visible")(user)
    if not visible.filter(pk=customer_id).exists():
        return []
    return list(ObjectChange.objects.filter(customer_id=customer_id).select_related("user")[:limit])


def _filtered(qs: QuerySet, filters: Mapping[str, Any]) -> QuerySet:
    if filters.get("user"):
        qs = qs.filter(user_id=filters["user"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("source"):
        qs = qs.filter(source=filters["source"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("since"):
        qs = qs.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__date__lte=filters["until"])
    if filters.get("q"):
        qs = qs.filter(object_repr__icontains=filters["q"])
    return qs


def audit_changes(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[ObjectChange]:
    """The change trail the user may read, filtered (user, action, source, customer, dates, text)."""
    return _filtered(ObjectChange.objects.restrict(user).select_related("user"), filters)


def audit_accesses(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[AccessLog]:
    """Views, exports and downloads the user may read, filtered like audit_changes."""
    return _filtered(AccessLog.objects.restrict(user).select_related("user"), filters)


def recent_changes(*, user: Any, limit: int = 10) -> list[ObjectChange]:
    """The latest changes about customers the user may see (the home page's "recent changes").

    Administrators read every customer's entries; everyone else those of the customers in their
    scope (the same rule as the card's history tab, so no audit capability is needed).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    qs = ObjectChange.objects.filter(customer_id__isnull=False)
    if not user.can(Cap.MANAGE_USERS):
        qs = qs.filter(customer_id__in=registry.get("customer_ids_visible")(user))
    return list(qs.select_related("user").order_by("-at", "-id")[:limit])
