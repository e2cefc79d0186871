"""Complaints (D6): the only writers — record, edit, advance through the workflow, grant and
approve compensation, the SLA alarms, and the stored anticipation flag."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from commerce.models import Order, Product
from core import registry
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer
from customers.records.base import RecordKind, soft_delete
from interactions.models import Interaction
from service import complaint_workflow as workflow
from service import sla
from service.choices import SlaSubject
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import (
    ApprovalDecision,
    CompensationApproval,
    CompensationLimit,
    Complaint,
    ComplaintStep,
    FailureFlag,
    RecoveryAction,
)

# What the record/edit forms and the API may set directly; the state and its dates move only by
# complaint_advance, the compensation only by compensation_grant / compensation_decide.
COMPLAINT_FIELDS = ["channel", "category", "severity", "order", "product", "description", "wanted", "owner",
                    "received_at"]
EDIT_FIELDS = ["channel", "category", "severity", "order", "product", "description", "wanted", "owner"]

# The follow-up hook (contract): every function added under this name is called as
# `fn(complaint=<Complaint>, actor=<User>)` inside the transaction that records the follow-up step
# (state "followed_up"), so that e.g. the surveys app sends the satisfaction survey with it; an
# exception refuses the step.
FOLLOWUP_HOOK = "service.complaint_followup"

# Default compensation limits per role (CNY), until an administrator sets one (CompensationLimit);
# None means no limit.
DEFAULT_LIMITS: dict[str, Decimal | None] = {
    Role.ADMIN: None,
    Role.MANAGER: Decimal("5000"),
    Role.SALES: Decimal("200"),
    Role.SERVICE: Decimal("500"),
    Role.ANALYST: Decimal("0"),
}


def warn_share() -> float:
    """The share of an SLA's business time after which the warning goes (KEHU_COMPLAINT_SLA_WARN_PERCENT)."""
    return min(max(int(getattr(settings, "KEHU_COMPLAINT_SLA_WARN_PERCENT", 80)), 1), 99) / 100


def warn_point(start: datetime, deadline: datetime) -> datetime:
    """The first minute at which `warn_share()` of the business time from `start` to `deadline` has
    passed: searched with the SLA contract's business_minutes_between (monotone in the end)."""
    total = sla.business_minutes_between(start=start, end=deadline)
    if total <= 0:
        return deadline
    goal = total * warn_share()
    low, high = 0, int((deadline - start).total_seconds() // 60)
    while low < high:
        mid = (low + high) // 2
        if sla.business_minutes_between(start=start, end=start + timedelta(minutes=mid)) >= goal:
            high = mid
        else:
            low = mid + 1
    return start + timedelta(minutes=low)


def set_deadlines(complaint: Complaint, *, clocks: tuple[str, ...] = ("acknowledge", "resolve"),
                  start: datetime | None = None) -> None:
    """The SLA deadlines (service.sla.deadlines) and warning points of a complaint, from `start`
    (its receipt by default; a reopen restarts the resolve clock from the reopening)."""
    start = start or complaint.received_at
    due = sla.deadlines(customer_id=complaint.customer_id, subject=SlaSubject.COMPLAINT, level=complaint.severity,
                        received_at=start)
    if "acknowledge" in clocks:
        complaint.acknowledge_by = due.acknowledge_by
        complaint.ack_warn_at = warn_point(start, due.acknowledge_by)
        complaint.ack_warned_at = complaint.ack_escalated_at = None
    if "resolve" in clocks:
        complaint.resolve_by = due.resolve_by
        complaint.resolve_warn_at = warn_point(start, due.resolve_by)
        complaint.resolve_warned_at = complaint.resolve_escalated_at = None


def _check_links(complaint: Complaint) -> None:
    """The order and the interaction must be the customer's own; owner an active user who sees them."""
    errors: dict[str, str] = {}
    if complaint.order_id is not None and not Order.objects.filter(
            pk=complaint.order_id, customer_id=complaint.customer_id, deleted_at__isnull=True).exists():
        errors["order"] = _("The order is not one of this customer's orders.")
    if complaint.product_id is not None and not Product.objects.filter(pk=complaint.product_id).exists():
        errors["product"] = _("No such product.")
    if complaint.interaction_id is not None and not Interaction.objects.filter(
            pk=complaint.interaction_id, customer_id=complaint.customer_id, deleted_at__isnull=True).exists():
        errors["interaction"] = _("The interaction is not one of this customer's interactions.")
    if complaint.owner_id is not None:
        owner = User.objects.filter(pk=complaint.owner_id, is_active=True).first()
        if owner is None or not Customer.objects.restrict(owner, "view").filter(pk=complaint.customer_id).exists():
            errors["owner"] = _("The owner must be an active user who sees this customer.")
    if complaint.received_at and complaint.received_at > timezone.now() + timedelta(minutes=5):
        errors["received_at"] = _("A complaint cannot be received in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def complaint_create(*, actor: User, customer_id: int, data: Mapping[str, Any],
                     interaction_id: int | None = None) -> Complaint:
    """Record a complaint of a customer the actor may change; its SLA deadlines are set now."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    complaint = Complaint(customer=customer, created_by=actor, owner=actor, interaction_id=interaction_id)
    apply_fields(complaint, data, COMPLAINT_FIELDS)
    if complaint.received_at is None:
        complaint.received_at = timezone.now()
    if complaint.owner_id is None:
        complaint.owner = actor
    set_deadlines(complaint)
    complaint.full_clean(exclude=["customer"])
    _check_links(complaint)
    complaint.save()
    ComplaintStep.objects.create(complaint=complaint, from_state="", to_state=S.RECEIVED, actor=actor,
                                 at=complaint.received_at)
    change_record(user=actor, instance=complaint, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(complaint, COMPLAINT_FIELDS + ["state"]))
    flag_refresh(customer_ids=[customer.pk])
    _schedule_alarm(complaint)
    return complaint


@transaction.atomic
def complaint_update(*, actor: User, complaint_id: int, data: Mapping[str, Any],
                     expected_version: str | Iterable[str] | None = None) -> Complaint:
    """Change what a complaint says (not its state: complaint_advance); a new severity re-sets the
    deadlines of the clocks still running."""
    complaint = get_scoped(Complaint.objects.select_for_update(), actor, "change", complaint_id)
    check_version(complaint, expected_version)
    before = field_values(complaint, EDIT_FIELDS)
    apply_fields(complaint, data, EDIT_FIELDS)
    complaint.full_clean(exclude=["customer"])
    _check_links(complaint)
    changes = diff_values(before, field_values(complaint, EDIT_FIELDS))
    if "severity" in changes:
        running = tuple(c for c, done in (("acknowledge", complaint.acknowledged_at),
                                          ("resolve", complaint.resolved_at)) if done is None)
        set_deadlines(complaint, clocks=running)
    if changes:
        complaint.save()
        change_record(user=actor, instance=complaint, action=ChangeAction.UPDATE, customer_id=complaint.customer_id,
                      changes=changes)
        _schedule_alarm(complaint)
    return complaint


@transaction.atomic
def complaint_delete(*, actor: User, complaint_id: int) -> Complaint:
    complaint = soft_delete(Complaint, actor=actor, pk=complaint_id)
    flag_refresh(customer_ids=[complaint.customer_id])
    return complaint


COMPLAINTS = RecordKind(model=Complaint, id_kwarg="complaint_id", create=complaint_create, update=complaint_update,
                        delete=complaint_delete)


# --- The workflow ------------------------------------------------------------------------------------

ADVANCE_FIELDS = ["state", "acknowledged_at", "resolved_at", "closed_at", "recovery_action", "reaction",
                  "reaction_note", "root_cause", "resolve_by"]


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ValidationError({field: message})


@transaction.atomic
def complaint_advance(*, actor: User, complaint_id: int, to_state: str, note: str = "",
                      recovery_action: str | None = None, reaction: str | None = None, reaction_note: str | None = None,
                      root_cause: str | None = None, expected_version: str | Iterable[str] | None = None) -> Complaint:
    """Move a complaint one step (complaint_workflow): records who and when (ComplaintStep) and the
    step's facts — the recovery action on resolving, the customer's reaction at the follow-up (which
    fires the follow-up hook), the root cause on closing. A reopen restarts the resolve clock.
    A step the workflow does not allow is a ValidationError on `to_state` naming the allowed ones."""
    complaint = get_scoped(Complaint.objects.select_for_update(), actor, "change", complaint_id)
    check_version(complaint, expected_version)
    from_state = complaint.state
    try:
        workflow.check(from_state, to_state)
    except workflow.TransitionRefused as refused:
        raise ValidationError({"to_state": refused.message}) from None
    before = field_values(complaint, ADVANCE_FIELDS)
    now = timezone.now()
    if recovery_action is not None:
        complaint.recovery_action = recovery_action
    if reaction is not None:
        complaint.reaction = reaction
    if reaction_note is not None:
        complaint.reaction_note = reaction_note
    if root_cause is not None:
        complaint.root_cause = root_cause
    if workflow.is_reopen(from_state, to_state):
        complaint.resolved_at = complaint.closed_at = None
        set_deadlines(complaint, clocks=("resolve",), start=now)
    elif to_state == S.ACKNOWLEDGED:
        complaint.acknowledged_at = now
        complaint.minutes_to_acknowledge = sla.business_minutes_between(start=complaint.received_at, end=now)
    elif to_state == S.RESOLVED:
        _require(bool(complaint.recovery_action), "recovery_action",
                 _("Say how the complaint was resolved (the recovery action)."))
        if complaint.recovery_action == RecoveryAction.COMPENSATION:
            _require(complaint.compensation is not None, "recovery_action",
                     _("Grant the compensation first (or have it approved) before resolving with it."))
        complaint.resolved_at = now
        complaint.minutes_to_resolve = sla.business_minutes_between(start=complaint.received_at, end=now)
    elif to_state == S.FOLLOWED_UP:
        _require(bool(complaint.reaction), "reaction", _("Record how the customer felt about the handling."))
    elif to_state == S.CLOSED:
        _require(bool(complaint.root_cause), "root_cause", _("Name the root cause before closing the complaint."))
        complaint.closed_at = now
    complaint.state = to_state
    complaint.full_clean(exclude=["customer"])
    complaint.save()
    ComplaintStep.objects.create(complaint=complaint, from_state=from_state, to_state=to_state, actor=actor, at=now,
                                 note=note[:1000])
    change_record(user=actor, instance=complaint, action=ChangeAction.UPDATE, customer_id=complaint.customer_id,
                  changes=diff_values(before, field_values(complaint, ADVANCE_FIELDS)), note=note[:200])
    if to_state == S.FOLLOWED_UP:
        for hook in registry.get_all(FOLLOWUP_HOOK):
            hook(complaint=complaint, actor=actor)
    flag_refresh(customer_ids=[complaint.customer_id])
    _schedule_alarm(complaint)
    return complaint


# --- Compensation: the front line's power, and the manager's approval above it -----------------------

def compensation_limit(user: User) -> Decimal | None:
    """How much `user` may grant at once (None: no limit): the administrator's setting for the role,
    else DEFAULT_LIMITS."""
    role = user.effective_role
    stored = CompensationLimit.objects.filter(role=role).values_list("limit", flat=True).first()
    return stored if stored is not None else DEFAULT_LIMITS.get(role, Decimal("0"))


def may_grant(user: User, amount: Decimal) -> bool:
    limit = compensation_limit(user)
    return limit is None or amount <= limit


def compensation_limits() -> list[tuple[str, Any, Decimal | None]]:
    """(role, label, limit) of every role, as in force."""
    stored = dict(CompensationLimit.objects.values_list("role", "limit"))
    return [(role, label, stored.get(role, DEFAULT_LIMITS.get(role))) for role, label in Role.choices]


@transaction.atomic
def compensation_limit_set(*, actor: User, role: str, limit: Decimal | None) -> None:
    """An administrator sets (or, with None, resets to the default) a role's limit."""
    if actor.effective_role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator sets compensation limits."))
    if role not in Role.values:
        raise ValidationError({"role": _("No such role.")})
    if limit is not None and limit < 0:
        raise ValidationError({"limit": _("A limit cannot be negative.")})
    row = CompensationLimit.objects.filter(role=role).first()
    before = {"limit": str(row.limit) if row else None}
    if limit is None:
        CompensationLimit.objects.filter(role=role).delete()
        return
    row, _created = CompensationLimit.objects.update_or_create(role=role, defaults={"limit": limit})
    change_record(user=actor, instance=row, action=ChangeAction.UPDATE,
                  changes={"limit": [before["limit"], str(limit)]})


def approvers_for(user: User) -> list[int]:
    """Who decides a compensation above `user`'s limit (and hears of an SLA breach): the manager of
    the user's team, else the team's members of the manager role, else the administrators."""
    manager_id = user.team.manager_id if user.team_id and user.team else None
    if manager_id and manager_id != user.pk:
        return [manager_id]
    if user.team_id:  # a team without a named manager: its members of the manager role
        managers = list(User.objects.filter(team_id=user.team_id, role=Role.MANAGER, is_active=True)
                        .exclude(pk=user.pk).values_list("pk", flat=True))
        if managers:
            return managers
    return list(User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
                .exclude(pk=user.pk).values_list("pk", flat=True))


def _money_context(complaint: Complaint, amount: Decimal, actor: User) -> dict[str, Any]:
    return {"item": {"title": str(complaint), "amount": f"{amount:,.2f}"}, "actor": {"name": str(actor)}}


@transaction.atomic
def compensation_grant(
    *, actor: User, complaint_id: int, amount: Decimal, reason: str = ""
) -> CompensationApproval | None:
    """Grant compensation on a complaint: within the actor's limit at once (None is returned);
    above it, a CompensationApproval is asked of a manager (returned, and the approvers notified)."""
    from work.services_notifications import notify

    complaint = get_scoped(Complaint.objects.select_for_update(), actor, "change", complaint_id)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    if complaint.state in (S.CLOSED,):
        raise ValidationError({"amount": _("The complaint is closed; reopen it first.")})
    if may_grant(actor, amount):
        before = field_values(complaint, ["compensation", "recovery_action"])
        complaint.compensation = amount
        complaint.recovery_action = RecoveryAction.COMPENSATION
        complaint.save(update_fields=["compensation", "recovery_action", "updated_at"])
        change_record(user=actor, instance=complaint, action=ChangeAction.UPDATE, customer_id=complaint.customer_id,
                      changes=diff_values(before, field_values(complaint, ["compensation", "recovery_action"])),
                      note=reason[:200])
        return None
    if CompensationApproval.objects.filter(complaint=complaint, decision=ApprovalDecision.PENDING).exists():
        raise ValidationError({"amount": _("A compensation of this complaint already waits for approval.")})
    approval = CompensationApproval.objects.create(complaint=complaint, amount=amount, reason=reason[:500],
                                                   requested_by=actor)
    change_record(user=actor, instance=approval, action=ChangeAction.CREATE, customer_id=complaint.customer_id,
                  changes={"amount": [None, str(amount)], "decision": [None, ApprovalDecision.PENDING]})
    notify(recipients=approvers_for(actor), event="service.compensation_requested", obj=complaint, actor=actor,
           context=_money_context(complaint, amount, actor))
    return approval


@transaction.atomic
def compensation_decide(*, actor: User, approval_id: int, approve: bool, note: str = "") -> CompensationApproval:
    """A manager approves or declines a pending compensation: an approval grants it on the complaint
    (within the approver's own limit); the requester is told either way; audited."""
    from work.services_notifications import notify

    approval = get_scoped(CompensationApproval.objects.select_for_update().select_related("complaint"), actor,
                          "change", approval_id)
    if approval.decision != ApprovalDecision.PENDING:
        raise ValidationError({"decision": _("This request was already decided.")})
    if approval.requested_by_id == actor.pk:
        raise PermissionDenied(_("A compensation is approved by someone other than who asked for it."))
    if actor.effective_role not in (Role.ADMIN, Role.MANAGER) or not may_grant(actor, approval.amount):
        raise PermissionDenied(_("The amount is above what you may approve."))
    approval.decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.DECLINED
    approval.approver = actor
    approval.decided_at = timezone.now()
    approval.decision_note = note[:500]
    approval.save()
    complaint = Complaint.objects.select_for_update().get(pk=approval.complaint_id)
    if approve:
        complaint.compensation = approval.amount
        complaint.recovery_action = RecoveryAction.COMPENSATION
        complaint.save(update_fields=["compensation", "recovery_action", "updated_at"])
    change_record(user=actor, instance=approval, action=ChangeAction.UPDATE, customer_id=complaint.customer_id,
                  changes={"decision": [ApprovalDecision.PENDING, approval.decision]}, note=note[:200])
    if approval.requested_by_id:
        notify(recipients=[approval.requested_by_id], event="service.compensation_decided", obj=complaint,
               actor=actor, context={**_money_context(complaint, approval.amount, actor),
                                     "decision": str(approval.get_decision_display()), "note": note[:500]})
    return approval


# --- SLA alarms: the warning before a breach, the escalation at it (each once) ---------------------

def _next_alarm(complaint: Complaint) -> datetime | None:
    """When this complaint's next SLA alarm is due (None: none left)."""
    if complaint.deleted_at is not None or complaint.state not in workflow.OPEN_STATES:
        return None
    times = []
    if complaint.acknowledged_at is None:
        times += [t for t, sent in ((complaint.ack_warn_at, complaint.ack_warned_at),
                                    (complaint.acknowledge_by, complaint.ack_escalated_at)) if t and not sent]
    times += [t for t, sent in ((complaint.resolve_warn_at, complaint.resolve_warned_at),
                                (complaint.resolve_by, complaint.resolve_escalated_at)) if t and not sent]
    return min(times) if times else None


def _schedule_alarm(complaint: Complaint) -> None:
    """Hand the worker the complaint's next alarm time, after the commit (the sweep is idempotent, so an
    early or doubled run does no harm; the daily job catches a lost one)."""
    when = _next_alarm(complaint)
    if when is None:
        return
    from service.tasks_complaints import enqueue_sla_sweep

    transaction.on_commit(lambda: enqueue_sla_sweep(run_after=when))


def _escalation_recipients(complaint: Complaint) -> list[int]:
    """The manager of the owner's team, else the administrators: who hears of a breach."""
    owner = complaint.owner
    if owner is not None:
        return approvers_for(owner)
    return list(User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
                .values_list("pk", flat=True))


def _alarm_context(complaint: Complaint, clock: str, deadline: datetime) -> dict[str, Any]:
    clock_label = _("acknowledge") if clock == "ack" else _("resolve")
    return {"item": {"title": str(complaint), "clock": clock_label, "severity": complaint.get_severity_display(),
                     "due": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}}


def sla_sweep(now: datetime | None = None) -> dict[str, int]:
    """Send every SLA alarm due at `now`: the warning to the owner, and at the breach the escalation
    (in-app and e-mail) to the manager. Each alarm is claimed by one conditional UPDATE before it is
    sent, so concurrent or repeated runs send it once. Returns how many of each were sent."""
    from work.services_notifications import notify

    now = now or timezone.now()
    alive = Q(deleted_at__isnull=True, state__in=workflow.OPEN_STATES)
    plans = [
        ("ack", "warned", Q(acknowledged_at__isnull=True, ack_warned_at__isnull=True, ack_warn_at__lte=now,
                            acknowledge_by__gt=now), "ack_warned_at", "acknowledge_by"),
        ("ack", "escalated", Q(acknowledged_at__isnull=True, ack_escalated_at__isnull=True, acknowledge_by__lte=now),
         "ack_escalated_at", "acknowledge_by"),
        ("resolve", "warned", Q(resolved_at__isnull=True, resolve_warned_at__isnull=True, resolve_warn_at__lte=now,
                                resolve_by__gt=now), "resolve_warned_at", "resolve_by"),
        ("resolve", "escalated", Q(resolved_at__isnull=True, resolve_escalated_at__isnull=True,
                                   resolve_by__lte=now), "resolve_escalated_at", "resolve_by"),
    ]
    sent = {"warned": 0, "escalated": 0}
    for clock, kind, due, flag, deadline_field in plans:
        ids = list(Complaint.objects.filter(alive & due).values_list("pk", flat=True)[:5000])
        for pk in ids:
            with transaction.atomic():
                if not Complaint.objects.filter(Q(pk=pk) & due).update(**{flag: now}):
                    continue  # another run claimed it
                complaint = Complaint.objects.select_related("owner__team").get(pk=pk)
                context = _alarm_context(complaint, clock, getattr(complaint, deadline_field))
                if kind == "warned":
                    if complaint.owner_id:
                        notify(recipients=[complaint.owner_id], event="service.complaint_sla_warning",
                               obj=complaint, context=context)
                else:
                    recipients = {*_escalation_recipients(complaint), *([complaint.owner_id] if complaint.owner_id
                                                                        else [])}
                    notify(recipients=sorted(recipients), event="service.complaint_sla_breach", obj=complaint,
                           context=context)
                sent[kind] += 1
                _schedule_alarm(complaint)
    return sent


# --- Anticipation: the stored flag ----------------------------------------------------------------

def failures_of(customer_ids: Iterable[int] | None = None, now: datetime | None = None) -> dict[int, list[str]]:
    """customer id → keys of the failure sources (service.anticipation) that flag them now; every
    flagged customer when `customer_ids` is None. One query per source."""
    from service.anticipation import failure_sources

    now = now or timezone.now()
    wanted = None if customer_ids is None else list(customer_ids)
    found: dict[int, list[str]] = {}
    for source in failure_sources():
        rows = source.customers(now)
        if wanted is not None:
            rows = rows.filter(customer_id__in=wanted)
        for cid in rows.values_list("customer_id", flat=True).distinct().order_by():
            found.setdefault(cid, []).append(source.key)
    return found


def flag_refresh(*, customer_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Bring the stored flags (FailureFlag) up to date: of the given customers, or of everyone (the
    nightly job). Set-based: one query per source, one delete, one bulk insert. Returns the count flagged."""
    now = now or timezone.now()
    ids = None if customer_ids is None else list(customer_ids)
    found = failures_of(ids, now)
    stale = FailureFlag.objects.all() if ids is None else FailureFlag.objects.filter(customer_id__in=ids)
    stale.delete()
    FailureFlag.objects.bulk_create(
        [FailureFlag(customer_id=cid, sources=",".join(keys), refreshed_at=now) for cid, keys in found.items()],
        batch_size=5000)
    return len(found)
