"""Interactions are scoped through their customer."""

from __future__ import annotations

from customers.querysets import CustomerChildQuerySet


class InteractionQuerySet(CustomerChildQuerySet):
    pass
