"""Interactions and follow-up tasks are scoped through their customer."""

from __future__ import annotations

from django.db.models import Q

from customers.querysets import CustomerChildQuerySet


class InteractionQuerySet(CustomerChildQuerySet):
    pass


class FollowUpTaskQuerySet(CustomerChildQuerySet):
    def open(self) -> FollowUpTaskQuerySet:
        return self.filter(done_at__isnull=True)

    def assigned_to(self, user: object) -> FollowUpTaskQuerySet:
        return self.filter(Q(assignee=user))
