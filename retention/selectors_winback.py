"""Reads of the win-back part: the lost customers (with their reason class and since when), the
"reason unknown" queue, campaigns and their attempts, and the rates (docs/retention.md).

Every read is scoped: customers through `.restrict(user, action)`, campaigns likewise."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from commerce.choices import OrderStatus
from commerce.models import Order
from core import timeline as t
from core.pagination import KeysetPage, keyset_page
from customers.models import Customer
from interactions.models import Interaction
from retention.models import WinbackAttempt, WinbackCampaign
from retention.models.winback import UNKNOWN_REASON, AttemptOutcome, AttemptStatus
from segmentation.choices import ChurnReason, LifecycleMarkKind, LifecycleStage
from segmentation.models import CustomerSegment, LifecycleMark
from segmentation.refresh import business_zone

# The rates the sources cite (客户流失管理): 1 in 4 lost customers won back, 1 in 16 prospects won.
REFERENCE_WINBACK = Decimal("0.25")
REFERENCE_PROSPECT = Decimal("0.0625")
REASON_KEYS: list[str] = [*ChurnReason.values, UNKNOWN_REASON]


def reason_label(key: str) -> str:
    from django.utils.translation import gettext as _

    return str(ChurnReason(key).label) if key in ChurnReason.values else _("Reason unknown")


def _mark_in_force() -> QuerySet:
    return (LifecycleMark.objects.filter(customer_id=OuterRef("customer_id"), kind=LifecycleMarkKind.CHURNED,
                                         cleared_on__isnull=True).order_by("-marked_on", "-id"))


def lost_customers(user: Any, action: str = "view") -> Any:  # QuerySet[CustomerSegment], annotated
    """Segment rows of the lost customers the user may `action`, annotated with `mark_day`,
    `reason` (a ChurnReason, or "unknown") and `lost_since`.

    Lost = lost at the last refresh of the segments, or marked churned since (the mark in force and
    no purchase after its day: the next refresh will say lost). The reason is the churn mark's when
    the mark was set on or after the day the loss began; a mark from an earlier loss (the customer
    came back and left again) does not explain this one."""
    marks = _mark_in_force()
    qs = (CustomerSegment.objects.restrict(user, action)
          .annotate(mark_day=Subquery(marks.values("marked_on")[:1], output_field=DateField()),
                    mark_reason=Subquery(marks.values("churn_reason")[:1], output_field=CharField()))
          .filter(Q(lifecycle_stage=LifecycleStage.LOST)
                  | Q(mark_day__isnull=False, last_order_on__isnull=False, last_order_on__lte=F("mark_day"))))
    lost = Q(lifecycle_stage=LifecycleStage.LOST)
    return qs.annotate(
        lost_since=Case(When(lost, then=F("lifecycle_since")), default=F("mark_day"), output_field=DateField()),
        reason=Case(
            When(Q(mark_day__isnull=False) & (~lost | Q(mark_day__gte=F("lifecycle_since"))), then=F("mark_reason")),
            default=Value(UNKNOWN_REASON), output_field=CharField()),
    )


def reason_unknown(user: Any, *, mine: bool = True) -> Any:  # QuerySet[CustomerSegment], annotated
    """The implicit churners without a reason: the user's own customers (mine), or every one the
    user may change (a manager's view of the team's queue)."""
    qs = lost_customers(user, "change" if not mine else "view").filter(reason=UNKNOWN_REASON)
    return qs.filter(customer__owner=user) if mine else qs


def reason_unknown_count(user: Any) -> int:
    return reason_unknown(user, mine=True).count()


def reason_unknown_page(user: Any, *, mine: bool = True, cursor: str | None = None, size: int = 50) -> KeysetPage:
    qs = (reason_unknown(user, mine=mine).select_related("customer", "customer__owner")
          .only("customer_id", "lifecycle_since", "last_order_on", "orders_total", "lifecycle_stage",
                "customer__name", "customer__owner__first_name", "customer__owner__last_name",
                "customer__owner__username", "customer__owner__id"))
    return keyset_page(qs, ordering=["-lifecycle_since", "-pk"], cursor=cursor, size=size)


def in_reason_unknown(customer_id: int, user: Any) -> Any:
    """The customer's row in the queue (lost, reason unknown), or None."""
    return reason_unknown(user, mine=False).filter(customer_id=customer_id).first()


def margin_of_purchases() -> Subquery:
    """The margin of all the customer's paid orders (set-based: one correlated sum per lost customer;
    a lost customer bought nothing recently, so this is what their purchases were worth)."""
    return Subquery(
        Order.objects.filter(customer_id=OuterRef("customer_id"), status=OrderStatus.PAID, deleted_at__isnull=True)
        .order_by().values("customer_id").annotate(total=Sum("margin")).values("total")[:1],
        output_field=DecimalField(max_digits=16, decimal_places=2))


# --- campaigns --------------------------------------------------------------------------------

def campaigns(user: Any) -> QuerySet[WinbackCampaign]:
    return WinbackCampaign.objects.restrict(user, "view").select_related("created_by")


def campaign_get(user: Any, campaign_id: int) -> WinbackCampaign:
    """The campaign if the user may see it (WinbackCampaign.DoesNotExist otherwise)."""
    return campaigns(user).get(pk=campaign_id)


def campaign_counts(user: Any, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per campaign: customers attempted and won back, among the customers the user sees (one query)."""
    rows = (WinbackAttempt.objects.restrict(user, "view").filter(campaign_id__in=campaign_ids)
            .values("campaign_id")
            .annotate(attempted=Count("customer_id", distinct=True, filter=Q(status=AttemptStatus.SENT)),
                      won=Count("customer_id", distinct=True, filter=Q(outcome=AttemptOutcome.WON_BACK)))
            .order_by())
    return {r["campaign_id"]: {"attempted": r["attempted"], "won": r["won"]} for r in rows}


def attempts_page(user: Any, campaign: WinbackCampaign, *, cursor: str | None = None, size: int = 50) -> KeysetPage:
    qs = (WinbackAttempt.objects.restrict(user, "view").filter(campaign=campaign)
          .select_related("customer", "customer__owner", "task"))
    return keyset_page(qs, ordering=["id"], cursor=cursor, size=size)


# --- rates ------------------------------------------------------------------------------------

@dataclass
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        return (Decimal(self.numerator) / Decimal(self.denominator)) if self.denominator else None

    @property
    def percent(self) -> str:
        v = self.value
        return "–" if v is None else f"{(v * 100).quantize(Decimal('0.1'))} %"


@dataclass
class Rates:
    start: date
    end: date
    winback: Rate
    prospect: Rate
    by_reason: list[tuple[str, str, Rate]]  # (key, label, rate) for every reason class with attempts
    reference_winback: Decimal = REFERENCE_WINBACK
    reference_prospect: Decimal = REFERENCE_PROSPECT


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=business_zone())


def winback_rates(user: Any, *, start: date, end: date) -> tuple[Rate, list[tuple[str, str, Rate]]]:
    """Won back ÷ attempted: the customers with an attempt sent from `start` to `end` (days,
    inclusive), and those of them whose attempt there was credited with their win-back. By the reason
    class the attempt was made for. One query."""
    rows = (WinbackAttempt.objects.restrict(user, "view")
            .filter(status=AttemptStatus.SENT, sent_on__gte=start, sent_on__lte=end)
            .values("reason")
            .annotate(attempted=Count("customer_id", distinct=True),
                      won=Count("customer_id", distinct=True, filter=Q(outcome=AttemptOutcome.WON_BACK)))
            .order_by())
    found = {r["reason"]: Rate(r["won"], r["attempted"]) for r in rows}
    by_reason = [(k, reason_label(k), found[k]) for k in REASON_KEYS if k in found]
    total = (WinbackAttempt.objects.restrict(user, "view")
             .filter(status=AttemptStatus.SENT, sent_on__gte=start, sent_on__lte=end)
             .aggregate(attempted=Count("customer_id", distinct=True),
                        won=Count("customer_id", distinct=True, filter=Q(outcome=AttemptOutcome.WON_BACK))))
    return Rate(total["won"], total["attempted"]), by_reason


def prospect_rate(user: Any, *, start: date, end: date) -> Rate:
    """New-prospect conversion: of the customers contacted (an interaction) from `start` to `end`
    who had not bought before the period (potential or target customers of the lifecycle scheme at
    its start), those whose first paid order came on or after their first contact in the period and
    by its end. One query."""
    lo, hi = _moment(start), _moment(end + timedelta(days=1))
    paid = Order.objects.filter(customer_id=OuterRef("pk"), status=OrderStatus.PAID, deleted_at__isnull=True)
    in_period = Interaction.objects.filter(deleted_at__isnull=True, occurred_at__gte=lo, occurred_at__lt=hi)
    first_contact = (in_period.filter(customer_id=OuterRef("pk"))
                     .order_by().values("customer_id").annotate(first=Min("occurred_at")).values("first")[:1])
    first_paid = paid.order_by().values("customer_id").annotate(first=Min("ordered_at")).values("first")[:1]
    # Driven by the period's interactions (a semi-join), not by every customer.
    qs = (Customer.objects.restrict(user, "view")
          .filter(pk__in=in_period.values("customer_id"))
          .annotate(first_contact=Subquery(first_contact))
          .exclude(Exists(paid.filter(ordered_at__lt=lo)))
          .annotate(first_paid=Subquery(first_paid)))
    totals = qs.aggregate(contacted=Count("pk"), converted=Count("pk", filter=Q(
        first_paid__gte=F("first_contact"), first_paid__lt=hi)))
    return Rate(totals["converted"], totals["contacted"])


def rates(user: Any, *, start: date, end: date) -> Rates:
    winback, by_reason = winback_rates(user, start=start, end=end)
    return Rates(start=start, end=end, winback=winback, prospect=prospect_rate(user, start=start, end=end),
                 by_reason=by_reason)


def value_annotation(basis: str) -> Any:
    """The value the campaign filter compares: CLV (insights) or the margin of all purchases."""
    from insights.models import CustomerScore

    if basis == "clv":
        return Coalesce(Subquery(CustomerScore.objects.filter(customer_id=OuterRef("customer_id")).values("clv")[:1]),
                        Value(0.0))
    return Coalesce(margin_of_purchases(), Value(Decimal("0")), output_field=DecimalField(max_digits=16,
                                                                                        decimal_places=2))


# --- timeline ---------------------------------------------------------------------------------

@t.timeline_provider(kinds={"winback": gettext_lazy("Win-back attempts")})
def attempt_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: t.TimelineCursor | None,
                     limit: int) -> list[t.TimelineEntry]:
    """The customer's win-back attempts and their outcomes, newest first (one query on the
    (customer, sent_on) index's table)."""
    from django.utils.translation import gettext as _

    if not t.wants(["winback"], kinds):
        return []
    rows = (WinbackAttempt.objects.restrict(user, "view").filter(customer_id=customer_id)
            .filter(t.before_q(field_name="sent_at", kind="winback", before=before))
            .select_related("campaign").order_by("-sent_at", "-id")
            .only("id", "sent_at", "channel", "status", "outcome", "reason", "note", "won_back_on", "campaign__id",
                  "campaign__name"))[:limit]
    channel, status = t.choice_labels(WinbackAttempt, "channel"), t.choice_labels(WinbackAttempt, "status")
    won = _("Won back")
    out = []
    for a in rows:
        detail = _("Reason class: %(reason)s") % {"reason": reason_label(a.reason)}
        if a.note:
            detail = f"{detail} — {a.note}"
        if a.won_back_on:
            detail = f"{detail} — " + _("won back on %(day)s") % {"day": a.won_back_on.isoformat()}
        badge, badge_class = ((won, "ok") if a.outcome == AttemptOutcome.WON_BACK
                              else (status(a.status), "warn" if a.status == AttemptStatus.SKIPPED else ""))
        out.append(t.TimelineEntry(
            kind="winback", kind_label=channel(a.channel), at=a.sent_at, pk=a.pk,
            title=_("Win-back: %(campaign)s") % {"campaign": a.campaign.name},
            detail=detail, url=t.url_of("retention:winback_campaign")(a.campaign_id), badge=badge,
            badge_class=badge_class))
    return out


@t.timeline_provider(kinds={"loss": gettext_lazy("Losses (churn)")})
def loss_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: t.TimelineCursor | None,
                  limit: int) -> list[t.TimelineEntry]:
    """The customer's recorded losses (reason class, competitor), newest first (one query)."""
    from django.utils.translation import gettext as _

    from retention.models import LossRecord

    if not t.wants(["loss"], kinds):
        return []
    rows = (LossRecord.objects.restrict(user, "view").filter(customer_id=customer_id)
            .filter(t.before_q(field_name="recorded_at", kind="loss", before=before))
            .select_related("mark", "recorded_by").order_by("-recorded_at", "-id")
            .only("id", "recorded_at", "lost_on", "competitor", "mark__churn_reason", "mark__note",
                  *t.person_fields("recorded_by")))[:limit]
    out = []
    for r in rows:
        detail = r.mark.note
        if r.competitor:
            detail = (f"{detail} — " if detail else "") + _("went to %(competitor)s") % {"competitor": r.competitor}
        out.append(t.TimelineEntry(
            kind="loss", kind_label=_("Lost"), at=r.recorded_at, pk=r.pk,
            title=_("Lost: %(reason)s") % {"reason": reason_label(r.mark.churn_reason)}, detail=detail,
            actor=str(r.recorded_by or ""), badge=_("since %(day)s") % {"day": r.lost_on.isoformat()},
            badge_class="bad"))
    return out
