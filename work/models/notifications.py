"""Notifications: the in-app inbox, each user's choice of channels per event, and the e-mail outbox.

A notification's title and summary are rendered once, when it is created, in the recipient's language
(the inbox then reads stored text: one indexed query a page, no template per row). A notification
about a customer keeps a link to it: the inbox shows its text only while the recipient may still see
that customer (work/selectors_notifications.py), and a merge moves it with the customer's records.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet


class NotificationQuerySet(RestrictedQuerySet):
    """A user reads and marks their own notifications only — whatever their role: an administrator
    sees the outbox, not another user's inbox."""

    def permits(self, user: Any, action: str) -> bool:
        if action not in ("view", "change"):
            raise ValueError(f"unknown action {action!r}")
        return True

    def scope(self, user: Any, action: str) -> Q:
        return Q(recipient_id=user.pk)


class Notification(models.Model):
    """One event told to one user."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    event = models.CharField(_("event"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # What it is about: any record (optional), and the customer it belongs to, if any — the scope
    # check at read time needs the customer as a column, not behind a generic relation.
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell (unread count) and the "unread" list.
            models.Index(fields=["recipient", "read_at", "created_at", "id"], name="notification_unread"),
            # The whole inbox, newest first.
            models.Index(fields=["recipient", "created_at", "id"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's choice for one event type; without a row the event's registered default applies.
    In-app notifications are always on: only e-mail can be switched."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(_("event"), max_length=60)
    email = models.BooleanField(_("e-mail"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.event}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(models.Model):
    """One message in the outbox, written in the transaction that decided to send it, and sent by the
    background worker (work/outbox.py): retried with back-off, failed after the last attempt, never
    dropped. Only administrators read it (the outbox page)."""

    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    event = models.CharField(_("event"), max_length=60, blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="emails")
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set when a worker takes the message; a message left "sending" past the lease (its worker died)
    # goes back to the queue.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="outgoingemail_due"),
            models.Index(fields=["status", "id"], name="outgoingemail_status"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
