"""Insurance coverage (保障) of a customer's household: the policies, the annual incomes the
life-cover rule weighs them against, and the stored gap summary the call list reads.

The household is the customer and their family members (customers.FamilyMember, D1). A policy
insures one of them: `insured_member` is a family member, or empty for the customer themself."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.decimals import DecimalField, storable_digits_errors
from core.models import SoftDeleteModel, TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from wealth.choices import CURRENCIES


class PolicyType(models.TextChoices):
    LIFE = "life", _("Life")
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
    MEDICAL = "medical", _("Medical")
    ACCIDENT = "accident", _("Accident")
    PROPERTY = "property", _("Property")
    ANNUITY = "annuity", _("Annuity")


class PaymentMode(models.TextChoices):
    ANNUAL = "annual", _("Annual")
    SEMI_ANNUAL = "semi_annual", _("Semi-annual")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")
    SINGLE = "single", _("Single premium")


class PolicyStatus(models.TextChoices):
    """In force, premium overdue (in the grace period: still covers, but will lapse), lapsed, ended."""

    IN_FORCE = "in_force", _("In force")
    PREMIUM_DUE = "premium_due", _("Premium unpaid")
    LAPSED = "lapsed", _("Lapsed")
    ENDED = "ended", _("Ended")


PAYMENTS_PER_YEAR = {PaymentMode.ANNUAL: 1, PaymentMode.SEMI_ANNUAL: 2, PaymentMode.QUARTERLY: 4,
                     PaymentMode.MONTHLY: 12, PaymentMode.SINGLE: 0}

# Statuses under which a policy still covers its insured person.
COVERING_STATUSES = frozenset({PolicyStatus.IN_FORCE, PolicyStatus.PREMIUM_DUE})


class InsurancePolicyQuerySet(CustomerChildQuerySet):
    pass


class InsurancePolicy(TimeStampedModel, SoftDeleteModel):
    """One insurance policy held by a customer, insuring the customer or one of their family members."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="insurance_policies"
    )
    insurer = models.CharField(_("insurer"), max_length=200)
    policy_type = models.CharField(_("policy type"), max_length=20, choices=PolicyType.choices)
    product_name = models.CharField(_("product"), max_length=200, blank=True, default="")
    policy_number = models.CharField(_("policy number"), max_length=64, blank=True, default="")
    # Empty: the customer themself is insured. RESTRICT: a member who is insured cannot be erased on
    # their own (the policy would silently insure nobody), but goes with the customer's whole record.
    insured_member = models.ForeignKey(
        "customers.FamilyMember", verbose_name=_("insured family member"), null=True, blank=True,
        on_delete=models.RESTRICT, related_name="insurance_policies",
    )
    starts_on = models.DateField(_("start of term"))
    # Empty: whole of life.
    ends_on = models.DateField(_("end of term"), null=True, blank=True)
    sum_insured = DecimalField(_("sum insured"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)])
    premium = DecimalField(_("premium"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    payment_mode = models.CharField(_("payment mode"), max_length=20, choices=PaymentMode.choices,
                                    default=PaymentMode.ANNUAL)
    critical_illness_covered = models.BooleanField(_("critical illness covered"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.IN_FORCE)
    notes = models.CharField(_("notes"), max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = InsurancePolicyQuerySet.as_manager()

    class Meta:
        ordering = ["policy_type", "insurer", "id"]
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        indexes = [
            models.Index(fields=["customer", "policy_type", "id"], name="policy_customer_type"),
            models.Index(fields=["ends_on"], name="policy_ends_on"),
        ]

    def clean(self) -> None:
        super().clean()
        errors = storable_digits_errors(self, "sum_insured", "premium")
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            errors["ends_on"] = [_("The end of term must be after its start.")]
        if self.insured_member_id and self.customer_id:
            member = self.insured_member
            if member.customer_id != self.customer_id or member.deleted_at is not None:
                errors["insured_member"] = [_("The insured person must be a member of this customer's family.")]
        if self.policy_type == PolicyType.CRITICAL_ILLNESS:
            # A critical-illness policy covers critical illness by definition.
            self.critical_illness_covered = True
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return f"{self.insurer} {self.get_policy_type_display()} {self.policy_number}".strip()

    @property
    def annual_premium(self) -> Decimal:
        """The premium paid in a year by its payment mode (a single premium is paid once: 0 a year)."""
        return self.premium * PAYMENTS_PER_YEAR[self.payment_mode]


class MemberIncomeQuerySet(CustomerChildQuerySet):
    pass


class MemberIncome(TimeStampedModel):
    """The annual income of one person of a customer's household (the customer when `family_member`
    is empty). The customer card has no income field; the life-cover rule needs one, so the wealth
    desk keeps it here, entered on the household coverage page."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="member_incomes"
    )
    family_member = models.ForeignKey(
        "customers.FamilyMember", verbose_name=_("family member"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="incomes",
    )
    annual_income = DecimalField(_("annual income"), max_digits=18, decimal_places=2,
                                 validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = MemberIncomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual income")
        verbose_name_plural = _("annual incomes")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(family_member__isnull=True),
                                    name="member_income_customer_self"),
            models.UniqueConstraint(fields=["customer", "family_member"], name="member_income_customer_member"),
        ]

    def clean(self) -> None:
        super().clean()
        errors = storable_digits_errors(self, "annual_income")
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        # No amount: the audit trail and the access log name the record by this text, unmasked.
        return str(_("annual income"))


class CoverageGapSummaryQuerySet(CustomerChildQuerySet):
    pass


class CoverageGapSummary(models.Model):
    """The household's coverage gaps as last computed (wealth.coverage_gaps), one row per customer
    with at least one gap: the call list reads a page of these in one query. Refreshed when a policy,
    an income or a family member changes, and every night (terms running out move with the date)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="coverage_gap_summary"
    )
    # [{"rule": "no_critical_illness", "person": "张伟", "params": {...}}, …] in rule order.
    gaps = models.JSONField(default=list)
    gap_count = models.PositiveSmallIntegerField(default=0)
    computed_on = models.DateField()

    objects = CoverageGapSummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("coverage gap summary")
        verbose_name_plural = _("coverage gap summaries")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.gap_count}"


class PolicyEventKind(models.TextChoices):
    CREATED = "created", _("Policy recorded")
    CHANGED = "changed", _("Policy changed")
    LAPSED = "lapsed", _("Policy lapsed")
    DELETED = "deleted", _("Policy deleted")


class PolicyEventQuerySet(CustomerChildQuerySet):
    pass


class PolicyEvent(models.Model):
    """One change of a policy as the customer's timeline shows it (the audit trail keeps every field;
    this keeps what a relationship manager reads: recorded, changed, lapsed, deleted)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="policy_events")
    policy = models.ForeignKey(InsurancePolicy, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=PolicyEventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # The names of the fields a change touched (labels are rendered in the reader's language).
    fields = models.JSONField(default=list, blank=True)

    objects = PolicyEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy event")
        verbose_name_plural = _("policy events")
        indexes = [models.Index(fields=["customer", "-at", "-id"], name="policy_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.policy_id} {self.at:%Y-%m-%d}"
