"""Reads of asset reviews: a customer's reviews, one review with its changes and charts, the reviews
due of an owner. Every read is scoped (`restrict(user, "view")`); amounts are masked for the roles
that see assets masked (core.masking, registered in wealth/registrations/reviews.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import masking
from wealth.choices import LIABILITY_CLASSES, AssetClass, RiskLevel
from wealth.fx import rate_table_on
from wealth.models import AssetReview, AssetReviewLine, ReviewSchedule
from wealth.review_changes import Line, LineChange, TotalsChange, line_changes, totals_change
from wealth.review_rules import RiskFit, risk_fit
from wealth.valuation import MissingRate, RateTable

DUE_SHOWN = 10


def amounts_masked(user: Any) -> bool:
    """Whether `user` sees the review's amounts masked (the same rule as the holdings' amounts)."""
    return masking.masks(user, AssetReviewLine, "amount")


def reviews_of(*, user: User, customer_id: int) -> QuerySet[AssetReview]:
    """The customer's reviews the user may see, newest first."""
    return (AssetReview.objects.restrict(user, "view").filter(customer_id=customer_id)
            .select_related("created_by").order_by("-reviewed_on", "-id"))


def review_read(user: User, pk: int) -> AssetReview:
    """One review with its customer (DoesNotExist outside the user's scope)."""
    return AssetReview.objects.restrict(user, "view").select_related("customer", "created_by").get(pk=pk)


def _line(row: AssetReviewLine) -> Line:
    return Line(row.holding_id, row.asset_class, row.amount, row.currency, row.converted_amount)


@dataclass
class ReviewPage:
    review: AssetReview
    previous: AssetReview | None
    rows: list[tuple[AssetReviewLine | None, LineChange]]  # current line (None when closed), change
    totals: TotalsChange | None
    risk: RiskFit
    allocation: list[dict[str, Any]]  # pie: [{"name", "value", "share"}], assets only
    history: list[dict[str, Any]]  # bar: [{"day", "assets", "id"}], oldest first, in the review's currency
    risk_mix: list[dict[str, Any]]
    masked: bool
    notes: list[str] = field(default_factory=list)  # why a figure could not be given

    def chart_data(self) -> dict[str, Any]:
        """What the page's charts draw (json_script); empty series when the amounts are masked."""
        if self.masked:
            return {"masked": True, "allocation": [], "history": [], "currency": self.review.currency}
        return {
            "masked": False, "currency": self.review.currency,
            "allocationTitle": _("Allocation by class"), "historyTitle": _("Total assets"),
            "allocation": [{"name": a["name"], "value": float(a["value"])} for a in self.allocation],
            "history": [{"day": h["day"].isoformat(), "value": float(h["assets"]), "current": h["current"]}
                        for h in self.history],
        }


def review_page(*, user: User, review: AssetReview) -> ReviewPage:
    """The review with each line's change since the previous review, the totals' change, the risk
    fit and the charts' data (a fixed number of queries: lines, previous review and its lines,
    history; plus the rates when the reporting currency changed between reviews)."""
    lines = list(AssetReviewLine.objects.filter(review_id=review.pk).order_by("asset_class", "product_name", "id"))
    history_rows = list(AssetReview.objects.filter(customer_id=review.customer_id).order_by("reviewed_on", "id")
                        .values_list("pk", "reviewed_on", "currency", "assets", "liabilities"))
    earlier = [row for row in history_rows if (row[1], row[0]) < (review.reviewed_on, review.pk)]
    previous = None
    previous_lines: list[Line] = []
    notes: list[str] = []
    if earlier:
        previous = AssetReview.objects.get(pk=earlier[-1][0])
        previous_lines = [Line(*row) for row in AssetReviewLine.objects.filter(review_id=previous.pk).order_by("id")
                          .values_list("holding_id", "asset_class", "amount", "currency", "converted_amount")]
    need_rates = any(row[2] != review.currency for row in history_rows)
    rates = rate_table_on(review.reviewed_on) if need_rates else RateTable({})
    rows: list[tuple[AssetReviewLine | None, LineChange]] = []
    totals = None
    try:
        changes = line_changes([_line(r) for r in lines], previous_lines, currency=review.currency,
                               previous_currency=previous.currency if previous else review.currency, rates=rates)
        by_holding = {r.holding_id: r for r in lines}
        rows = [(by_holding.get(c.holding_id) if c.current else None, c) for c in changes]
        if previous is not None:
            totals = totals_change((review.assets, review.liabilities), (previous.assets, previous.liabilities),
                                   currency=review.currency, previous_currency=previous.currency, rates=rates)
    except MissingRate as exc:
        notes.append(_("No FX rate from %(base)s to %(quote)s: the changes since the previous review cannot be "
                       "computed.") % {"base": exc.base, "quote": exc.quote})
        rows = [(r, c) for r, c in zip(lines, line_changes([_line(r) for r in lines], [], currency=review.currency,
                                                           previous_currency=review.currency, rates=rates),
                                       strict=True)]
    labels = dict(AssetClass.choices)
    allocation = [
        {"key": cls, "name": str(labels.get(cls, cls)), "value": Decimal(amount),
         "share": (Decimal(amount) / review.assets) if review.assets else Decimal(0)}
        for cls, amount in sorted(review.by_class.items(), key=lambda kv: -Decimal(kv[1]))
        if cls not in LIABILITY_CLASSES and Decimal(amount)
    ]
    history = []
    for pk, day, currency, assets, _liabilities in history_rows:
        try:
            value = rates.convert(assets, currency, review.currency) if currency != review.currency else assets
        except MissingRate:
            continue
        history.append({"id": pk, "day": day, "assets": value.quantize(Decimal("0.01")), "current": pk == review.pk})
    mix = {level: Decimal(share) for level, share in review.risk_mix.items()}
    level_labels = dict(RiskLevel.choices)
    risk_mix = [{"level": level, "label": str(level_labels[level]), "share": mix.get(level, Decimal(0))}
                for level in RiskLevel.values if mix.get(level)]
    if mix.get(""):
        risk_mix.append({"level": "", "label": _("Not rated"), "share": mix[""]})
    return ReviewPage(
        review=review, previous=previous, rows=rows, totals=totals, risk=risk_fit(review.risk_preference, mix),
        allocation=allocation, history=history, risk_mix=risk_mix, masked=amounts_masked(user), notes=notes,
    )


def schedule_of(*, user: User, customer_id: int) -> ReviewSchedule | None:
    return ReviewSchedule.objects.restrict(user, "view").filter(customer_id=customer_id).first()


@dataclass(frozen=True)
class DueReview:
    customer_id: int
    customer_name: str
    due: date
    last_reviewed_on: date | None
    important: bool

    @property
    def overdue(self) -> bool:
        return self.due < timezone.localdate()


def reviews_due(*, owner: User, ahead_days: int = 7, limit: int = DUE_SHOWN) -> tuple[list[DueReview], int, int]:
    """The owner's customers whose review is due within `ahead_days` (overdue first), at most `limit`,
    and how many are due and overdue in all. Reads the (owner, next_review_due) index: three
    index-only queries, whatever the number of customers. The customer's own owner is checked too,
    so a schedule whose copy of the owner is stale never shows another owner's customer."""
    today = timezone.localdate()
    mine = ReviewSchedule.objects.filter(owner_id=owner.pk, customer__owner_id=owner.pk,
                                         customer__deleted_at__isnull=True)
    due = mine.filter(next_review_due__lte=today + timedelta(days=ahead_days))
    rows = list(due.order_by("next_review_due", "customer_id")
                .values_list("customer_id", "customer__name", "next_review_due", "last_reviewed_on", "important")
                [:limit])
    counts = due.aggregate(n=Count("pk"), late=Count("pk", filter=Q(next_review_due__lt=today)))
    return [DueReview(*row) for row in rows], counts["n"], counts["late"]


# --- Contributions to the pages of lower apps (registered in wealth/registrations/reviews.py) -----

CARD_REVIEWS_SHOWN = 5


def card_panels(user: User, customer_id: int) -> list[Any]:
    """The card's "Asset reviews" panel: the next due date, the latest reviews, "start review"
    (two queries). Only for wealth customers: with a schedule or a review."""
    from core.timeline import CardPanel

    schedule = schedule_of(user=user, customer_id=customer_id)
    reviews = list(AssetReview.objects.restrict(user, "view").filter(customer_id=customer_id)
                   .order_by("-reviewed_on", "-id").only("id", "reviewed_on", "assets", "currency")
                   [:CARD_REVIEWS_SHOWN])
    if schedule is None and not reviews:
        return []
    from customers.querysets import customer_permits

    return [CardPanel(key="asset-reviews", title=_("Asset reviews"), template="wealth/reviews/card_panel.html",
                      context={"schedule": schedule, "reviews": reviews, "masked": amounts_masked(user),
                               "can_change": customer_permits(user, "change"),
                               "overdue": bool(schedule and schedule.next_review_due
                                               and schedule.next_review_due < timezone.localdate())})]


def home_panels(user: User) -> list[Any]:
    """"Asset reviews due" on the owner's home page, for users who own customers."""
    from core.home import HomePanel

    if not user.may_own_customers:
        return []
    rows, due_count, overdue_count = reviews_due(owner=user)
    return [HomePanel(key="reviews-due", title=_("Asset reviews due"), template="wealth/reviews/home_panel.html",
                      context={"rows": rows, "due_count": due_count, "overdue_count": overdue_count}, order=20)]


def due_review_suggestions(*, user: User, owner_id: int, limit: int) -> list[Any]:
    """The weekly plan's suggestions: the owner's customers whose asset review is due this week or
    overdue, earliest first, among the customers `user` may see."""
    from customers.models import Customer
    from work.plan_registry import Suggestion

    today = timezone.localdate()
    visible = Customer.objects.restrict(user, "view").filter(owner_id=owner_id)
    rows = (ReviewSchedule.objects.filter(owner_id=owner_id, customer__in=visible,
                                          next_review_due__lte=today + timedelta(days=7))
            .order_by("next_review_due", "customer_id").values_list("customer_id", "customer__name",
                                                                    "next_review_due")[:limit])
    out = []
    for cid, name, due in rows:
        reason = (_("Asset review overdue since %(day)s") if due < today else _("Asset review due %(day)s")) % {
            "day": due.isoformat()}
        out.append(Suggestion(customer_id=cid, customer_name=name, reason=reason))
    return out
