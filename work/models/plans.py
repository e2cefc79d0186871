"""The salesperson's plan (营销过程管理): the daily log's own notes, the weekly plan's customers and the
monthly targets. Everything else the plan pages show — what happened on a day, whether a planned
customer was contacted, which customers changed state, the actuals of a month — is computed when it
is read from the activity data (work/plan_registry.py), never stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from customers.querysets import CustomerChildQuerySet


class DailyLog(TimeStampedModel):
    """A salesperson's own notes on one day (日程表). The day's activity is assembled at read time;
    only the notes are stored. Today's and yesterday's notes may be written (yesterday's is a
    correction, dated by corrected_at); older logs are locked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    day = models.DateField(_("day"))
    notes = models.TextField(_("notes"), blank=True, default="")
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)

    class Meta:
        ordering = ["-day", "user_id"]
        verbose_name = _("daily log")
        verbose_name_plural = _("daily logs")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="dailylog_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class WeeklyPlan(TimeStampedModel):
    """A salesperson's plan for one ISO week (周计划): the customers to contact (PlanEntry)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    week = models.DateField(_("week"), help_text=_("The Monday of the ISO week."))

    class Meta:
        ordering = ["-week", "user_id"]
        verbose_name = _("weekly plan")
        verbose_name_plural = _("weekly plans")
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="weeklyplan_user_week")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week:%G-W%V}"


class PlanEntry(models.Model):
    """One customer on a weekly plan, chosen by the user or taken from a suggestion. Whether the
    customer was contacted that week is computed when the plan is read."""

    class Source(models.TextChoices):
        CHOSEN = "chosen", _("Chosen")
        SUGGESTED = "suggested", _("Suggested")

    plan = models.ForeignKey(WeeklyPlan, verbose_name=_("weekly plan"), on_delete=models.CASCADE,
                             related_name="entries")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.CHOSEN)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("plan entry")
        verbose_name_plural = _("plan entries")
        constraints = [models.UniqueConstraint(fields=["plan", "customer"], name="planentry_plan_customer")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.customer_id}"


class Target(TimeStampedModel):
    """A monthly target (月计划) of one user or one team for one plan metric (work/plan_registry.py).
    Only the target is typed in; the actual is always computed from the activity data."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("metric"), max_length=40)
    value = models.DecimalField(pgettext_lazy("plan", "target"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-month", "team_id", "user_id", "metric"]
        verbose_name = pgettext_lazy("plan", "target")
        verbose_name_plural = pgettext_lazy("plan", "targets")
        constraints = [
            models.CheckConstraint(condition=models.Q(user__isnull=True) ^ models.Q(team__isnull=True),
                                   name="target_user_xor_team"),
            models.UniqueConstraint(fields=["month", "user", "metric"], condition=models.Q(user__isnull=False),
                                    name="target_month_user_metric"),
            models.UniqueConstraint(fields=["month", "team", "metric"], condition=models.Q(team__isnull=False),
                                    name="target_month_team_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.user_id or self.team_id} {self.metric}={self.value}"
