"""Scoping of orders, lines and costs (through their customer) and of the shared product catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.roles import Cap
from commerce.choices import OrderStatus
from core.models import SoftDeleteQuerySet
from core.querysets import RestrictedQuerySet
from customers.querysets import CustomerChildQuerySet, customer_permits, customer_scope


class ProductQuerySet(RestrictedQuerySet, SoftDeleteQuerySet):
    """The catalogue is shared: every user reads it; administrators and managers change it."""

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" or user.can(Cap.CATALOGUE)

    def scope(self, user: Any, action: str) -> Q:
        return Q(deleted_at__isnull=True)

    def active(self) -> ProductQuerySet:
        return self.filter(active=True, deleted_at__isnull=True)


class OrderQuerySet(CustomerChildQuerySet):
    """Orders are seen and changed by whoever may see and change their customer."""

    def completed(self) -> OrderQuerySet:
        """Orders whose value counts (analytics, RFM, CLV): paid and not deleted."""
        return self.filter(status=OrderStatus.PAID, deleted_at__isnull=True)

    def pending(self) -> OrderQuerySet:
        return self.filter(status=OrderStatus.PLACED, deleted_at__isnull=True)


class OrderLineQuerySet(RestrictedQuerySet):
    """Lines follow their order's customer."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        return (
            customer_scope(user, action, prefix="order__customer__")
            & Q(order__customer__deleted_at__isnull=True)
            & Q(order__deleted_at__isnull=True)
        )

    def completed(self) -> OrderLineQuerySet:
        return self.filter(order__status=OrderStatus.PAID, order__deleted_at__isnull=True)


class CustomerCostQuerySet(CustomerChildQuerySet):
    pass
