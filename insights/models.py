"""Predictive value (D5): the settings of the scoring, each scoring run with its fitted models and
diagnostics, and the current scores of every customer who has bought (one row per customer).

Scores are stored figures refreshed by a background run (`insights.services.scores_refresh`),
never computed per row when a page is shown: see docs/analytics.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.querysets import CustomerChildQuerySet


class InsightSettings(models.Model):
    """The one row of scoring settings (pk 1), edited by administrators: the CLV horizon, the
    monthly discount rate and the period of the purchase likelihood."""

    horizon_months = models.PositiveSmallIntegerField(
        _("CLV horizon (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Lifetime value counts the margin expected over this many months."),
    )
    # A fraction: 0.01 is 1 % a month.
    monthly_discount_rate = models.DecimalField(
        _("monthly discount rate"), max_digits=6, decimal_places=4, default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.2"))],
        help_text=_("Future margin is discounted by this rate a month (0.01 = 1 %)."),
    )
    period_days = models.PositiveSmallIntegerField(
        _("purchase likelihood period (days)"), default=30, validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("Purchase likelihood is the probability of at least one purchase within this many days."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")

    def __str__(self) -> str:
        return str(_("Scoring settings"))


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScoreRun(models.Model):
    """One scoring of all customers as of a date: the models fitted (BG/NBD, Gamma-Gamma, churn),
    their diagnostics, the settings used, and how long it took."""

    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    horizon_months = models.PositiveSmallIntegerField(_("CLV horizon (months)"), default=12)
    monthly_discount_rate = models.FloatField(_("monthly discount rate"), default=0.01)
    period_days = models.PositiveSmallIntegerField(_("purchase likelihood period (days)"), default=30)
    time_unit = models.CharField(_("time unit"), max_length=10, default="week")
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    # {"r", "alpha", "a", "b", "log_likelihood", "customers", "converged"}
    bgnbd = models.JSONField(_("BG/NBD model"), default=dict, blank=True)
    # {"p", "q", "gamma", "log_likelihood", "customers", "converged", "spend_frequency_correlation"}
    gamma_gamma = models.JSONField(_("Gamma-Gamma model"), default=dict, blank=True)
    # {"calibration_end", "weeks", "customers", "total": {"predicted", "actual"}, "groups": [...]}
    holdout = models.JSONField(_("holdout check"), default=dict, blank=True)
    # What the churn classifier reports about itself (AUCs, calibration curve, baselines), or why it did not run.
    churn = models.JSONField(_("churn model"), default=dict, blank=True)
    # What the next-best-product model reports about itself (hit rates), or why it did not run.
    products = models.JSONField(_("next best product model"), default=dict, blank=True)
    # Phase of a running run, for the progress bar.
    progress = models.JSONField(default=dict, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        indexes = [models.Index(fields=["status", "-finished_at"], name="scorerun_status_finished")]

    def __str__(self) -> str:
        return _("Scoring as of %(date)s") % {"date": self.as_of}

    @property
    def running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class CustomerScore(models.Model):
    """The current scores of one customer who has bought, from the latest finished run. Times are in
    weeks (the models' unit), values in the order currency, probabilities in 0–1."""

    customer = models.OneToOneField(
        "customers.Customer", verbose_name=_("customer"), primary_key=True, on_delete=models.CASCADE,
        related_name="score",
    )
    run = models.ForeignKey(ScoreRun, verbose_name=_("scoring run"), on_delete=models.CASCADE, related_name="+")
    # The purchase history the models see (distinct purchase days of paid orders).
    frequency = models.PositiveIntegerField(_("repeat purchases"))  # x: purchase days − 1
    recency_weeks = models.FloatField(_("recency (weeks)"))  # t_x: first to last purchase day
    age_weeks = models.FloatField(_("age (weeks)"))  # T: first purchase day to the run's date
    first_purchase = models.DateField(_("first purchase"))
    last_purchase = models.DateField(_("last purchase"))
    mean_order_value = models.FloatField(_("mean order value"), null=True, blank=True)  # repeat days only
    margin_share = models.FloatField(_("margin share"))
    # The models' outputs.
    expected_purchases_30 = models.FloatField(_("expected purchases, next 30 days"))
    expected_purchases_90 = models.FloatField(_("expected purchases, next 90 days"))
    p_alive = models.FloatField(_("probability still active"))
    purchase_likelihood = models.FloatField(_("purchase likelihood"))
    expected_order_value = models.FloatField(_("expected order value"))
    clv = models.FloatField(_("lifetime value"))
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    # [{"factor": key, "label": str, "direction": "+"/"-", "weight": float}, …]
    churn_factors = models.JSONField(_("churn factors"), default=list, blank=True)
    # [{"product_id", "name", "score", "reason"}, …]
    next_products = models.JSONField(_("next best products"), default=list, blank=True)
    # likelihood × expected margin of a purchase: the call list's order.
    call_score = models.FloatField(_("call score"))
    # churn risk × CLV: the value at stake, the value page's at-risk order (null without churn model).
    value_at_risk = models.FloatField(_("value at risk"), null=True, blank=True)
    reason_key = models.CharField(max_length=30)
    reason_params = models.JSONField(default=dict, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [
            # The call list: best first, keyset pages by (call score, customer).
            models.Index(fields=["-call_score", "-customer"], name="score_call"),
            models.Index(fields=["-value_at_risk", "-customer"], name="score_value_at_risk"),
            models.Index(fields=["-clv", "-customer"], name="score_clv"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.clv:.2f}"
