"""Writing the audit trail. Services call these inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from audit.models import AccessLog, ObjectChange
from core.actor import current_actor


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
        object_repr=str(instance)[:200],
        customer_id=customer_id,
        changes=changes or {},
        note=note[:500],
    )


def change_records_bulk(
    *, user: Any, instances: Iterable[models.Model], action: str, changes: dict[str, Any], customer_attr: str = "pk",
    note: str = "",
) -> None:
    """The same change on many records, written in one statement."""
    actor = current_actor()
    uid = getattr(user, "pk", None)
    ObjectChange.objects.bulk_create(
        [
            ObjectChange(
                user_id=uid, source=actor.source, action=action, object_type=i._meta.label_lower,
                object_id=i.pk, object_repr=str(i)[:200], customer_id=getattr(i, customer_attr),
                changes=changes, note=note[:500],
            )
            for i in instances
        ],
        batch_size=1000,
    )


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
    return AccessLog.objects.create(
        user_id=getattr(user, "pk", None),
        source=actor.source,
        action=action,
        customer_id=customer_id,
        object_repr=object_repr[:200],
        ip=actor.ip,
        detail=detail or {},
    )
