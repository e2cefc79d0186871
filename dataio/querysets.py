"""Who sees which import jobs: their author; managers their team's; administrators all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.roles import Cap, Role
from core.querysets import RestrictedQuerySet


class ImportJobQuerySet(RestrictedQuerySet):
    def permits(self, user: Any, action: str) -> bool:
        return action in ("view", "change")

    def scope(self, user: Any, action: str) -> Q:
        if user.sees_all_customers and user.can(Cap.ADD):
            return Q()
        q = Q(created_by_id=user.pk)
        if action == "view" and user.effective_role == Role.MANAGER and user.team_id:
            q |= Q(team_id=user.team_id)
        return q
