"""Audit scoping: administrators read the whole trail; managers the entries about customers they
may see; everyone else nothing here (their per-customer history goes through the card)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.roles import Cap
from core import registry
from core.querysets import RestrictedQuerySet


class AuditQuerySet(RestrictedQuerySet):
    def permits(self, user: Any, action: str) -> bool:
        return action == "view" and user.can(Cap.AUDIT)

    def scope(self, user: Any, action: str) -> Q:
        if user.can(Cap.MANAGE_USERS):
            return Q()
        return Q(customer_id__in=registry.get("customer_ids_visible")(user))
