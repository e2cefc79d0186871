"""Tasks (D10 客户时间管理): something to do for a customer by a day, by a person or a team's queue.

Due: `due_on` is always set — the day the task is due, in the business time zone. A task with a
time also has `due_at`, the aware instant (stored in UTC like every datetime); an all-day task has
`due_at` null. Lists sort and filter on `due_on` (one column, one index) whichever kind it is; the
calendar places timed tasks by `due_at`.

Assignee: a user, or a team (`team`) whose members see it in their team's queue until one of them
takes it (then `assignee` is that user and `team` still says which queue it came from).

Linked record: optionally any record of the same customer (an interaction, an order …) through
`record_type` + `record_id`; linked to its page through work.linked (a registry the apps above
fill), so that a list shows the links without loading the records.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SoftDeleteModel, TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from work.recurrence import Rule


class TaskPriority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Recurrence(models.TextChoices):
    NONE = "none", _("does not repeat")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class TaskQuerySet(CustomerChildQuerySet):
    """Scoped through the customer: who may see the customer sees its tasks."""

    def open(self) -> TaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)


class Task(TimeStampedModel, SoftDeleteModel):
    """Something to do for a customer by a due date, optionally at a time, once or repeatedly."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("what to do"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    due_on = models.DateField(_("due date"))
    due_at = models.DateTimeField(_("due time"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=TaskPriority.choices,
                                default=TaskPriority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tasks",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team queue"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tasks",
    )
    record_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("linked record type"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    record_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    record = GenericForeignKey("record_type", "record_id")
    # A timed task may take a slot in the assignee's calendar, [due_at, slot_ends_at): such a slot takes
    # part in conflict detection and in the team view as an appointment does; without a duration a task
    # is a point in time and blocks nothing.
    duration_minutes = models.PositiveSmallIntegerField(
        _("takes (minutes)"), null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(720)],
        help_text=_("With a due time: the task holds this much of the assignee's calendar."),
    )
    slot_ends_at = models.DateTimeField(null=True, blank=True, editable=False)  # due_at + duration
    conflict_noted = models.BooleanField(_("saved despite a conflict"), default=False, db_default=False, editable=False)
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE)
    recurrence_interval = models.PositiveSmallIntegerField(_("every"), default=1)
    recurrence_until = models.DateField(_("repeat until"), null=True, blank=True)
    recurrence_count = models.PositiveSmallIntegerField(_("number of times"), null=True, blank=True)
    # The series' day of the month (monthly repeats fall back to shorter months' last day, then return
    # to it) and this task's number in its series (for `recurrence_count`).
    recurrence_day = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    occurrence = models.PositiveIntegerField(default=1, editable=False)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_occurrence", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_on", "id"], name="task_assignee_open"),
            models.Index(fields=["team", "status", "due_on", "id"], name="task_team_open"),
            models.Index(fields=["customer", "due_on"], name="task_customer_due"),
            models.Index(fields=["record_type", "record_id"], name="task_record"),
            models.Index(fields=["assignee", "done_at"], name="task_assignee_done"),
            models.Index(fields=["due_at"], name="task_due_at", condition=models.Q(due_at__isnull=False)),
            models.Index(fields=["assignee", "due_at", "slot_ends_at"], name="task_slot",
                         condition=models.Q(slot_ends_at__isnull=False)),
            models.Index(fields=["remind_at"], name="task_remind",
                         condition=models.Q(reminded_at__isnull=True, remind_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(assignee__isnull=False) | models.Q(team__isnull=False),
                                   name="task_assignee_or_team"),
            models.CheckConstraint(condition=models.Q(record_type__isnull=True, record_id__isnull=True)
                                   | models.Q(record_type__isnull=False, record_id__isnull=False),
                                   name="task_record_pair"),
            models.CheckConstraint(condition=models.Q(status="done", done_at__isnull=False)
                                   | (~models.Q(status="done") & models.Q(done_at__isnull=True)),
                                   name="task_done_at_iff_done"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def in_queue(self) -> bool:
        """Waiting in a team's queue for a member to take it."""
        return self.assignee_id is None

    def is_overdue(self, today: date | None = None) -> bool:
        if not self.is_open:
            return False
        if self.due_at is not None:
            return self.due_at < timezone.now()
        return self.due_on < (today or timezone.localdate())

    @property
    def rule(self) -> Rule:
        return Rule(frequency=self.recurrence, interval=self.recurrence_interval or 1,
                    until=self.recurrence_until, count=self.recurrence_count)

    @property
    def record_url(self) -> str:
        """The linked record's page ("" without one, or when its kind has no page: work.linked)."""
        from work.linked import record_url

        ctype = self.record_type
        return record_url(ctype.app_label, ctype.model, self.record_id) if ctype and self.record_id else ""

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("work:task_edit", args=[self.pk])
