"""Asset reviews (资产回顾): a dated snapshot of all of a customer's holdings, with the totals in the
reporting currency as they were that day, plus what was discussed and the next steps.

A review never changes when holdings or FX rates change later: each line keeps the holding's values
and its converted amount, and the review keeps its totals (docs/wealth.md "Asset reviews").

The cadence (docs/wealth.md "Review cadence"): `ReviewCadence` (one row, edited by administrators)
says which customers are important (ABC tiers, tags) and how many months apart their reviews are;
`ReviewSchedule` (one row per wealth customer) stores the manual "important" flag, the language of
the review sheet and the computed `next_review_due`, indexed with the owner, so that the home page
reads the reviews due of an owner from an index instead of scanning customers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.decimals import DecimalField
from core.models import TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from wealth.choices import CURRENCIES, AssetClass, RiskLevel


class AssetReviewQuerySet(CustomerChildQuerySet):
    pass


class AssetReview(TimeStampedModel):
    """One review of a customer's holdings on `reviewed_on`, with its totals frozen."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="asset_reviews"
    )
    reviewed_on = models.DateField(_("review date"))
    currency = models.CharField(_("reporting currency"), max_length=3, choices=CURRENCIES)
    assets = DecimalField(_("total assets"), max_digits=18, decimal_places=2)
    liabilities = DecimalField(_("liabilities"), max_digits=18, decimal_places=2)
    net_worth = DecimalField(_("net worth"), max_digits=18, decimal_places=2)
    # class → amount in `currency` (strings, exact); risk level → share of assets (strings, 0–1).
    by_class = models.JSONField(_("amount by class"), default=dict, blank=True)
    risk_mix = models.JSONField(_("risk mix"), default=dict, blank=True)
    # The customer's risk preference on the day (it may change later; the review shows the day's).
    risk_preference = models.CharField(_("risk preference"), max_length=20, blank=True, default="")
    notes = models.TextField(_("what was discussed"), blank=True, default="")
    next_steps = models.TextField(_("next steps"), blank=True, default="")
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = AssetReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        verbose_name = _("asset review")
        verbose_name_plural = _("asset reviews")
        indexes = [models.Index(fields=["customer", "-reviewed_on", "-id"], name="assetreview_customer")]

    def __str__(self) -> str:
        return str(_("Asset review of %(day)s") % {"day": self.reviewed_on})

    @property
    def audit_repr(self) -> str:
        """The name in the audit trail and the access log: the day, in no language (the type label,
        "Asset review", is shown next to it in the reader's)."""
        return self.reviewed_on.isoformat()

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("wealth:review_detail", args=[self.pk])


class AssetReviewLine(models.Model):
    """One holding as it was on the review's day (the holding may change or go later)."""

    review = models.ForeignKey(AssetReview, on_delete=models.CASCADE, related_name="lines")
    # The review's customer, repeated so that the lines are scoped like every customer record.
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    # The holding it was taken from; a plain id (not a key): the holding may be deleted, the line stays
    # and the next review matches lines by it.
    holding_id = models.BigIntegerField(_("holding"))
    asset_class = models.CharField(_("class"), max_length=20, choices=AssetClass.choices)
    product_name = models.CharField(_("product"), max_length=200)
    product_code = models.CharField(_("product code"), max_length=64, blank=True, default="")
    held_with_us = models.BooleanField(_("held with us"), default=True)
    institution = models.CharField(_("institution"), max_length=200, blank=True, default="")
    amount = DecimalField(_("amount / market value"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    converted_amount = DecimalField(_("amount in the reporting currency"), max_digits=18, decimal_places=2)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices, blank=True, default="")

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["asset_class", "product_name", "id"]
        verbose_name = _("review line")
        verbose_name_plural = _("review lines")
        indexes = [models.Index(fields=["review", "asset_class", "id"], name="reviewline_review")]

    def __str__(self) -> str:
        return f"{self.product_name} {self.amount} {self.currency}"


def _months_field(label: str, default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )


class ReviewCadence(models.Model):
    """The cadence rule (one row, pk 1): important customers every `important_months`, the others
    every `other_months`. Important = the manual flag, or an ABC tier in `important_tiers`, or a tag
    in `important_tags`."""

    important_months = _months_field(_("important customers: months between reviews"), 1)
    other_months = _months_field(_("other customers: months between reviews"), 3)
    important_tiers = models.CharField(
        _("important ABC tiers"), max_length=10, blank=True, default="A",
        help_text=_("Letters of the ABC tiers reviewed as important customers, e.g. A or AB."),
    )
    important_tags = models.ManyToManyField(
        "customers.Tag", verbose_name=_("important tags"), blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("review cadence")
        verbose_name_plural = _("review cadence")

    def __str__(self) -> str:
        return str(_("Review cadence"))


class ReviewSchedule(models.Model):
    """When a wealth customer's next review is due (stored, refreshed on each review and nightly)."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="review_schedule"
    )
    # The customer's owner, repeated for the home page's index (owner, due); refreshed nightly and
    # whenever the schedule is computed. Readers also check the customer's owner, so a stale copy
    # can hide a customer for at most a night, never show another owner's.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    important_flag = models.BooleanField(
        _("review as an important customer"), default=False,
        help_text=_("Reviewed at the important customers' cadence whatever the tier and tags."),
    )
    language = models.CharField(
        _("language of the review sheet"), max_length=10, blank=True, default="", choices=settings.LANGUAGES,
    )
    important = models.BooleanField(_("important"), default=False)
    interval_months = models.PositiveSmallIntegerField(_("months between reviews"), default=3)
    last_reviewed_on = models.DateField(_("last review"), null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), default=timezone.localdate)
    # Idempotence of the reminder: the due date it was sent (and the appointment made) for.
    reminded_for = models.DateField(null=True, blank=True, editable=False)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("review schedule")
        verbose_name_plural = _("review schedules")
        indexes = [
            models.Index(fields=["owner", "next_review_due"], name="reviewschedule_owner_due"),
            models.Index(fields=["next_review_due"], name="reviewschedule_due"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.next_review_due}"
