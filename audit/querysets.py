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
        about_visible_customers = Q(customer_id__in=registry.get("customer_ids_visible")(user))
        if not user.team_id:
            return about_visible_customers
        # Entries about no single customer (exports, tags) are a manager's to read when someone of
        # the manager's own team did them.
        return about_visible_customers | Q(customer_id__isnull=True, user__team_id=user.team_id)
