"""Customer scoping: who may see or change which customers (rules in accounts.roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.roles import Cap
from core.models import SoftDeleteQuerySet
from core.querysets import RestrictedQuerySet

# action -> capability it needs ("view" needs only an active account)
ACTION_CAPABILITY = {
    "view": None,
    "change": Cap.CHANGE,
    "delete": Cap.DELETE,
    "restore": Cap.RESTORE,
    "transfer": Cap.TRANSFER,
    "export": Cap.EXPORT,
}


def customer_permits(user: Any, action: str) -> bool:
    if action not in ACTION_CAPABILITY:
        raise ValueError(f"unknown action {action!r}")
    cap = ACTION_CAPABILITY[action]
    return cap is None or user.can(cap)


def customer_scope(user: Any, action: str, prefix: str = "") -> Q:
    """Rows of customers the user may act on: all, or owned by the user or the user's team."""
    if user.sees_all_customers:
        return Q()
    q = Q(**{f"{prefix}owner_id": user.pk})
    if user.team_id:
        q |= Q(**{f"{prefix}team_id": user.team_id})
    return q


class CustomerQuerySet(RestrictedQuerySet, SoftDeleteQuerySet):
    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        q = customer_scope(user, action)
        # Deleted customers are only reachable by restore (administrators).
        return q & Q(deleted_at__isnull=(action != "restore"))


class CustomerChildQuerySet(RestrictedQuerySet, SoftDeleteQuerySet):
    """Records that belong to one customer (contacts, family, documents): scoped through it."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        return (
            customer_scope(user, action, prefix="customer__")
            & Q(customer__deleted_at__isnull=True)
            & Q(**({"deleted_at__isnull": True} if hasattr(self.model, "deleted_at") else {}))
        )


class TagQuerySet(RestrictedQuerySet):
    """Tags are shared vocabulary: every user may read them; changing them needs CHANGE."""

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" or user.can(Cap.CHANGE)

    def scope(self, user: Any, action: str) -> Q:
        return Q()
