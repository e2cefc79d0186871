"""Scoping of the governance rows about customers: match keys, "not a duplicate" pairs and merges.

They follow the customers they are about, as every record of a customer does: a match key through
its customer, a pair through both of its customers, a merge through the customer that was kept (the
merged one has left every list)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.querysets import RestrictedQuerySet
from customers.querysets import customer_permits, customer_scope


class NotDuplicateQuerySet(RestrictedQuerySet):
    """A pair is seen by whoever may see both of its customers."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        return (
            customer_scope(user, action, prefix="first__") & Q(first__deleted_at__isnull=True)
            & customer_scope(user, action, prefix="second__") & Q(second__deleted_at__isnull=True)
        )


class CustomerMergeQuerySet(RestrictedQuerySet):
    """A merge is seen by whoever may see the kept customer. Roles that see every customer see every
    merge, also one whose kept customer was deleted since: the list of merges and their undo are theirs."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        if user.sees_all_customers:
            return Q()
        return customer_scope(user, action, prefix="survivor__") & Q(survivor__deleted_at__isnull=True)
