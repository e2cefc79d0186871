"""Writes on service requests: keyword-only, the acting user first, one transaction, audited with the
customer's id.

Who may do what: entering, editing, assigning and moving a request needs the right to change its
customer (as for every record of a customer); the assignee may also move their own request.

Rules chosen where the issue was silent (docs/service.md):
- The assignee must be an active user who sees the customer. Assigning a request that has an
  assignee is a reassignment and needs a reason (recorded in RequestAssignment with who and when).
- Assigning a new request makes it "assigned"; unassigning an assigned one makes it "new" again.
- Status moves follow TRANSITIONS; anything else is refused with the allowed moves named.
  Resolving sets `resolved_at`; closing sets `closed_at` (and `resolved_at` when closed directly);
  reopening clears both, counts the reopen and goes back to "in progress" (or "new" when nobody
  has the request). "Solved by article N" is given on resolve or close; the article's solved count
  is recomputed from the requests.
- The due times come from service.sla.deadlines at entry and again when the priority changes.
- SLA notifications (sla_check): a warning to the assignee when a quarter of the time to resolve is
  left (at least 30 minutes before the breach), an escalation at the breach to the manager of the
  assignee's team (else of the customer's team, else the administrators); each sent once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer
from customers.records.base import RecordKind, soft_delete
from service import sla
from service.choices import SlaSubject
from service.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Article,
    ArticleStatus,
    RequestAssignment,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)

REQUEST_FIELDS: list[str] = ["category", "priority", "subject", "description", "order", "external_id"]
AUDITED: list[str] = [*REQUEST_FIELDS, "assignee", "status", "acknowledge_by", "resolve_by"]

S = RequestStatus
# The moves a request may make by `request_set_status` (assignment has its own service).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
REOPEN = "reopen"

# When the SLA warning goes out: with this share of the time to resolve left, and no later than this
# many minutes before the breach.
WARN_SHARE = 0.25
WARN_AT_LEAST = timedelta(minutes=30)


def _message_context(request: ServiceRequest, actor: Any = None) -> dict[str, Any]:
    due = timezone.localtime(request.resolve_by).strftime("%Y-%m-%d %H:%M")
    return {"item": {"title": request.subject, "due": due, "priority": request.get_priority_display()},
            "actor": {"name": str(actor) if actor else ""}}


def warn_at(request: ServiceRequest) -> datetime:
    """When the SLA warning of `request` is due."""
    span = request.resolve_by - request.received_at
    return request.resolve_by - max(span * WARN_SHARE, WARN_AT_LEAST)


def _schedule_sla(request: ServiceRequest) -> None:
    """Hand the SLA checks of an open request to the worker for their times (after the commit);
    sla_check claims each notification once, so an enqueue for a time since moved does no harm."""
    from service.tasks_requests import enqueue_sla_check

    if request.status not in OPEN_STATUSES:
        return
    for when in (warn_at(request), request.resolve_by):
        if when > timezone.now():
            transaction.on_commit(partial(enqueue_sla_check, run_after=when))


def _set_deadlines(request: ServiceRequest) -> None:
    due = sla.deadlines(customer_id=request.customer_id, subject=SlaSubject.REQUEST, level=request.priority,
                        received_at=request.received_at)
    request.acknowledge_by, request.resolve_by = due.acknowledge_by, due.resolve_by
    request.sla_warned_at = request.sla_escalated_at = None


def _check_assignee(request: ServiceRequest, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    assignee = User.objects.filter(pk=user_id).first()
    if assignee is None or not assignee.is_active:
        raise ValidationError({"assignee": _("The assignee must be an active user.")})
    if not Customer.objects.restrict(assignee, "view").filter(pk=request.customer_id).exists():
        raise ValidationError({"assignee": _("%(user)s cannot see this customer; choose someone who can.")
                               % {"user": assignee}})
    return assignee


def _check_order(request: ServiceRequest, actor: User) -> None:
    if request.order_id is None:
        return
    from commerce.models import Order

    if not Order.objects.restrict(actor, "view").filter(pk=request.order_id, customer_id=request.customer_id).exists():
        raise ValidationError({"order": _("The order must be one of this customer's that you can see.")})


def _validate(request: ServiceRequest, actor: User) -> None:
    request.full_clean(exclude=["customer", "assignee", "order", "solved_by_article", "created_by"])
    _check_order(request, actor)


def _log_status(request: ServiceRequest, before: str, actor: User | None, note: str = "") -> None:
    RequestStatusChange.objects.create(request=request, from_status=before, to_status=request.status, by=actor,
                                       note=note[:300])


@transaction.atomic
def request_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> ServiceRequest:
    """Enter a request for a customer the actor may change. `data` may name an `assignee` (then the
    request starts "assigned" and the assignee is told) and `received_at` (an import of history;
    default now). The due times come from the SLA."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    values = dict(data)
    assignee_id = values.pop("assignee", None)
    assignee_id = getattr(assignee_id, "pk", assignee_id) or None
    received_at = values.pop("received_at", None) or timezone.now()
    request = ServiceRequest(customer=customer, created_by=actor, received_at=received_at)
    apply_fields(request, {k: v for k, v in values.items() if v is not None or k in ("order", "external_id")},
                 REQUEST_FIELDS)
    if request.external_id == "":
        request.external_id = None
    _set_deadlines(request)
    _validate(request, actor)
    assignee = _check_assignee(request, assignee_id)
    request.save()
    _log_status(request, "", actor)
    change_record(user=actor, instance=request, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(request, AUDITED))
    if assignee is not None:
        _assign(request, actor=actor, assignee=assignee, reason="")
    _schedule_sla(request)
    return request


@transaction.atomic
def request_update(*, actor: User, request_id: int, data: Mapping[str, Any],
                   expected_version: str | Iterable[str] | None = None) -> ServiceRequest:
    """Change what a request is about (subject, description, category, priority, order). A new
    priority sets new due times from the SLA."""
    request = get_scoped(ServiceRequest.objects.select_for_update(of=("self",)), actor, "change", request_id)
    check_version(request, expected_version)
    before = field_values(request, AUDITED)
    apply_fields(request, dict(data), REQUEST_FIELDS)
    if request.external_id == "":
        request.external_id = None
    if request.priority != before["priority"]:
        _set_deadlines(request)
    _validate(request, actor)
    changes = diff_values(before, field_values(request, AUDITED))
    if changes:
        request.save()
        change_record(user=actor, instance=request, action=ChangeAction.UPDATE, customer_id=request.customer_id,
                      changes=changes)
        if "resolve_by" in changes:
            _schedule_sla(request)
    return request


@transaction.atomic
def request_delete(*, actor: User, request_id: int) -> ServiceRequest:
    request = soft_delete(ServiceRequest, actor=actor, pk=request_id)
    recount_articles([request.solved_by_article_id])
    return request


REQUESTS = RecordKind(model=ServiceRequest, id_kwarg="request_id", create=request_create, update=request_update,
                      delete=request_delete)


def _request_to_act_on(actor: User, request_id: int) -> ServiceRequest:
    """A request the actor may move: of a customer the actor may change, or assigned to the actor
    (PermissionDenied otherwise, the same answer as for one the actor does not see)."""
    try:
        return ServiceRequest.objects.restrict(actor, "view").select_for_update(of=("self",)).get(
            Q(pk=request_id) & (Q(assignee=actor)
                                | Q(pk__in=ServiceRequest.objects.restrict(actor, "change").values("pk")))
        )
    except ServiceRequest.DoesNotExist as exc:
        raise PermissionDenied(_("You do not have access to this record.")) from exc


def _assign(request: ServiceRequest, *, actor: User, assignee: User | None, reason: str) -> None:
    from work.services_notifications import notify

    before_user, before_status = request.assignee_id, request.status
    request.assignee = assignee
    if assignee is not None and request.status == S.NEW:
        request.status = S.ASSIGNED
        request.acknowledged_at = request.acknowledged_at or timezone.now()
    elif assignee is None and request.status == S.ASSIGNED:
        request.status = S.NEW
    request.save(update_fields=["assignee", "status", "acknowledged_at", "updated_at"])
    RequestAssignment.objects.create(request=request, from_user_id=before_user, to_user=assignee, by=actor,
                                     reason=reason)
    if request.status != before_status:
        _log_status(request, before_status, actor)
    change_record(user=actor, instance=request, action=ChangeAction.UPDATE, customer_id=request.customer_id,
                  changes={"assignee": [before_user, request.assignee_id], "status": [before_status, request.status]},
                  note=reason[:200])
    if assignee is not None and assignee.pk != actor.pk:
        notify(recipients=[assignee.pk], event="service.request_assigned", obj=request, actor=actor,
               context=_message_context(request, actor))


@transaction.atomic
def request_assign(*, actor: User, request_id: int, assignee_id: int | None, reason: str = "") -> ServiceRequest:
    """Give a request to someone (or back to the unassigned pile with None). A request that already
    has an assignee is reassigned only with a reason."""
    request = get_scoped(ServiceRequest.objects.select_for_update(of=("self",)), actor, "change", request_id)
    if request.status not in OPEN_STATUSES:
        raise ValidationError({"assignee": _("Only an open request can be assigned; reopen it first.")})
    reason = (reason or "").strip()
    if request.assignee_id == assignee_id:
        raise ValidationError({"assignee": _("The request is already assigned to this person.")
                               if assignee_id else _("The request is already unassigned.")})
    if request.assignee_id is not None and not reason:
        raise ValidationError({"reason": _("Say why the request is reassigned.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    assignee = _check_assignee(request, assignee_id)
    _assign(request, actor=actor, assignee=assignee, reason=reason)
    return request


def recount_articles(article_ids: Iterable[int | None]) -> None:
    """Set each article's solved count from the requests it solved (set-based, one UPDATE)."""
    ids = {pk for pk in article_ids if pk}
    if not ids:
        return
    solved = (ServiceRequest.objects.filter(solved_by_article=OuterRef("pk"), status__in=DONE_STATUSES,
                                            deleted_at__isnull=True)
              .order_by().values("solved_by_article").annotate(n=Count("pk")).values("n"))
    Article.objects.filter(pk__in=ids).update(solved_count=Coalesce(Subquery(solved), 0))


@transaction.atomic
def request_set_status(*, actor: User, request_id: int, status: str, note: str = "",
                       solved_by_article_id: int | None = None, resolution: str | None = None) -> ServiceRequest:
    """Move a request to `status` (TRANSITIONS), or reopen it with status="reopen" (a note says why).
    On resolve or close, `solved_by_article_id` records the published article that solved it."""
    request = _request_to_act_on(actor, request_id)
    before = request.status
    note = (note or "").strip()
    if status == REOPEN:
        if before not in DONE_STATUSES:
            raise ValidationError({"status": _("Only a resolved or closed request can be reopened.")})
        if not note:
            raise ValidationError({"note": _("Say why the request is reopened.")})
        old_article = request.solved_by_article_id
        request.status = S.IN_PROGRESS if request.assignee_id else S.NEW
        request.resolved_at = request.closed_at = None
        request.solved_by_article = None
        request.reopened_count += 1
        # A reopened request is due again by the SLA counted from now.
        request.received_at = timezone.now()
        _set_deadlines(request)
        request.save()
        _log_status(request, before, actor, note)
        change_record(user=actor, instance=request, action=ChangeAction.UPDATE, customer_id=request.customer_id,
                      changes={"status": [before, request.status], "solved_by_article": [old_article, None]},
                      note=note[:200])
        recount_articles([old_article])
        _schedule_sla(request)
        return request
    if status not in S.values:
        raise ValidationError({"status": _("No such status.")})
    allowed = TRANSITIONS[before]
    if status not in allowed:
        labels = ", ".join(str(S(s).label) for s in S.values if s in allowed) or _("reopen only")
        raise ValidationError({"status": _("A request that is “%(current)s” cannot become “%(wanted)s”; it can "
                                           "become: %(allowed)s.") % {"current": S(before).label,
                                                                      "wanted": S(status).label,
                                                                      "allowed": labels}})
    now = timezone.now()
    article_id = None
    if solved_by_article_id:
        if status not in DONE_STATUSES:
            raise ValidationError({"solved_by_article": _("An article solves a request when it is resolved or "
                                                          "closed.")})
        if not Article.objects.filter(pk=solved_by_article_id, status=ArticleStatus.PUBLISHED).exists():
            raise ValidationError({"solved_by_article": _("No published article %(id)s.")
                                   % {"id": solved_by_article_id}})
        article_id = solved_by_article_id
    request.status = status
    if status in (S.IN_PROGRESS, S.WAITING) and request.acknowledged_at is None:
        request.acknowledged_at = now
    if status in DONE_STATUSES:
        request.resolved_at = request.resolved_at or now
        if article_id:
            request.solved_by_article_id = article_id
        if resolution is not None:
            request.resolution = resolution.strip()
    if status == S.CLOSED:
        request.closed_at = now
    request.save()
    _log_status(request, before, actor, note)
    change_record(user=actor, instance=request, action=ChangeAction.UPDATE, customer_id=request.customer_id,
                  changes={"status": [before, status],
                           **({"solved_by_article": [None, article_id]} if article_id else {})},
                  note=note[:200])
    if status in DONE_STATUSES:
        recount_articles([request.solved_by_article_id])
    return request


# --- SLA notifications ---------------------------------------------------------------------------

def _managers_for(request: ServiceRequest) -> list[int]:
    """Who hears of a breach: the manager of the assignee's team, else of the customer's team, else
    the administrators."""
    team_id = request.assignee.team_id if request.assignee_id else None  # type: ignore[union-attr]
    team_id = team_id or request.customer.team_id
    if team_id:
        manager = User.objects.filter(managed_teams__pk=team_id, is_active=True).values_list("pk", flat=True)[:1]
        if manager:
            return list(manager)
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).values_list("pk", flat=True))


def sla_check(*, now: datetime | None = None) -> dict[str, int]:
    """Send the SLA warnings and escalations that are due, each once (a conditional UPDATE claims
    it, so two runs at once send it once). Returns how many of each were sent."""
    from work.services_notifications import notify

    now = now or timezone.now()
    open_q = Q(status__in=OPEN_STATUSES, deleted_at__isnull=True)
    sent = {"warned": 0, "escalated": 0}
    breached = list(ServiceRequest.objects.filter(open_q, resolve_by__lte=now, sla_escalated_at__isnull=True)
                    .select_related("assignee", "customer")[:500])
    for request in breached:
        with transaction.atomic():
            if not ServiceRequest.objects.filter(pk=request.pk, sla_escalated_at__isnull=True).update(
                    sla_escalated_at=now, sla_warned_at=Coalesce("sla_warned_at", now)):
                continue
            people = _managers_for(request) + ([request.assignee_id] if request.assignee_id else [])
            notify(recipients=sorted(set(people)), event="service.request_sla_breached", obj=request,
                   context=_message_context(request))
            sent["escalated"] += 1
    # Warnings: due when a quarter of the time is left; read the candidates whose breach is near
    # (at most a day ahead: no SLA is shorter than its warning window) and test each.
    soon = list(ServiceRequest.objects.filter(open_q, resolve_by__gt=now, sla_warned_at__isnull=True,
                                              resolve_by__lte=now + timedelta(days=30))
                .select_related("assignee", "customer").order_by("resolve_by")[:2000])
    for request in soon:
        if warn_at(request) > now:
            continue
        with transaction.atomic():
            if not ServiceRequest.objects.filter(pk=request.pk, sla_warned_at__isnull=True).update(sla_warned_at=now):
                continue
            people = [request.assignee_id] if request.assignee_id else _managers_for(request)
            notify(recipients=people, event="service.request_sla_warning", obj=request,
                   context=_message_context(request))
            sent["warned"] += 1
    return sent
