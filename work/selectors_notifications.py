"""Reads of notifications: the bell's count, the inbox page, preferences, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Value, When

from core.pagination import KeysetPage, keyset_page
from work.events import EventType, events
from work.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail

INBOX_ORDER = ["-created_at", "-id"]
OUTBOX_ORDER = ["-id"]


def unread_count(*, user: Any) -> int:
    """The bell: one COUNT on the (recipient, read_at) index."""
    return Notification.objects.restrict(user, "view").filter(read_at__isnull=True).count()


def _inbox(user: Any) -> QuerySet[Any]:
    """The user's notifications, each marked with whether the user may still see the customer it is
    about (`customer_visible`): one whose customer left their scope since shows no text."""
    from customers.models import Customer

    visible = Exists(Customer.objects.restrict(user, "view").filter(pk=OuterRef("customer_id")))
    return (Notification.objects.restrict(user, "view")
            .annotate(customer_visible=Case(When(customer__isnull=True, then=Value(True)), default=visible,
                                            output_field=BooleanField()))
            .only("id", "event", "title", "summary", "url", "created_at", "read_at", "customer_id"))


def inbox_page(*, user: Any, unread_only: bool = False, cursor: str | None = None, size: int = 25) -> KeysetPage:
    """One page of the user's notifications, newest first (see _inbox)."""
    rows = _inbox(user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return keyset_page(rows, ordering=INBOX_ORDER, cursor=cursor, size=size)


def inbox_row(*, user: Any, notification_id: int) -> Notification:
    """One of the user's notifications as the inbox shows it (DoesNotExist for anyone else's)."""
    return _inbox(user).get(pk=notification_id)


@dataclass(frozen=True)
class Preference:
    key: str
    label: str
    email: bool
    email_default: bool


def email_preferences(*, user: Any) -> list[Preference]:
    """Every registered event with whether the user gets it by e-mail (their choice, else the default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "email"))
    return [Preference(e.key, str(e.label), chosen.get(e.key, e.email_default), e.email_default) for e in events()]


def event_labels() -> dict[str, EventType]:
    return {e.key: e for e in events()}


def outbox_page(*, status: str = "", cursor: str | None = None, size: int = 50) -> KeysetPage:
    """The outbox for administrators, newest first, optionally of one status."""
    rows = OutgoingEmail.objects.defer("body_text", "body_html")
    if status:
        rows = rows.filter(status=status)
    return keyset_page(rows, ordering=OUTBOX_ORDER, cursor=cursor, size=size)


def outbox_counts() -> dict[str, int]:
    """How many messages are in each status."""
    from django.db.models import Count

    counts = dict(OutgoingEmail.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {s: counts.get(s, 0) for s in EmailStatus.values}
