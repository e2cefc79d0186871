"""Interactions with customers on every channel (D3). The follow-up tasks they spawn are tasks of
the work app (work.Task) linked to the interaction (its linked record)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SoftDeleteModel, TimeStampedModel
from interactions.choices import Direction, InteractionChannel
from interactions.querysets import InteractionQuerySet


class Interaction(TimeStampedModel, SoftDeleteModel):
    """One contact with a customer: a call, visit, email, SMS, WeChat message, web form, fax or
    event, inbound or outbound, by a staff member, with what it was about and what came of it."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact person"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=InteractionChannel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=500, blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "occurred_at", "id"], name="interaction_customer_time"),
            models.Index(fields=["occurred_at", "id"], name="interaction_time"),
            models.Index(fields=["staff", "occurred_at", "id"], name="interaction_staff_time"),
            models.Index(fields=["channel", "occurred_at", "id"], name="interaction_channel_time"),
            # The plan's visits and calls of a team's people in a month (interactions/plans.py): one range
            # per person and channel, instead of intersecting every interaction of the person with
            # every one of the channel (74 ms → ms on PostgreSQL at 1M customers).
            models.Index(fields=["staff", "channel", "occurred_at"], name="interaction_staff_channel_time"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("interactions:interaction_detail", args=[self.pk])
