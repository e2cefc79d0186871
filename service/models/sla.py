"""The SLA part: the working calendar, public holidays and make-up working days, the default SLA
policy per subject and level, and customers' service agreements (服务协议与合同) whose SLA
overrides the defaults (docs/service.md, "Working calendar and SLA", "Service agreements")."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SoftDeleteModel, TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from service.choices import RequestPriority, Severity, SlaSubject

# The levels each subject is measured in.
LEVELS: dict[str, type[models.TextChoices]] = {SlaSubject.COMPLAINT: Severity, SlaSubject.REQUEST: RequestPriority}
# The longest SLA time one may set: a year of minutes is already more than any agreement grants.
MAX_SLA_MINUTES = 366 * 24 * 60
WEEKDAY_DIGITS = "1234567"  # ISO weekdays, Monday 1 … Sunday 7


def level_choices(subject: str) -> list[tuple[str, Any]]:
    return list(LEVELS[subject].choices)


def level_label(subject: str, level: str) -> str:
    return str(dict(LEVELS[subject].choices).get(level, level))


def _minutes(label: Any) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, validators=[MinValueValidator(1), MaxValueValidator(MAX_SLA_MINUTES)])


class WorkingCalendar(models.Model):
    """The service desk's working week and hours (one row, key "default"), in the business zone."""

    key = models.CharField(max_length=20, unique=True, default="default", editable=False)
    weekdays = models.CharField(
        _("working days"), max_length=7, default="12345",
        help_text=_("ISO weekdays that are working days (1 Monday … 7 Sunday)."),
    )
    day_start = models.TimeField(_("working day starts"), default=time(9))
    day_end = models.TimeField(_("working day ends"), default=time(18))
    lunch_start = models.TimeField(_("lunch break starts"), null=True, blank=True, default=time(12))
    lunch_end = models.TimeField(_("lunch break ends"), null=True, blank=True, default=time(13))
    renewal_notice_days = models.PositiveSmallIntegerField(
        _("renewal reminder (days before expiry)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How many days before a service agreement ends its owner is reminded to renew it."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return str(_("Working calendar"))

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.weekdays or any(c not in WEEKDAY_DIGITS for c in self.weekdays) or \
                len(set(self.weekdays)) != len(self.weekdays):
            errors["weekdays"] = _("Choose at least one working day.")
        if self.day_start and self.day_end and self.day_start >= self.day_end:
            errors["day_end"] = _("The working day must end after it starts.")
        if (self.lunch_start is None) != (self.lunch_end is None):
            errors["lunch_end"] = _("Give both the start and the end of the lunch break, or neither.")
        elif self.lunch_start is not None and self.lunch_end is not None and self.day_start and self.day_end:
            if self.lunch_start >= self.lunch_end:
                errors["lunch_end"] = _("The lunch break must end after it starts.")
            elif not (self.day_start < self.lunch_start and self.lunch_end < self.day_end):
                errors["lunch_start"] = _("The lunch break must lie inside the working day.")
        if errors:
            raise ValidationError(errors)

    @property
    def python_weekdays(self) -> list[int]:
        return sorted(int(c) - 1 for c in self.weekdays)

    @property
    def periods(self) -> tuple[tuple[time, time], ...]:
        if self.lunch_start is not None and self.lunch_end is not None:
            return ((self.day_start, self.lunch_start), (self.lunch_end, self.day_end))
        return ((self.day_start, self.day_end),)


class Holiday(models.Model):
    """A public holiday (a day off) or, with `is_working_day`, a make-up working day (调休: a weekend
    day worked in exchange for a longer holiday)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_working_day = models.BooleanField(
        _("make-up working day"), default=False,
        help_text=_("A weekend day that is worked (调休); otherwise the day is a holiday."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(models.Model):
    """The default time to acknowledge and to resolve, in working minutes, per subject and level."""

    subject = models.CharField(_("subject"), max_length=20, choices=SlaSubject.choices)
    level = models.CharField(_("level"), max_length=20)
    acknowledge_minutes = _minutes(_("minutes to acknowledge"))
    resolve_minutes = _minutes(_("minutes to resolve"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["subject", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["subject", "level"], name="sla_policy_subject_level")]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} · {level_label(self.subject, self.level)}"

    @property
    def level_label(self) -> str:
        return level_label(self.subject, self.level)

    def clean(self) -> None:
        check_sla_times(self.subject, self.level, self.acknowledge_minutes, self.resolve_minutes)


def check_sla_times(subject: str, level: str, acknowledge: int | None, resolve: int | None) -> None:
    """Refuse a level the subject does not have and a resolve time shorter than the acknowledge time."""
    if subject not in LEVELS:
        raise ValidationError({"subject": _("Unknown subject “%(subject)s”.") % {"subject": subject}})
    if level not in LEVELS[subject].values:
        raise ValidationError({"level": _("“%(level)s” is not a level of %(subject)s.")
                               % {"level": level, "subject": SlaSubject(subject).label}})
    if acknowledge is not None and resolve is not None and resolve < acknowledge:
        raise ValidationError({"resolve_minutes": _("The time to resolve cannot be shorter than the time to "
                                                    "acknowledge.")})


class AgreementLevel(models.TextChoices):
    BASIC = "basic", _("Basic")
    STANDARD = "standard", _("Standard")
    PREMIUM = "premium", _("Premium")
    STRATEGIC = "strategic", _("Strategic")


class AgreementStatus(models.TextChoices):
    """Where an agreement stands on a given day (computed from its dates)."""

    UPCOMING = "upcoming", _("Not yet in force")
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")


class ServiceAgreement(TimeStampedModel, SoftDeleteModel):
    """A customer's service agreement or contract (服务协议与合同): its level, the days it is in force
    (both included), its terms, the SLA it grants — {subject: {level: [acknowledge, resolve]}} in
    working minutes, overriding the default policy for this customer — and its documents."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="service_agreements",
    )
    number = models.CharField(_("agreement number"), max_length=60, blank=True)
    level = models.CharField(_("agreement level"), max_length=20, choices=AgreementLevel.choices,
                             default=AgreementLevel.STANDARD)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    terms = models.TextField(_("terms"), blank=True, max_length=20_000)
    sla = models.JSONField(_("SLA granted"), default=dict, blank=True)
    documents = models.ManyToManyField("customers.CustomerDocument", verbose_name=_("documents"), blank=True,
                                       related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The end date the renewal reminder was sent for: once per end date (a renewal that moves the end
    # date brings a new reminder before the new end).
    renewal_reminded_for = models.DateField(null=True, blank=True, editable=False)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        indexes = [
            models.Index(fields=["customer", "starts_on", "ends_on"], name="agreement_customer_dates"),
            models.Index(fields=["ends_on", "id"], name="agreement_ends"),
        ]

    def __str__(self) -> str:
        label = self.number or self.get_level_display()
        return f"{label} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:agreement_detail", args=[self.pk])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The agreement must end on or after the day it starts.")})
        self.sla = clean_sla_terms(self.sla)

    def status_on(self, day: date, notice_days: int) -> str:
        if day < self.starts_on:
            return AgreementStatus.UPCOMING
        if day > self.ends_on:
            return AgreementStatus.EXPIRED
        if self.ends_on - day < timedelta(days=notice_days):
            return AgreementStatus.EXPIRING
        return AgreementStatus.ACTIVE

    def sla_rows(self) -> list[dict[str, Any]]:
        """The SLA granted, as rows in the order of the levels (for pages and the API)."""
        rows = []
        for subject, levels in LEVELS.items():
            for level in reversed(levels.values):
                times = (self.sla or {}).get(subject, {}).get(level)
                if times:
                    rows.append({"subject": subject, "subject_label": SlaSubject(subject).label, "level": level,
                                 "level_label": level_label(subject, level), "acknowledge_minutes": times[0],
                                 "resolve_minutes": times[1]})
        return rows


def clean_sla_terms(value: Any) -> dict[str, dict[str, list[int]]]:
    """The agreement's SLA in its stored shape, or ValidationError on "sla" naming what is wrong."""
    if value in (None, ""):
        return {}
    if isinstance(value, list):  # the API's rows: [{subject, level, acknowledge_minutes, resolve_minutes}]
        value = _rows_to_terms(value)
    if not isinstance(value, dict):
        raise ValidationError({"sla": _("The SLA must map each subject to its levels.")})
    out: dict[str, dict[str, list[int]]] = {}
    for subject, levels in value.items():
        if subject not in LEVELS or not isinstance(levels, dict):
            raise ValidationError({"sla": _("Unknown subject “%(subject)s”.") % {"subject": subject}})
        for level, times in levels.items():
            if level not in LEVELS[subject].values:
                raise ValidationError({"sla": _("“%(level)s” is not a level of %(subject)s.")
                                       % {"level": level, "subject": SlaSubject(subject).label}})
            if (not isinstance(times, list | tuple) or len(times) != 2
                    or not all(isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= MAX_SLA_MINUTES
                               for t in times)):
                raise ValidationError({"sla": _("Give %(subject)s · %(level)s two whole numbers of minutes "
                                                "between 1 and %(max)s.")
                                       % {"subject": SlaSubject(subject).label,
                                          "level": level_label(subject, level), "max": MAX_SLA_MINUTES}})
            if times[1] < times[0]:
                raise ValidationError({"sla": _("%(subject)s · %(level)s: the time to resolve cannot be shorter "
                                                "than the time to acknowledge.")
                                       % {"subject": SlaSubject(subject).label,
                                          "level": level_label(subject, level)}})
            out.setdefault(subject, {})[level] = [int(times[0]), int(times[1])]
    return out


def _rows_to_terms(rows: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        if not isinstance(row, dict) or not {"subject", "level", "acknowledge_minutes", "resolve_minutes"} <= set(row):
            raise ValidationError({"sla": _("Each SLA row needs subject, level, acknowledge_minutes and "
                                            "resolve_minutes.")})
        levels = out.setdefault(str(row["subject"]), {})
        if row["level"] in levels:
            raise ValidationError({"sla": _("%(subject)s · %(level)s is given twice.")
                                   % {"subject": row["subject"], "level": row["level"]}})
        levels[str(row["level"])] = [row["acknowledge_minutes"], row["resolve_minutes"]]
    return out
