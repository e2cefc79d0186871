"""Reads of service requests: the dispatch board, the list and search, a request's page, the event
reports, the card's timeline. Every read goes through ServiceRequest.objects.restrict(user, "view").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from core.timeline import (
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
from service import sla
from service.categories import ServiceCategory
from service.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    RequestAssignment,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)

# Cards shown per board column before "more" (keyset pages of the same size after that).
COLUMN_SIZE = 10
# Assignee columns drawn at most (the busiest first); the others are one filter away.
MAX_ASSIGNEE_COLUMNS = 8
SOON = timedelta(hours=8)
CARD_FIELDS = ("id", "subject", "priority", "status", "resolve_by", "assignee_id", "customer__name")
BOARD_ORDER = ["resolve_by", "id"]


def scoped(user: User) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.restrict(user, "view")


def open_requests(user: User) -> QuerySet[ServiceRequest]:
    return scoped(user).open()  # type: ignore[attr-defined]


@dataclass
class Workload:
    user_id: int | None
    name: str
    open: int
    overdue: int
    soon: int = 0  # due within SOON (not overdue)


@dataclass
class Column:
    key: str  # "unassigned", "user-<id>", "overdue", "soon", "later"
    title: str
    count: int
    overdue: int
    page: KeysetPage
    user_id: int | None = None


@dataclass
class Board:
    mode: str  # "assignee" or "due"
    columns: list[Column]
    workload: list[Workload]
    total_open: int
    total_overdue: int
    now: datetime
    hidden_assignees: int = 0
    assignees: list[User] = field(default_factory=list)


def workload(user: User, now: datetime) -> list[Workload]:
    """Open and overdue requests per assignee (None: unassigned), busiest first: one aggregate."""
    counted = (open_requests(user).order_by().values("assignee_id")
               .annotate(open=Count("id"), overdue=Count("id", filter=Q(resolve_by__lt=now)),
                         soon=Count("id", filter=Q(resolve_by__gte=now, resolve_by__lt=now + SOON))))
    rows: list[Any] = sorted(counted, key=lambda r: (r["assignee_id"] is not None, -r["open"], r["assignee_id"] or 0))
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["assignee_id"] for r in rows if r["assignee_id"]])}
    return [Workload(user_id=r["assignee_id"], name=names.get(r["assignee_id"], "") if r["assignee_id"]
                     else _("Unassigned"), open=r["open"], overdue=r["overdue"], soon=r["soon"]) for r in rows]


@dataclass(frozen=True)
class Card:
    """One request on the board, as plain values (130 cards: labels and links made once, not per card
    in the template)."""

    pk: int
    subject: str
    customer: str
    priority: str
    priority_label: str
    status_label: str
    due: str
    overdue: bool
    assignee: str
    url: str
    assign_url: str


class _CardMaker:
    def __init__(self, now: datetime, names: dict[int, str] | None = None) -> None:
        self.now = now
        self.names = names
        self.priority = choice_labels(ServiceRequest, "priority")
        self.status = choice_labels(ServiceRequest, "status")
        self.url = url_of("service:request_detail")
        self.assign_url = url_of("service:request_assign")
        self.due = _("resolve by %(due)s")

    def __call__(self, r: dict[str, Any]) -> Card:
        assignee = r["assignee_id"]
        return Card(pk=r["id"], subject=r["subject"], customer=r["customer__name"], priority=r["priority"],
                    priority_label=str(self.priority(r["priority"])), status_label=str(self.status(r["status"])),
                    due=self.due % {"due": date_format(timezone.localtime(r["resolve_by"]), "SHORT_DATETIME_FORMAT")},
                    overdue=r["resolve_by"] < self.now,
                    assignee=(self.names or {}).get(assignee, "") if assignee is not None else "",
                    url=self.url(r["id"]), assign_url=self.assign_url(r["id"]))


def _cards(qs: QuerySet[ServiceRequest]) -> QuerySet[Any]:
    # Plain rows, not instances: 130 cards a page, and the board's cost is mostly Python.
    return qs.values(*CARD_FIELDS)


def board_column(*, user: User, key: str, cursor: str | None = None, now: datetime | None = None,
                 size: int = COLUMN_SIZE, maker: _CardMaker | None = None) -> KeysetPage:
    """One column's cards (Card) in due order, a keyset page (the board's "more")."""
    now = now or timezone.now()
    qs = open_requests(user)
    if key == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif key.startswith("user-") and key[5:].isdigit():
        qs = qs.filter(assignee_id=int(key[5:]))
    elif key == "overdue":
        qs = qs.filter(resolve_by__lt=now)
    elif key == "soon":
        qs = qs.filter(resolve_by__gte=now, resolve_by__lt=now + SOON)
    elif key == "later":
        qs = qs.filter(resolve_by__gte=now + SOON)
    else:
        raise ValueError(key)
    page = keyset_page(_cards(qs), ordering=BOARD_ORDER, cursor=cursor, size=size)
    if maker is None:  # a column on its own (the board's "more"): its people's names in one query
        people = {r["assignee_id"] for r in page.items} - {None}
        maker = _CardMaker(now, names={u.pk: str(u) for u in User.objects.filter(pk__in=people)} if people else {})
    make = maker
    page.items = [make(r) for r in page.items]
    return page


def dispatch_board(*, user: User, mode: str = "assignee", now: datetime | None = None) -> Board:
    """The dispatch board: by assignee (unassigned first, then each person's open requests, the
    busiest first) or by due time (overdue, due within 8 hours, later). Counts come from one
    aggregate; each column shows its first cards in due order."""
    now = now or timezone.now()
    load = workload(user, now)
    total_open = sum(w.open for w in load)
    total_overdue = sum(w.overdue for w in load)
    columns: list[Column] = []
    hidden = 0
    maker = _CardMaker(now, names={w.user_id: w.name for w in load if w.user_id is not None})
    if mode == "due":
        # The same aggregate as the workload's, summed: no second pass over the open requests.
        soon = sum(w.soon for w in load)
        counts = {"overdue": total_overdue, "soon": soon, "later": total_open - total_overdue - soon}
        for key, title in (("overdue", _("Overdue")), ("soon", _("Due within 8 hours")), ("later", _("Due later"))):
            columns.append(Column(key=key, title=title, count=counts[key], overdue=counts["overdue"] if key == "overdue"
                                  else 0, page=board_column(user=user, key=key, now=now, maker=maker)))
    else:
        unassigned = next((w for w in load if w.user_id is None), None)
        columns.append(Column(key="unassigned", title=_("Unassigned"), count=unassigned.open if unassigned else 0,
                              overdue=unassigned.overdue if unassigned else 0,
                              page=board_column(user=user, key="unassigned", now=now, maker=maker)))
        people = [w for w in load if w.user_id is not None]
        hidden = max(0, len(people) - MAX_ASSIGNEE_COLUMNS)
        people = people[:MAX_ASSIGNEE_COLUMNS]
        # One short query per column, each a range of the open requests' (assignee, resolve_by, id)
        # index read in order and stopped at COLUMN_SIZE + 1: cheaper than numbering every open request.
        for w in people:
            columns.append(Column(key=f"user-{w.user_id}", title=w.name, count=w.open, overdue=w.overdue,
                                  page=board_column(user=user, key=f"user-{w.user_id}", now=now, maker=maker),
                                  user_id=w.user_id))
    return Board(mode=mode, columns=columns, workload=load, total_open=total_open, total_overdue=total_overdue,
                 now=now, hidden_assignees=hidden)


def assignable_users(user: User) -> list[User]:
    """Whom the board offers to assign to: active users of the viewer's team (everyone active for
    those who see every customer). The service checks the assignee sees the request's customer."""
    qs = User.objects.filter(is_active=True)
    if not user.sees_all_customers:
        qs = qs.filter(Q(team_id=user.team_id) | Q(pk=user.pk)) if user.team_id else qs.filter(pk=user.pk)
    return list(qs.order_by("username")[:200])


# --- list and search -----------------------------------------------------------------------------

def request_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[ServiceRequest]:
    qs = scoped(user)
    status = filters.get("status")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    for key, lookup in (("priority", "priority"), ("category", "category"), ("customer", "customer_id"),
                        ("order", "order_id")):
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    assignee = filters.get("assignee")
    if assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif assignee not in (None, ""):
        # A page's filter form may send anything: what is not a user id matches nobody.
        qs = qs.filter(assignee_id=int(assignee)) if str(assignee).isdigit() else qs.none()
    if filters.get("overdue"):
        qs = qs.filter(status__in=OPEN_STATUSES, resolve_by__lt=timezone.now())
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(subject__icontains=text) | Q(description__icontains=text) | Q(customer__name__icontains=text))
    return qs


def request_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    qs = request_filtered(user, filters).select_related("customer", "assignee")
    return keyset_page(qs, ordering=["-received_at", "-id"], cursor=cursor, size=size)


def request_read(user: User, request_id: int) -> ServiceRequest:
    return (scoped(user).select_related("customer", "assignee", "order", "solved_by_article", "created_by")
            .get(pk=request_id))


def request_history(request: ServiceRequest) -> list[Any]:
    """Assignments and status moves of a request, newest first (two queries)."""
    rows: list[Any] = list(RequestAssignment.objects.filter(request=request).select_related("from_user", "to_user",
                                                                                         "by"))
    rows += list(RequestStatusChange.objects.filter(request=request).select_related("by"))
    return sorted(rows, key=lambda r: (r.at, r.pk), reverse=True)


def order_lines(request: ServiceRequest) -> list[Any]:
    """The linked order's lines (order tracking on the request's page)."""
    if request.order_id is None:
        return []
    from commerce.models import OrderLine

    return list(OrderLine.objects.filter(order_id=request.order_id).select_related("product").order_by("id"))


# --- event reports -------------------------------------------------------------------------------

@dataclass
class Reports:
    months: list[str]
    by_category: list[dict[str, Any]]  # {"category", "label", "counts": [per month]}
    closed: int
    reopened: int
    reopen_rate: float | None
    median_close_minutes: int | None
    mean_close_minutes: int | None
    close_by_priority: list[dict[str, Any]]
    workload: list[Workload]


def event_reports(*, user: User, since: datetime, now: datetime | None = None) -> Reports:
    """Requests by category and month (received since `since`), time to close in business minutes
    (service.sla.business_minutes_between) and reopen rate of the requests closed since, workload now."""
    now = now or timezone.now()
    base = scoped(user).filter(received_at__gte=since)
    rows = (base.annotate(month=TruncMonth("received_at")).order_by().values("month", "category")
            .annotate(n=Count("id")))
    months = sorted({timezone.localtime(r["month"]).strftime("%Y-%m") if isinstance(r["month"], datetime)
                     else r["month"].strftime("%Y-%m") for r in rows})
    labels = dict(ServiceCategory.choices)
    table: dict[str, dict[str, int]] = {}
    for r in rows:
        m = r["month"]
        key = timezone.localtime(m).strftime("%Y-%m") if isinstance(m, datetime) else m.strftime("%Y-%m")
        table.setdefault(r["category"], {})[key] = r["n"]
    by_category = [{"category": c, "label": str(labels.get(c, c)), "counts": [table[c].get(m, 0) for m in months]}
                   for c in ServiceCategory.values if c in table]
    done = list(scoped(user).filter(status__in=DONE_STATUSES, resolved_at__gte=since)
                .values_list("received_at", "resolved_at", "priority", "reopened_count"))
    minutes = [(sla.business_minutes_between(start=a, end=b), p) for a, b, p, _r in done if b is not None]
    reopened = sum(1 for *_x, r in done if r)
    values = sorted(m for m, _p in minutes)
    by_priority = []
    from service.choices import RequestPriority

    for level, label in RequestPriority.choices:
        own = sorted(m for m, p in minutes if p == level)
        if own:
            by_priority.append({"priority": level, "label": str(label), "count": len(own),
                                "median": own[len(own) // 2]})
    return Reports(
        months=months, by_category=by_category, closed=len(done), reopened=reopened,
        reopen_rate=(reopened / len(done)) if done else None,
        median_close_minutes=values[len(values) // 2] if values else None,
        mean_close_minutes=round(sum(values) / len(values)) if values else None,
        close_by_priority=by_priority, workload=workload(user, now),
    )


# --- the customer's card -------------------------------------------------------------------------

TIMELINE_KINDS = {"service_request": gettext_lazy("Service requests"),
                  "service_request_status": gettext_lazy("Service request status")}


@timeline_provider(kinds=TIMELINE_KINDS)
def request_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                     limit: int) -> list[TimelineEntry]:
    """The customer's service requests (when received) and their status moves, newest first."""
    out: list[TimelineEntry] = []
    status = choice_labels(ServiceRequest, "status")
    if wants(["service_request"], kinds):
        rows = (scoped(user).filter(customer_id=customer_id)
                .filter(before_q(field_name="received_at", kind="service_request", before=before))
                .select_related("created_by").order_by("-received_at", "-id")
                .only("id", "received_at", "subject", "status", "priority", "category",
                      *person_fields("created_by"))[:limit])
        for r in rows:
            out.append(TimelineEntry(
                kind="service_request", kind_label=_("Service request"), at=r.received_at, pk=r.pk,
                title=r.subject, detail=f"{r.get_category_display()} · {r.get_priority_display()}",
                url=reverse("service:request_detail", args=[r.pk]), actor=str(r.created_by or ""),
                badge=str(status(r.status)), badge_class="ok" if r.status in DONE_STATUSES else "warn"))
    if wants(["service_request_status"], kinds):
        moves = (RequestStatusChange.objects.filter(request__in=scoped(user).filter(customer_id=customer_id))
                 .exclude(from_status="")
                 .filter(before_q(field_name="at", kind="service_request_status", before=before))
                 .select_related("by", "request").order_by("-at", "-id")
                 .only("id", "at", "from_status", "to_status", "note", "request__id", "request__subject",
                       *person_fields("by"))[:limit])
        for m in moves:
            out.append(TimelineEntry(
                kind="service_request_status", kind_label=_("Service request status"), at=m.at, pk=m.pk,
                title=_("%(subject)s: %(from)s → %(to)s") % {"subject": m.request.subject,
                                                            "from": status(m.from_status), "to": status(m.to_status)},
                detail=m.note, url=reverse("service:request_detail", args=[m.request_id]), actor=str(m.by or ""),
                badge=str(status(m.to_status)), badge_class="ok" if m.to_status in DONE_STATUSES else ""))
    return out


def timeline_actions(user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    if not can_change:
        return []
    return [TimelineAction(label=_("New service request"),
                           url=reverse("service:request_add") + f"?customer={customer_id}")]


def overdue_customers(now: datetime) -> QuerySet[Any]:
    """Anticipation: customers with an open request past its resolve-by time (unscoped)."""
    return (ServiceRequest.objects.filter(status__in=OPEN_STATUSES, resolve_by__lt=now, deleted_at__isnull=True)
            .values("customer_id"))


STATUS_CHOICES = [("", gettext_lazy("Any")), ("open", gettext_lazy("Open")), *RequestStatus.choices]
