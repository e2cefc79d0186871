"""Holdings (资产) of a customer and the FX rates that bring them into the customer's reporting
currency (`Customer.assets_currency`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.decimals import DecimalField, storable_digits_errors
from core.models import SoftDeleteModel, TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from wealth.choices import CURRENCIES, AssetClass, RiskLevel


class HoldingQuerySet(CustomerChildQuerySet):
    pass


class Holding(TimeStampedModel, SoftDeleteModel):
    """One position of a customer: a deposit, a fund, a loan (a liability) … with its value now.

    `amount` is the market value (for a loan: the outstanding balance, a positive number; the class
    makes it a liability). Totals, net worth and allocation are computed, never stored here."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="holdings"
    )
    asset_class = models.CharField(_("class"), max_length=20, choices=AssetClass.choices)
    product_name = models.CharField(_("product"), max_length=200)
    product_code = models.CharField(_("product code"), max_length=64, blank=True, default="")
    # Ours (held with us) or another institution's, named.
    held_with_us = models.BooleanField(_("held with us"), default=True)
    institution = models.CharField(_("institution"), max_length=200, blank=True, default="")
    amount = DecimalField(
        _("amount / market value"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    started_on = models.DateField(_("start date"), null=True, blank=True)
    matures_on = models.DateField(_("maturity"), null=True, blank=True, db_index=True)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices, blank=True, default="")
    notes = models.CharField(_("notes"), max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        ordering = ["asset_class", "product_name", "id"]
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        indexes = [models.Index(fields=["customer", "asset_class", "id"], name="holding_customer_class")]

    def clean(self) -> None:
        super().clean()
        errors = storable_digits_errors(self, "amount")
        if self.started_on and self.matures_on and self.matures_on < self.started_on:
            errors["matures_on"] = [_("The maturity cannot be before the start date.")]
        if not self.held_with_us and not self.institution.strip():
            errors["institution"] = [_("Name the institution that holds it.")]
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        # No amount: the name shows in the audit trail and in questions to roles that see amounts masked.
        return self.product_name


class FxRate(models.Model):
    """How many units of `quote` one unit of `base` buys, valid from `valid_from` until the next rate
    of the pair. Stored (entered by an administrator or imported), never fetched at run time."""

    base = models.CharField(_("from currency"), max_length=3, choices=CURRENCIES)
    quote = models.CharField(_("to currency"), max_length=3, choices=CURRENCIES)
    rate = DecimalField(_("rate"), max_digits=18, decimal_places=8, validators=[MinValueValidator(0)])
    valid_from = models.DateField(_("valid from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "-valid_from"]
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        constraints = [
            models.UniqueConstraint(fields=["base", "quote", "valid_from"], name="fxrate_pair_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.valid_from})"

    def clean(self) -> None:
        super().clean()
        if self.base and self.base == self.quote:
            raise ValidationError({"quote": _("Choose two different currencies.")})
