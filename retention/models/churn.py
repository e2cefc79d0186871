"""The churn analysis' stored figures (part "churn"), rewritten set-based by `retention.services_churn.churn_refresh`
(nightly, and `kehu retention refresh`); the churn page and the cohort triangle read only these small tables.

- ChurnEvent: one row per loss of a customer (a lifecycle move to *lost*), with what the customer was before it.
- ChurnSegmentBefore: each customer's ABC tier and RFM segment at the last refresh while they were still active,
  so that a loss can be broken down by the segment *before* it (the segment tables hold only today's class).
- ChurnMonth: per calendar month and breakdown key, the flows the rates are summed from.
- ChurnCohortMonth: per first-purchase month (cohort) and calendar month, the cohort's flows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.querysets import CustomerChildQuerySet


class ChurnDimension(models.TextChoices):
    """What a churn figure is broken down by. The first five have rates (their key is known for the customers
    active at the start of a period too); the others only split the losses."""

    ALL = "all", _("All customers")
    TEAM = "team", _("Team")
    OWNER = "owner", _("Owner")
    REGION = "region", _("Region")
    CHANNEL = "channel", _("Channel")
    ABC = "abc", _("ABC tier before the loss")
    RFM = "rfm", _("RFM segment before the loss")
    STAGE = "stage", _("Lifecycle stage before the loss")
    REASON = "reason", _("Reason class")


RATE_DIMENSIONS = (ChurnDimension.ALL, ChurnDimension.TEAM, ChurnDimension.OWNER, ChurnDimension.REGION,
                   ChurnDimension.CHANNEL)


class ChurnEvent(models.Model):
    """One loss: the customer moved to *lost* on `lost_on` (no purchase within the churn window, or marked churned),
    and came back on `returned_on` (their next purchase) or not yet."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    lost_on = models.DateField(_("lost on"))
    returned_on = models.DateField(_("won back on"), null=True, blank=True)
    last_order_on = models.DateField(_("last purchase before the loss"))
    marked = models.BooleanField(_("marked churned"), default=False)
    reason = models.CharField(_("reason class"), max_length=16, blank=True)  # ChurnReason; "" = unknown
    stage_before = models.CharField(_("lifecycle stage before the loss"), max_length=16)
    abc_before = models.CharField(_("ABC tier before the loss"), max_length=1, blank=True)  # "" = not recorded
    rfm_before = models.CharField(_("RFM segment before the loss"), max_length=24, blank=True)
    margin_12m = models.DecimalField(_("margin of the last twelve months"), max_digits=16, decimal_places=2)
    clv_at_loss = models.FloatField(_("lifetime value at the loss"), null=True, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("loss of a customer")
        verbose_name_plural = _("losses of customers")
        constraints = [models.UniqueConstraint(fields=["customer", "lost_on"], name="churnevent_customer_day")]
        indexes = [models.Index(fields=["lost_on"], name="churnevent_lost_on")]

    def __str__(self) -> str:
        return f"{self.customer_id} lost {self.lost_on}"


class ChurnSegmentBefore(models.Model):
    """The customer's ABC tier and RFM segment at the last churn refresh while they were in an active stage."""

    customer = models.OneToOneField("customers.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="+")
    as_of = models.DateField(_("as of"))
    abc_tier = models.CharField(_("ABC tier"), max_length=1)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("segment before a loss")
        verbose_name_plural = _("segments before losses")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.abc_tier} {self.rfm_segment} ({self.as_of})"


class ChurnMonth(models.Model):
    """The flows of one calendar month for one breakdown key: spells of activity that began (first purchases and
    win-backs), losses, and what the losses cost. Active at a month's start = Σ over earlier months of
    (began − lost); the selectors form the rates from these sums."""

    # Months as year × 12 + month − 1 (core.db_analytics.month_index_sql; month_index_date gives the first day).
    month = models.PositiveIntegerField(_("month"))
    dimension = models.CharField(_("breakdown"), max_length=12, choices=ChurnDimension.choices)
    key = models.CharField(_("key"), max_length=64, blank=True)
    began = models.PositiveIntegerField(_("became active"), default=0)
    lost = models.PositiveIntegerField(_("losses"), default=0)
    # Losses of customers who became active in the same month (not active at its start: not in the rate).
    lost_new = models.PositiveIntegerField(_("losses of customers new in the month"), default=0)
    # Losses in the month of customers who bought again before the month ended (still counted as losses).
    returned_same_month = models.PositiveIntegerField(_("lost and won back in the month"), default=0)
    # The same two for the quarter the month is in (a quarter's rate is not the sum of its months').
    lost_new_quarter = models.PositiveIntegerField(_("losses of customers new in the quarter"), default=0)
    returned_same_quarter = models.PositiveIntegerField(_("lost and won back in the quarter"), default=0)
    margin_lost = models.DecimalField(_("margin lost"), max_digits=18, decimal_places=2, default=0)
    clv_lost = models.FloatField(_("lifetime value lost"), default=0)

    class Meta:
        verbose_name = _("month of churn figures")
        verbose_name_plural = _("months of churn figures")
        constraints = [models.UniqueConstraint(fields=["dimension", "key", "month"], name="churnmonth_key_month")]

    def __str__(self) -> str:
        return f"{self.dimension}={self.key} {self.month}: {self.lost}"


class ChurnCohortMonth(models.Model):
    """The flows of the customers who first bought in `cohort` during calendar month `month`."""

    cohort = models.PositiveIntegerField(_("first purchase month"))  # a month index, as ChurnMonth.month
    month = models.PositiveIntegerField(_("month"))
    began = models.PositiveIntegerField(_("became active"), default=0)  # first purchases and win-backs
    lost = models.PositiveIntegerField(_("losses"), default=0)
    first_lost = models.PositiveIntegerField(_("first losses"), default=0)  # for the never-lost (sBG) curve

    class Meta:
        verbose_name = _("cohort month")
        verbose_name_plural = _("cohort months")
        constraints = [models.UniqueConstraint(fields=["cohort", "month"], name="churncohort_cohort_month")]

    def __str__(self) -> str:
        return f"{self.cohort} {self.month}: +{self.began} −{self.lost}"


class ChurnRefresh(models.Model):
    """When the figures were last computed (one row)."""

    as_of = models.DateField(_("as of"))
    refreshed_at = models.DateTimeField(_("refreshed"))
    seconds = models.FloatField(_("seconds"), default=0)
    events = models.PositiveIntegerField(_("losses"), default=0)

    class Meta:
        verbose_name = _("churn refresh")
        verbose_name_plural = _("churn refreshes")

    def __str__(self) -> str:
        return f"churn as of {self.as_of}"
