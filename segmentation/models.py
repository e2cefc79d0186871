"""Segmentation (D4): every customer in exactly one class of every scheme.

- SegmentationSettings: the thresholds of the computed schemes (one row, edited by administrators).
- CustomerSegment: one row per customer with the current class of each computed scheme and the
  figures behind it (profit, R/F/M …), rewritten set-based by `kehu segments refresh`.
- LifecycleTransition: every change of lifecycle stage (date, from, to, cause), so flows can be counted.
- LifecycleMark: what users mark by hand (target, non-customer, churned with its reason).
- Scheme / SchemeClass: every scheme and its classes — computed, manual (set by users, with
  history in SchemeAssignment) and rule-based (user-defined: ordered saved filters, first match wins,
  catch-all last; memberships in SchemeMembership). Each class can have a responsible manager.
- SavedSegment: a named dynamic filter over customer fields, classes and scores, shared with a team.

The rows that belong to a customer are seen by whoever may see the customer: users read them through
`objects.restrict(user, action)`; the refreshes and services write through `objects` as before.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from segmentation.choices import (
    AbcTier,
    ChurnReason,
    LifecycleMarkKind,
    LifecycleStage,
    Loyalty,
    RfmSegment,
    SchemeKind,
    ValueClass,
)

_share = [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))]


class SegmentationSettings(models.Model):
    """Thresholds of the computed schemes; one row (pk=1). Defaults are the documented contract."""

    window_days = models.PositiveIntegerField(_("window (days)"), default=365, validators=[MinValueValidator(30)])
    abc_a_cumulative_share = models.DecimalField(
        _("A while cumulative profit before the customer is below"), max_digits=4, decimal_places=2,
        default=Decimal("0.50"), validators=_share)
    abc_b_cumulative_share = models.DecimalField(
        _("B while cumulative profit before the customer is below"), max_digits=4, decimal_places=2,
        default=Decimal("0.80"), validators=_share)
    loyal_min_orders = models.PositiveIntegerField(_("loyal: at least this many orders"), default=4)
    loyal_periods = models.PositiveIntegerField(_("loyal: periods looked at"), default=4,
                                                validators=[MinValueValidator(1)])
    loyal_min_periods = models.PositiveIntegerField(_("loyal: periods with a purchase"), default=3,
                                                    validators=[MinValueValidator(1)])
    period_days = models.PositiveIntegerField(_("period length (days)"), default=91, validators=[MinValueValidator(7)])
    lost_after_days = models.PositiveIntegerField(_("lost after days without an order"), default=365,
                                                  validators=[MinValueValidator(30)])
    non_customer_after_days = models.PositiveIntegerField(_("non-customer after days lost"), default=730,
                                                          validators=[MinValueValidator(30)])
    share_of_wallet_threshold = models.DecimalField(
        _("old (not loyal) below this share of wallet"), max_digits=4, decimal_places=2, default=Decimal("0.50"),
        validators=_share)
    value_current_percentile = models.PositiveIntegerField(
        _("value matrix: high current value from percentile"), default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    value_potential_percentile = models.PositiveIntegerField(
        _("value matrix: high potential from percentile"), default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Written by each refresh, not by users: the provider that supplied the value matrix's potential
    # (segmentation/potential.py; "trend" when none was available). Empty before the first refresh.
    value_potential_source = models.CharField(_("value matrix: potential from (last refresh)"), max_length=32,
                                              blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("segmentation settings")
        verbose_name_plural = _("segmentation settings")

    def __str__(self) -> str:
        return str(_("segmentation settings"))


class CustomerSegment(models.Model):
    """The current class of every computed scheme for one customer, and the figures behind it.
    Written only by the refresh (set-based); read by lists, the card, exports and saved segments."""

    customer = models.OneToOneField("customers.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="segment")
    as_of = models.DateField(_("as of"))
    # ABC
    revenue = models.DecimalField(_("revenue in the window"), max_digits=16, decimal_places=2, default=0)
    margin = models.DecimalField(_("margin in the window"), max_digits=16, decimal_places=2, default=0)
    cost_to_serve = models.DecimalField(_("cost to serve in the window"), max_digits=16, decimal_places=2, default=0)
    profit = models.DecimalField(_("profit in the window"), max_digits=16, decimal_places=2, default=0)
    profit_rank = models.PositiveIntegerField(_("profit rank"), null=True, blank=True)
    abc_tier = models.CharField(_("ABC tier"), max_length=1, choices=AbcTier.choices)
    loss_making = models.BooleanField(_("loss-making"), default=False)
    # RFM (null when no completed order in the window)
    recency_days = models.PositiveIntegerField(_("days since last order"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("orders in the window"), default=0)
    monetary = models.DecimalField(_("revenue in the window (M)"), max_digits=16, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    # Lifecycle, loyalty, value matrix
    orders_total = models.PositiveIntegerField(_("completed orders, all time"), default=0)
    first_order_on = models.DateField(_("first order"), null=True, blank=True)
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=16, choices=LifecycleStage.choices)
    lifecycle_since = models.DateField(_("in this stage since"), null=True, blank=True)
    loyalty = models.CharField(_("loyalty"), max_length=12, choices=Loyalty.choices)
    current_value = models.DecimalField(_("current value"), max_digits=16, decimal_places=2, default=0)
    potential_value = models.DecimalField(_("potential value"), max_digits=16, decimal_places=2, default=0)
    value_class = models.CharField(_("value matrix class"), max_length=12, choices=ValueClass.choices)
    refreshed_at = models.DateTimeField(_("refreshed"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        indexes = [
            models.Index(fields=["abc_tier", "customer"], name="segment_abc"),
            models.Index(fields=["rfm_segment", "customer"], name="segment_rfm"),
            models.Index(fields=["lifecycle_stage", "customer"], name="segment_lifecycle"),
            models.Index(fields=["loyalty", "customer"], name="segment_loyalty"),
            models.Index(fields=["value_class", "customer"], name="segment_value"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.abc_tier} {self.rfm_segment} {self.lifecycle_stage}"


class LifecycleTransition(models.Model):
    """One change of a customer's lifecycle stage, with its date and cause."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="lifecycle_transitions")
    on = models.DateField(_("date"))
    from_stage = models.CharField(_("from"), max_length=16, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=LifecycleStage.choices)
    cause = models.CharField(_("cause"), max_length=32)  # a key documented in docs/segmentation.md
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("lifecycle transition")
        verbose_name_plural = _("lifecycle transitions")
        indexes = [
            models.Index(fields=["customer", "on", "id"], name="lifecycle_customer_on"),
            models.Index(fields=["on", "to_stage"], name="lifecycle_on_to"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.on}: {self.from_stage or '∅'} → {self.to_stage}"


class LifecycleMark(models.Model):
    """A user's mark on a customer (target, non-customer, churned with its reason); the current mark is
    the latest one not cleared. Marks are never edited: a new mark or a clearing date records the change."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="lifecycle_marks")
    kind = models.CharField(_("mark"), max_length=16, choices=LifecycleMarkKind.choices)
    marked_on = models.DateField(_("marked on"))
    churn_reason = models.CharField(_("churn reason"), max_length=16, choices=ChurnReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-marked_on", "-id"]
        verbose_name = _("lifecycle mark")
        verbose_name_plural = _("lifecycle marks")
        indexes = [models.Index(fields=["customer", "cleared_on", "marked_on"], name="lifecyclemark_current")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.marked_on}"


class Scheme(TimeStampedModel):
    """A segmentation scheme: computed by kehu, set by users (manual), or user-defined rules."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=SchemeKind.choices)
    built_in = models.BooleanField(_("built in"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("segmentation scheme")
        verbose_name_plural = _("segmentation schemes")

    def __str__(self) -> str:
        return self.name


class SchemeClass(models.Model):
    """A class of a scheme. For rule schemes `rules` is a saved filter (segmentation/filters.py),
    evaluated in `position` order, first match wins; exactly one class is the catch-all."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="classes")
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    is_catch_all = models.BooleanField(_("catch-all"), default=False)
    suggested_action = models.TextField(_("suggested action"), blank=True)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible manager"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="managed_segment_classes")
    # Who may read `rules`: a rule scheme's class copies the filter of a saved segment, and with it
    # the segment's privacy (docs/segmentation.md). Private unless the segment was shared with
    # everyone; then readable by its creator, the team it was shared with and administrators. The
    # class's name and members stay visible to all, as for every scheme.
    rules_private = models.BooleanField(_("filter not shared with everyone"), default=False)
    rules_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filter created by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    rules_team = models.ForeignKey("accounts.Team", verbose_name=_("filter shared with team"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["scheme", "position", "id"]
        verbose_name = _("scheme class")
        verbose_name_plural = _("scheme classes")
        constraints = [models.UniqueConstraint(fields=["scheme", "key"], name="schemeclass_unique_key")]

    def __str__(self) -> str:
        return self.name


class SchemeAssignment(models.Model):
    """A user's assignment of a customer to a class of a manual scheme. History is append-only: the
    current assignment has ended_at NULL (at most one per customer and scheme); customers without
    one are in the scheme's catch-all class ("not set")."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="scheme_assignments")
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="assignments")
    scheme_class = models.ForeignKey(SchemeClass, on_delete=models.PROTECT, related_name="assignments")
    note = models.TextField(_("note"), blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = _("scheme assignment")
        verbose_name_plural = _("scheme assignments")
        constraints = [
            models.UniqueConstraint(fields=["customer", "scheme"], condition=models.Q(ended_at__isnull=True),
                                    name="schemeassignment_one_current"),
        ]
        indexes = [models.Index(fields=["scheme", "scheme_class", "ended_at"], name="schemeassignment_class")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.scheme_class_id}"


class SchemeMembership(models.Model):
    """The class of a rule scheme a customer fell into at the last refresh (first matching rule)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="scheme_memberships")
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="memberships")
    scheme_class = models.ForeignKey(SchemeClass, on_delete=models.CASCADE, related_name="memberships")
    refreshed_at = models.DateTimeField(_("refreshed"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheme membership")
        verbose_name_plural = _("scheme memberships")
        constraints = [models.UniqueConstraint(fields=["scheme", "customer"], name="schememembership_unique")]
        indexes = [models.Index(fields=["scheme_class", "customer"], name="schememembership_class")]

    def __str__(self) -> str:
        return f"{self.customer_id} ∈ {self.scheme_class_id}"


class SavedSegment(TimeStampedModel):
    """A named dynamic segment: a filter (segmentation/filters.py) over customer fields, scheme classes
    and scores. Members are evaluated live through the viewer's permission-scoped queryset, so a
    shared segment never shows anyone a customer they may not see."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"), default=list)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                              related_name="saved_segments")
    shared_with_team = models.ForeignKey("accounts.Team", verbose_name=_("shared with team"), null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="saved_segments")
    # Shared with every user (each still sees only the members in their own scope).
    shared_with_all = models.BooleanField(_("shared with everyone"), default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")

    def __str__(self) -> str:
        return self.name
