"""The permission-scoped queryset: the only way data that belongs to customers is read.

`Model.objects.restrict(user, action)` returns exactly the rows `user` may perform `action` on
("view", "change", "delete", "transfer", "export"); a model's queryset supplies the rule by
implementing `permits()` (may this user do this at all) and `scope()` (which rows).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models
from django.db.models import Q


class RestrictedQuerySet(models.QuerySet):
    def permits(self, user: Any, action: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def scope(self, user: Any, action: str) -> Q:  # pragma: no cover - abstract
        raise NotImplementedError

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not self.permits(user, action):
            return self.none()
        return self.filter(self.scope(user, action))


class Restrictable(Protocol):
    """What restrict() is called on: a RestrictedQuerySet, or the manager a model makes of one
    (`Model.objects`)."""

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet: ...
