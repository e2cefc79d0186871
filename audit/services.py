"""Writing the audit trail. Services call these inside their transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils import timezone

from audit.models import AccessLog, ObjectChange
from core import compiled, db
from core.actor import current_actor


def record_repr(instance: models.Model) -> str:
    """The record's name as the trail keeps it. A model whose str() is worded in the active language
    (an order is "订单 #12" on a Chinese page) gives a language-free `audit_repr` instead ("#12"):
    the trail stores no translated text, and its pages show the record's kind in the reader's language
    next to this name (audit.presentation)."""
    name = getattr(instance, "audit_repr", None)
    return str(instance if name is None else name)[:200]


def change_record(
    *,
    user: Any,
    instance: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    customer_id: int | None = None,
    note: str = "",
) -> ObjectChange:
    """Record one change of `instance` by `user`, through the current door (web, API, CLI)."""
    actor = current_actor()
    return ObjectChange.objects.create(
        user_id=getattr(user, "pk", None),
        source=actor.source,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=record_repr(instance),
        customer_id=customer_id,
        changes=changes or {},
        note=note[:500],
    )


def change_records_bulk(
    *, user: Any, instances: Iterable[models.Model], action: str,
    changes: dict[str, Any] | Callable[[models.Model], dict[str, Any]], customer_attr: str | None = "pk",
    note: str = "",
) -> int:
    """One change record per instance, written as plain rows (no model instances: an import writes
    100,000 of them). `changes` is the same for all, or a function giving each instance its own
    (imports: each row changes different fields). `customer_attr` names the attribute holding the
    customer id (None: not a customer's record). Returns how many were written."""
    actor = current_actor()
    uid = getattr(user, "pk", None)
    at = timezone.now()
    changes_of = changes if callable(changes) else (lambda _instance: changes)
    rows = (
        (at, uid, actor.source, action, i._meta.label_lower, i.pk, record_repr(i),
         getattr(i, customer_attr) if customer_attr else None, changes_of(i), note[:500])
        for i in instances
    )
    return db.insert_rows(ObjectChange, _CHANGE_COLUMNS, rows)


_CHANGE_COLUMNS = ("at", "user_id", "source", "action", "object_type", "object_id", "object_repr", "customer_id",
                   "changes", "note")


def access_record(
    *,
    user: Any,
    action: str,
    customer_id: int | None = None,
    object_repr: str = "",
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Record one view, export or download by `user`."""
    actor = current_actor()
    entry = AccessLog(
        user_id=getattr(user, "pk", None),
        source=actor.source,
        action=action,
        customer_id=customer_id,
        object_repr=object_repr[:200],
        ip=actor.ip,
        detail=detail or {},
    )
    # One row per card read: the INSERT is compiled once rather than on every call, and commits
    # without waiting for the disk (core.compiled.insert; docs/permissions.md).
    compiled.insert(entry, wait_for_flush=False)
    return entry
