"""Complaints (D6): what the pages, the API, the card, the timeline and the home page read."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from core.timeline import (
    CardPanel,
    TimelineAction,
    TimelineCursor,
    TimelineEntry,
    before_q,
    choice_labels,
    person_fields,
    timeline_provider,
    url_of,
    wants,
)
from service import complaint_workflow as workflow
from service.models.complaints import (
    ApprovalDecision,
    CompensationApproval,
    Complaint,
    ComplaintStep,
    FailureFlag,
)

LIST_ORDERING = ["-received_at", "-id"]
RECENT_DAYS = 30  # a complaint closed within these days still flags the customer (anticipation)
HOME_SHOWN = 10


def complaints_visible(user: User) -> QuerySet[Complaint]:
    return Complaint.objects.restrict(user, "view")


def complaint_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[Complaint]:
    """The complaints the user sees, narrowed by state, severity, category, channel, owner, customer,
    and "overdue" (a running SLA clock past its deadline)."""
    qs = complaints_visible(user)
    for name in ("state", "severity", "category", "channel"):
        value = filters.get(name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.get("owner"):
        qs = qs.filter(owner_id=filters["owner"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("overdue"):
        qs = qs.filter(overdue_q(timezone.now()))
    return qs


def overdue_q(now: datetime) -> Q:
    """A running clock past its deadline: not acknowledged after acknowledge_by, or not resolved after resolve_by."""
    return Q(state__in=workflow.OPEN_STATES) & (
        Q(acknowledged_at__isnull=True, acknowledge_by__lt=now) | Q(resolved_at__isnull=True, resolve_by__lt=now))


def complaint_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    """A keyset page of complaints, newest first (index (state, severity, received_at, id))."""
    qs = complaint_filtered(user, filters).select_related("customer", "owner")
    return keyset_page(qs, ordering=LIST_ORDERING, cursor=cursor, size=size)


def complaint_detail(*, user: User, complaint_id: int) -> Complaint:
    return complaints_visible(user).select_related("customer", "owner", "order", "product", "interaction",
                                                   "created_by").get(pk=complaint_id)


def complaint_steps(*, user: User, complaint_id: int) -> list[ComplaintStep]:
    return list(ComplaintStep.objects.restrict(user, "view").filter(complaint_id=complaint_id)
                .select_related("actor").order_by("at", "id"))


def complaint_approvals(*, user: User, complaint_id: int) -> list[CompensationApproval]:
    return list(CompensationApproval.objects.restrict(user, "view").filter(complaint_id=complaint_id)
                .select_related("requested_by", "approver"))


def approvals_pending(*, user: User, limit: int = 50) -> list[CompensationApproval]:
    """Compensation requests waiting for a decision that the user sees (their team's, for a manager)."""
    return list(CompensationApproval.objects.restrict(user, "view").filter(decision=ApprovalDecision.PENDING)
                .select_related("complaint__customer", "requested_by").order_by("requested_at", "id")[:limit])


# --- Due and overdue: the home page's panels -------------------------------------------------------

def complaints_due(*, user: User, mine: bool, limit: int = HOME_SHOWN) -> list[Complaint]:
    """Open complaints whose running clock ends soonest (overdue first): the user's own, or all the user
    sees (the service team's view, for those who lead a team or see every customer)."""
    qs = complaints_visible(user).filter(state__in=workflow.OPEN_STATES)
    if mine:
        qs = qs.filter(owner_id=user.pk)
    rows = list(qs.select_related("customer").order_by("resolve_by", "id")[:limit * 3])
    rows.sort(key=lambda c: (c.due_at or c.resolve_by, c.pk))
    return rows[:limit]


def home_panels(user: Any) -> list[CardPanel]:
    """core.home contributor: "my complaints due" for everyone who owns some, and the team's for
    those who lead one (two queries at most)."""
    panels = []
    mine = complaints_due(user=user, mine=True)
    if mine:
        panels.append(CardPanel(key="complaints_mine", title=_("My complaints due"),
                                template="service/complaints/_home_due.html",
                                context={"complaints": mine, "now": timezone.now()}))
    if user.leads_team:
        team = complaints_due(user=user, mine=False)
        if team:
            panels.append(CardPanel(key="complaints_team", title=_("Service team: complaints due"),
                                    template="service/complaints/_home_due.html",
                                    context={"complaints": team, "now": timezone.now()}))
    return panels


# --- The card --------------------------------------------------------------------------------------

@timeline_provider(kinds={"complaint": gettext_lazy("Complaints"), "complaint_step": gettext_lazy("Complaint steps")})
def complaint_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                       limit: int) -> list[TimelineEntry]:
    """The customer's complaints (when received) and their state changes, newest first (one query each)."""
    out: list[TimelineEntry] = []
    url = url_of("service:complaint_detail")
    if wants(["complaint"], kinds):
        rows = (Complaint.objects.restrict(user, "view").filter(customer_id=customer_id)
                .filter(before_q(field_name="received_at", kind="complaint", before=before))
                .select_related("created_by").order_by("-received_at", "-id")
                .only("id", "received_at", "category", "severity", "state", "description", "acknowledge_by",
                      "resolve_by", "acknowledged_at", "resolved_at", *person_fields("created_by"))[:limit])
        category, severity, state = (choice_labels(Complaint, "category"), choice_labels(Complaint, "severity"),
                                     choice_labels(Complaint, "state"))
        label = _("Complaint")
        for c in rows:
            out.append(TimelineEntry(
                kind="complaint", kind_label=label, at=c.received_at, pk=c.pk,
                title=f"{category(c.category)} · {severity(c.severity)}", detail=c.description[:200], url=url(c.pk),
                actor=str(c.created_by or ""), badge=str(state(c.state)),
                badge_class="bad" if c.is_overdue else ("ok" if c.state not in workflow.OPEN_STATES else "warn")))
    if wants(["complaint_step"], kinds):
        steps = (ComplaintStep.objects.restrict(user, "view").filter(complaint__customer_id=customer_id)
                 .exclude(from_state="")
                 .filter(before_q(field_name="at", kind="complaint_step", before=before))
                 .select_related("actor").order_by("-at", "-id")
                 .only("id", "at", "complaint_id", "from_state", "to_state", "note", *person_fields("actor"))[:limit])
        label = _("Complaint step")
        for s in steps:
            out.append(TimelineEntry(
                kind="complaint_step", kind_label=label, at=s.at, pk=s.pk,
                title=_("Complaint %(number)s: %(from)s → %(to)s") % {
                    "number": s.complaint_id, "from": workflow.state_label(s.from_state),
                    "to": workflow.state_label(s.to_state)},
                detail=s.note, url=url(s.complaint_id), actor=str(s.actor or "")))
    return out


def timeline_actions(user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    """"Complaint" above the timeline, for users who may change the customer (no query)."""
    if not can_change:
        return []
    return [TimelineAction(label=_("Complaint"), url=reverse("service:complaint_add", args=[customer_id]))]


def record_actions(user: Any, record: Any) -> list[TimelineAction]:
    """core.timeline.record_actions contributor: "Complaint" on an interaction's page, the complaint
    linked to it (no query; the add page checks the customer)."""
    from accounts.roles import Cap
    from interactions.models import Interaction

    if not isinstance(record, Interaction) or not user.can(Cap.CHANGE):
        return []
    url = reverse("service:complaint_add", args=[record.customer_id])
    return [TimelineAction(label=_("Complaint"), url=f"{url}?interaction={record.pk}")]


def failure_labels(keys: str) -> list[str]:
    from service.anticipation import failure_sources

    labels = {s.key: str(s.label) for s in failure_sources()}
    return [labels.get(k, k) for k in keys.split(",") if k]


def card_panels(user: Any, customer_id: int) -> list[CardPanel]:
    """The anticipation flag and the open complaints on the card's profile tab (two queries)."""
    flag = FailureFlag.objects.filter(customer_id=customer_id).values_list("sources", flat=True).first()
    open_rows = list(complaints_visible(user).filter(customer_id=customer_id, state__in=workflow.OPEN_STATES)
                     .order_by("-received_at", "-id")[:5])
    if not flag and not open_rows:
        return []
    return [CardPanel(key="complaints", title=_("Service recovery"), template="service/complaints/_card_panel.html",
                      context={"failures": failure_labels(flag or ""), "open_complaints": open_rows,
                               "add_url": reverse("service:complaint_add", args=[customer_id])})]


def customer_badges(user: Any, customer_ids: Collection[int]) -> dict[int, list[tuple[str, str]]]:
    """core.badges contributor: the anticipation flag of the listed customers (one query on the stored flags)."""
    from core.badges import Badge

    out: dict[int, list[Any]] = {}
    if not customer_ids:
        return out
    for cid, keys in FailureFlag.objects.filter(customer_id__in=list(customer_ids)).values_list("customer_id",
                                                                                              "sources"):
        out[cid] = [Badge(text=_("Recent failure"), hint=", ".join(failure_labels(keys)), css="warn")]
    return out


def recent_complaint_customers(now: datetime) -> QuerySet:
    """Anticipation source: customers with an open complaint, or one received or closed within RECENT_DAYS."""
    since = now - timedelta(days=RECENT_DAYS)
    return (Complaint.objects.filter(deleted_at__isnull=True)
            .filter(Q(state__in=workflow.OPEN_STATES) | Q(received_at__gte=since) | Q(closed_at__gte=since))
            .values("customer_id"))


def failed_order_customers(now: datetime) -> QuerySet:
    """Anticipation source: customers with an order cancelled or refunded within RECENT_DAYS."""
    from commerce.choices import OrderStatus
    from commerce.models import Order

    since = now - timedelta(days=RECENT_DAYS)
    return (Order.objects.filter(deleted_at__isnull=True, status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
            .filter(Q(status_changed_at__gte=since) | Q(status_changed_at__isnull=True, ordered_at__gte=since))
            .values("customer_id"))
