"""Interactions with customers on every channel, and the follow-up tasks they spawn (D3)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SoftDeleteModel, TimeStampedModel
from interactions.choices import Direction, InteractionChannel
from interactions.querysets import FollowUpTaskQuerySet, InteractionQuerySet


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
        ]

    def __str__(self) -> str:
        return self.subject


class FollowUpTask(TimeStampedModel, SoftDeleteModel):
    """Something to do for a customer by a due date (often after an interaction: every inbound
    call is a sales opportunity). Shown on the assignee's home page until done."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="follow_up_tasks"
    )
    interaction = models.ForeignKey(
        Interaction, verbose_name=_("interaction"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="follow_up_tasks",
    )
    title = models.CharField(_("what to do"), max_length=200)
    due_on = models.DateField(_("due date"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="follow_up_tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_on"], name="followup_assignee_open"),
            models.Index(fields=["customer", "due_on"], name="followup_customer_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """A new task due yesterday would be born overdue: a typo of the date, never a plan. (An existing
        task keeps its past due date: that is what "overdue" means.)"""
        super().clean()
        if self._state.adding and self.due_on and self.due_on < timezone.localdate():
            raise ValidationError({"due_on": _("A new follow-up cannot be due in the past; choose today or a later "
                                               "day.")})

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today: timezone.datetime | None = None) -> bool:
        return not self.is_done and self.due_on < (today or timezone.localdate())
