"""Appointments of the calendar (客户时间管理, domain D10): visits, calls, meetings … with their
attendees, and each user's private iCalendar feed.

Scope (docs in work/selectors_calendar.py): an appointment with a customer is seen by whoever sees the
customer, and by its attendees (they were invited); one without a customer (an internal meeting) by
its attendees and the organiser's team. Changing needs the right to change the customer, or being
the organiser. Everyone else sees at most that an attendee is "busy" then.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.zones import validate_time_zone
from core.models import SoftDeleteModel, SoftDeleteQuerySet, TimeStampedModel
from core.querysets import RestrictedQuerySet
from customers.querysets import customer_permits, customer_scope


class AppointmentKind(models.TextChoices):
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    MEETING = "meeting", _("meeting")
    ASSET_REVIEW = "asset_review", _("asset review")
    EVENT = "event", _("event")
    OTHER = "other", _("other")


class Recurrence(models.TextChoices):
    NONE = "", _("does not repeat")
    DAILY = "daily", _("every day")
    WEEKLY = "weekly", _("every week")
    MONTHLY = "monthly", pgettext_lazy("repeats", "every month")


class AppointmentQuerySet(RestrictedQuerySet, SoftDeleteQuerySet):
    """Scoped through the customer when there is one; attendees always see what they attend."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        attends = Exists(AppointmentAttendee.objects.filter(appointment=OuterRef("pk"), user_id=user.pk))
        with_customer = (Q(customer__isnull=False, customer__deleted_at__isnull=True)
                         & customer_scope(user, action, prefix="customer__"))
        if action == "view":
            internal = Q(customer__isnull=True)
            if not user.sees_all_customers:
                internal &= Q(organiser__team_id=user.team_id) if user.team_id else Q(organiser_id=user.pk)
            q = with_customer | internal | Q(attends)
        else:
            # Changing: whoever may change the customer, and the organiser (of an internal meeting too).
            q = with_customer | Q(organiser_id=user.pk)
        return q & Q(deleted_at__isnull=True)


class Appointment(TimeStampedModel, SoftDeleteModel):
    """A slot in attendees' calendars. `starts_at`/`ends_at` are UTC instants, the half-open interval
    [starts_at, ends_at); an all-day appointment also keeps its dates (`start_date`..`end_date`,
    both included) and its instants are those days' midnights in its zone (`time_zone`, the
    organiser's when it was made), so that range queries find it — conflicts compute the whole days in
    each attendee's zone (work.conflicts). A recurring one (daily, weekly or monthly until
    `recurrence_until`, at most a year) keeps its first occurrence here; the others are computed
    (work.conflicts.occurrences) at the wall-clock time of `time_zone`."""

    kind = models.CharField(_("kind"), max_length=20, choices=AppointmentKind.choices, default=AppointmentKind.VISIT)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    all_day = models.BooleanField(_("all day"), default=False)
    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices, blank=True, default="")
    recurrence_until = models.DateField(_("repeats until"), null=True, blank=True)
    # The zone it was planned in ("" = the business zone): its repeats keep this zone's wall clock.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", db_default="", validators=[validate_time_zone]
    )
    location = models.CharField(_("location"), max_length=200, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="appointments",
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="AppointmentAttendee", verbose_name=_("attendees"), related_name="+",
    )
    contacts = models.ManyToManyField(
        "customers.Contact", verbose_name=_("contact persons"), blank=True, related_name="appointments",
    )
    record_type = models.ForeignKey(
        ContentType, verbose_name=_("linked record type"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    record_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    # Saved although it overlapped another appointment of an attendee ("save anyway").
    conflict_noted = models.BooleanField(_("saved despite a conflict"), default=False)
    # The record its outcome was recorded as (an interaction, through the outcome recorder registry).
    outcome_type = models.ForeignKey(
        ContentType, verbose_name=_("outcome record type"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome_id = models.PositiveBigIntegerField(_("outcome record"), null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["customer", "starts_at"], name="appointment_customer_time"),
            models.Index(fields=["organiser", "starts_at"], name="appointment_organiser_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone) if self.time_zone else ZoneInfo(settings.TIME_ZONE)


class AppointmentAttendee(models.Model):
    """A user in an appointment (the organiser is always one). The appointment's instants are copied
    here so that "who is busy when" is one indexed range scan: (user, starts_at, ends_at) — for a
    recurring appointment from its first start to its last occurrence's end (work.conflicts.span)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [models.UniqueConstraint(fields=["appointment", "user"], name="appointment_attendee_once")]
        indexes = [models.Index(fields=["user", "starts_at", "ends_at"], name="attendee_busy")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.appointment_id}"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed: only the SHA-256 of the token is kept (the URL is shown once,
    when made or reset), so a copy of the database does not give anyone's calendar away."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"
