"""Complaints and service recovery (D6): the complaint, each step it went through, compensation
approvals, the compensation limit of each role, and the stored anticipation flag."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.models import SoftDeleteModel, TimeStampedModel
from core.querysets import RestrictedQuerySet
from customers.querysets import CustomerChildQuerySet, customer_permits, customer_scope
from service.choices import Severity
from service.complaint_workflow import ComplaintState

ZERO = Decimal("0")


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("In person")
    WEB = "web", _("Web form")
    LETTER = "letter", _("Letter")
    SOCIAL = "social", _("Social media")


class ComplaintCategory(models.TextChoices):
    PRODUCT = "product", _("Product quality")
    DELIVERY = "delivery", _("Delivery")
    BILLING = "billing", _("Billing and fees")
    ATTITUDE = "attitude", _("Staff attitude")
    ADVICE = "advice", _("Advice given")
    WAITING = "waiting", _("Waiting time")
    OTHER = "other", _("Other")


class RecoveryAction(models.TextChoices):
    FIX = "fix", _("Fix")
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")
    COMPENSATION = "compensation", _("Compensation")
    APOLOGY = "apology", _("Apology")


class CustomerReaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class RootCause(models.TextChoices):
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    PROCESS = "process", _("Process gap")
    STAFF = "staff", _("Staff error")
    COMMUNICATION = "communication", _("Communication")
    SUPPLIER = "supplier", _("Supplier or partner")
    EXPECTATION = "expectation", _("Customer expectation")
    OTHER = "other", _("Other")


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class ComplaintQuerySet(CustomerChildQuerySet):
    def open(self) -> ComplaintQuerySet:
        from service.complaint_workflow import OPEN_STATES

        return self.filter(state__in=OPEN_STATES)


def _money(verbose: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=14, decimal_places=2, **kwargs)


class Complaint(TimeStampedModel, SoftDeleteModel):
    """One complaint of a customer, from receipt to close (a gift: recorded, acknowledged fast, learnt from)."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="complaints")
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    category = models.CharField(_("category"), max_length=20, choices=ComplaintCategory.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    order = models.ForeignKey("commerce.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("commerce.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(_("what happened"))
    wanted = models.TextField(_("what the customer really wants"), blank=True, default="")
    state = models.CharField(_("state"), max_length=20, choices=ComplaintState.choices,
                             default=ComplaintState.RECEIVED)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Business minutes (service.sla.business_minutes_between) from receipt to acknowledgement and to
    # resolution, stored when the step is taken so that the analysis averages them in SQL.
    minutes_to_acknowledge = models.PositiveIntegerField(_("minutes to acknowledge"), null=True, blank=True)
    minutes_to_resolve = models.PositiveIntegerField(_("minutes to resolve"), null=True, blank=True)
    recovery_action = models.CharField(_("recovery action"), max_length=20, choices=RecoveryAction.choices,
                                       blank=True, default="")
    compensation = _money(_("compensation granted"), null=True, blank=True, validators=[MinValueValidator(ZERO)])
    reaction = models.CharField(_("customer's reaction"), max_length=20, choices=CustomerReaction.choices,
                                blank=True, default="")
    reaction_note = models.CharField(_("how the customer felt"), max_length=500, blank=True, default="")
    root_cause = models.CharField(_("root cause"), max_length=20, choices=RootCause.choices, blank=True, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    interaction = models.ForeignKey("interactions.Interaction", verbose_name=_("interaction"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # When the warning before a breach is due (a share of the SLA's business time, set with the
    # deadlines), and the SLA alarms sent — each once: the warning and the escalation at the breach.
    ack_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    ack_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    ack_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["customer", "received_at", "id"], name="complaint_customer_time"),
            models.Index(fields=["state", "severity", "received_at", "id"], name="complaint_state_severity"),
            models.Index(fields=["severity", "received_at", "id"], name="complaint_severity_time"),
            models.Index(fields=["received_at", "id"], name="complaint_time"),
            models.Index(fields=["owner", "state"], name="complaint_owner_state"),
            models.Index(fields=["acknowledge_by"], name="complaint_ack_due",
                         condition=Q(acknowledged_at__isnull=True, deleted_at__isnull=True)),
            models.Index(fields=["resolve_by"], name="complaint_resolve_due",
                         condition=Q(resolved_at__isnull=True, deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return _("Complaint %(number)s") % {"number": self.pk or "—"}

    @property
    def due_at(self) -> Any:
        """The deadline that runs now: acknowledge before acknowledgement, resolve until resolved."""
        if self.acknowledged_at is None:
            return self.acknowledge_by
        return self.resolve_by if self.resolved_at is None else None

    @property
    def is_overdue(self) -> bool:
        due = self.due_at
        return due is not None and due < timezone.now()


class _ThroughComplaintQuerySet(RestrictedQuerySet):
    """Rows that belong to a complaint: scoped through the complaint's customer."""

    def permits(self, user: Any, action: str) -> bool:
        return customer_permits(user, action)

    def scope(self, user: Any, action: str) -> Q:
        return (customer_scope(user, action, prefix="complaint__customer__")
                & Q(complaint__customer__deleted_at__isnull=True, complaint__deleted_at__isnull=True))


class ComplaintStep(models.Model):
    """One state change of a complaint: from, to, who, when, and why."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(_("from"), max_length=20, choices=ComplaintState.choices, blank=True, default="")
    to_state = models.CharField(_("to"), max_length=20, choices=ComplaintState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=1000, blank=True, default="")

    objects = _ThroughComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        indexes = [models.Index(fields=["complaint", "at", "id"], name="complaint_step_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_state} → {self.to_state}"


class CompensationApproval(models.Model):
    """A compensation above the requester's limit, waiting for (or decided by) a manager."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="approvals")
    amount = _money(_("requested amount"), validators=[MinValueValidator(ZERO)])
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=ApprovalDecision.choices,
                                default=ApprovalDecision.PENDING)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True, default="")

    objects = _ThroughComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("compensation approval")
        verbose_name_plural = _("compensation approvals")
        indexes = [models.Index(fields=["decision", "requested_at"], name="compensation_pending")]

    def __str__(self) -> str:
        return _("Compensation %(amount)s for complaint %(number)s") % {"amount": self.amount,
                                                                        "number": self.complaint_id}


class CompensationLimit(models.Model):
    """How much compensation a user of a role may grant at once (an administrator sets it)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    limit = _money(_("limit"), validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = _("compensation limit")
        verbose_name_plural = _("compensation limits")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.limit}"


class FailureFlag(models.Model):
    """A customer with a recent failure (service.anticipation sources), stored so that lists of a
    million customers join one small table instead of asking every source per row. Refreshed by the
    nightly job and on each complaint's write."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, primary_key=True,
                                    related_name="+")
    sources = models.CharField(max_length=200)  # the FailureSource keys, comma-separated
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = CustomerChildQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.sources}"
