"""Complaints through their services: recording, the full workflow with what each step needs, the
follow-up hook, compensation limits and approval, the SLA alarms (once each), the anticipation flag."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import ObjectChange
from core import registry
from service import services_complaints as svc
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import ApprovalDecision, Complaint, ComplaintStep, FailureFlag
from work.models import Notification

pytestmark = pytest.mark.django_db

DATA = {"channel": "phone", "category": "billing", "severity": "high", "description": "手续费扣错了",
        "wanted": "退还多扣的费用"}


def _complaint(actor, customer, **extra):
    return svc.complaint_create(actor=actor, customer_id=customer.pk, data={**DATA, **extra})


def _walk(actor, complaint, *states, **kwargs):
    for state in states:
        complaint = svc.complaint_advance(actor=actor, complaint_id=complaint.pk, to_state=state,
                                          **kwargs.get(state, {}))
    return complaint


def test_create_sets_deadlines_step_audit_and_flag(sales_a, customer_a):
    c = _complaint(sales_a, customer_a)
    assert c.state == S.RECEIVED and c.owner == sales_a
    assert c.received_at < c.ack_warn_at < c.acknowledge_by <= c.resolve_by
    assert ComplaintStep.objects.filter(complaint=c, to_state=S.RECEIVED, actor=sales_a).exists()
    assert ObjectChange.objects.filter(object_id=str(c.pk), action="create").exists()
    assert FailureFlag.objects.get(customer=customer_a).sources.split(",") == ["complaint"]


def test_other_team_cannot_record_or_advance(sales_b, sales_a, customer_a):
    with pytest.raises(Exception):  # noqa: B017 - out of scope: not found
        _complaint(sales_b, customer_a)
    c = _complaint(sales_a, customer_a)
    with pytest.raises(Exception):  # noqa: B017 - out of scope: not found
        svc.complaint_advance(actor=sales_b, complaint_id=c.pk, to_state=S.ACKNOWLEDGED)
    assert Complaint.objects.get(pk=c.pk).state == S.RECEIVED


def test_order_of_another_customer_refused(sales_a, customer_a, make_customer):
    from commerce.models import Order

    other = make_customer(sales_a, name="王芳")
    order = Order.objects.create(customer=other)
    with pytest.raises(ValidationError) as refused:
        _complaint(sales_a, customer_a, order=order)
    assert "order" in refused.value.message_dict
    assert not Complaint.objects.exists()


def test_full_workflow_records_every_step_and_needs_its_facts(sales_a, customer_a):
    c = _complaint(sales_a, customer_a)
    c = _walk(sales_a, c, S.ACKNOWLEDGED, S.INVESTIGATING)
    assert c.acknowledged_at is not None and c.minutes_to_acknowledge is not None
    with pytest.raises(ValidationError, match="recovery action"):
        svc.complaint_advance(actor=sales_a, complaint_id=c.pk, to_state=S.RESOLVED)
    c = _walk(sales_a, c, S.RESOLVED, S.INFORMED, **{S.RESOLVED: {"recovery_action": "refund"}})
    with pytest.raises(ValidationError, match="customer felt"):
        svc.complaint_advance(actor=sales_a, complaint_id=c.pk, to_state=S.FOLLOWED_UP)
    c = _walk(sales_a, c, S.FOLLOWED_UP, **{S.FOLLOWED_UP: {"reaction": "satisfied"}})
    with pytest.raises(ValidationError, match="root cause"):
        svc.complaint_advance(actor=sales_a, complaint_id=c.pk, to_state=S.CLOSED)
    c = _walk(sales_a, c, S.CLOSED, **{S.CLOSED: {"root_cause": "process", "note": "流程已改"}})
    assert c.closed_at is not None and c.resolved_at is not None
    steps = list(ComplaintStep.objects.filter(complaint=c).values_list("from_state", "to_state"))
    assert steps == [("", S.RECEIVED), (S.RECEIVED, S.ACKNOWLEDGED), (S.ACKNOWLEDGED, S.INVESTIGATING),
                     (S.INVESTIGATING, S.RESOLVED), (S.RESOLVED, S.INFORMED), (S.INFORMED, S.FOLLOWED_UP),
                     (S.FOLLOWED_UP, S.CLOSED)]


def test_forbidden_jump_refused_and_nothing_changes(sales_a, customer_a):
    c = _complaint(sales_a, customer_a)
    with pytest.raises(ValidationError) as refused:
        svc.complaint_advance(actor=sales_a, complaint_id=c.pk, to_state=S.CLOSED, root_cause="staff")
    assert "Acknowledged" in refused.value.message_dict["to_state"][0]
    c.refresh_from_db()
    assert c.state == S.RECEIVED and c.root_cause == ""
    assert ComplaintStep.objects.filter(complaint=c).count() == 1


def test_reopen_restarts_the_resolve_clock(sales_a, customer_a):
    # Received two weeks ago: its first deadline is long past; reopened now, it is due again from now
    # (in business time, so a complaint received and reopened in the same night would be due alike).
    received = timezone.now() - timedelta(days=14)
    c = _walk(sales_a, _complaint(sales_a, customer_a, received_at=received), S.ACKNOWLEDGED, S.INVESTIGATING,
              S.RESOLVED,
              **{S.RESOLVED: {"recovery_action": "apology"}})
    old_resolve_by = c.resolve_by
    c = svc.complaint_advance(actor=sales_a, complaint_id=c.pk, to_state=S.INVESTIGATING, note="客户仍不满意")
    assert c.state == S.INVESTIGATING and c.resolved_at is None
    assert c.resolve_by > old_resolve_by


def test_followup_hook_is_called_once_with_the_complaint(sales_a, customer_a):
    seen = []

    def hook(*, complaint, actor):
        seen.append((complaint.pk, complaint.state, actor.pk))

    registry.add(svc.FOLLOWUP_HOOK, hook)
    try:
        c = _walk(sales_a, _complaint(sales_a, customer_a), S.ACKNOWLEDGED, S.INVESTIGATING, S.RESOLVED, S.INFORMED,
                  **{S.RESOLVED: {"recovery_action": "fix"}})
        assert seen == []
        _walk(sales_a, c, S.FOLLOWED_UP, **{S.FOLLOWED_UP: {"reaction": "neutral"}})
        assert seen == [(c.pk, S.FOLLOWED_UP, sales_a.pk)]
    finally:
        registry._lists[svc.FOLLOWUP_HOOK].remove(hook)


def test_compensation_within_limit_is_granted_at_once(service_a, customer_a):
    c = _complaint(service_a, customer_a)
    assert svc.compensation_grant(actor=service_a, complaint_id=c.pk, amount=Decimal("300")) is None
    c.refresh_from_db()
    assert c.compensation == Decimal("300") and c.recovery_action == "compensation"


def test_compensation_above_limit_goes_to_the_manager(service_a, manager_a, customer_a, admin_user):
    svc.compensation_limit_set(actor=admin_user, role="service", limit=Decimal("100"))
    c = _complaint(service_a, customer_a)
    approval = svc.compensation_grant(actor=service_a, complaint_id=c.pk, amount=Decimal("800"), reason="退货损失")
    assert approval is not None and approval.decision == ApprovalDecision.PENDING
    c.refresh_from_db()
    assert c.compensation is None
    assert Notification.objects.filter(recipient=manager_a, event="service.compensation_requested").exists()
    with pytest.raises(ValidationError):  # resolving with compensation waits for the approval
        _walk(service_a, c, S.ACKNOWLEDGED, S.INVESTIGATING, S.RESOLVED,
              **{S.RESOLVED: {"recovery_action": "compensation"}})
    with pytest.raises(PermissionDenied):
        svc.compensation_decide(actor=service_a, approval_id=approval.pk, approve=True)
    svc.compensation_decide(actor=manager_a, approval_id=approval.pk, approve=True, note="同意")
    c.refresh_from_db()
    assert c.compensation == Decimal("800")
    assert Notification.objects.filter(recipient=service_a, event="service.compensation_decided").exists()
    assert ObjectChange.objects.filter(object_id=str(approval.pk), action="update").exists()
    with pytest.raises(ValidationError, match="already decided"):
        svc.compensation_decide(actor=manager_a, approval_id=approval.pk, approve=False)


def test_declined_compensation_is_not_granted(service_a, manager_a, customer_a, admin_user):
    svc.compensation_limit_set(actor=admin_user, role="service", limit=Decimal("0"))
    c = _complaint(service_a, customer_a)
    approval = svc.compensation_grant(actor=service_a, complaint_id=c.pk, amount=Decimal("50"))
    svc.compensation_decide(actor=manager_a, approval_id=approval.pk, approve=False, note="不符合政策")
    c.refresh_from_db()
    assert c.compensation is None


def test_only_admin_sets_limits(manager_a):
    with pytest.raises(PermissionDenied):
        svc.compensation_limit_set(actor=manager_a, role="service", limit=Decimal("1"))


def test_sla_warning_then_escalation_each_once_with_email(sales_a, manager_a, customer_a, settings):
    team = sales_a.team
    team.manager = manager_a
    team.save()
    c = _complaint(sales_a, customer_a)
    assert svc.sla_sweep(now=c.received_at + timedelta(minutes=1)) == {"warned": 0, "escalated": 0}
    assert svc.sla_sweep(now=c.ack_warn_at + timedelta(seconds=1)) == {"warned": 1, "escalated": 0}
    assert svc.sla_sweep(now=c.ack_warn_at + timedelta(seconds=2)) == {"warned": 0, "escalated": 0}
    assert Notification.objects.filter(recipient=sales_a, event="service.complaint_sla_warning").count() == 1
    breach = c.acknowledge_by + timedelta(seconds=1)
    assert svc.sla_sweep(now=breach) == {"warned": 0, "escalated": 1}
    assert svc.sla_sweep(now=breach) == {"warned": 0, "escalated": 0}
    assert Notification.objects.filter(recipient=manager_a, event="service.complaint_sla_breach").count() == 1
    from work.outbox import send_due

    send_due()
    assert any(manager_a.email in m.to for m in mail.outbox) or manager_a.email == ""


def test_acknowledged_complaint_is_not_escalated_for_acknowledgement(sales_a, customer_a):
    c = _walk(sales_a, _complaint(sales_a, customer_a), S.ACKNOWLEDGED)
    assert svc.sla_sweep(now=c.acknowledge_by + timedelta(minutes=1))["escalated"] == 0


def test_flag_sources_open_complaint_and_refunded_order(sales_a, customer_a, make_customer):
    from service.selectors_complaints import failed_order_customers, recent_complaint_customers

    other = make_customer(sales_a, name="赵强")
    from commerce.models import Order

    Order.objects.create(customer=other, status="refunded", status_changed_at=timezone.now())
    _complaint(sales_a, customer_a)
    now = timezone.now()
    assert set(recent_complaint_customers(now).values_list("customer_id", flat=True)) == {customer_a.pk}
    assert set(failed_order_customers(now).values_list("customer_id", flat=True)) == {other.pk}
    assert svc.flag_refresh() == 2
    assert FailureFlag.objects.get(customer=other).sources == "order"
    # A month later, the order has aged out; the complaint is still open.
    assert svc.flag_refresh(now=now + timedelta(days=40)) == 1


def test_nightly_job_is_registered_and_refreshes_flags(sales_a, customer_a):
    from core.periodic import jobs
    from service.tasks_complaints import complaint_nightly_task

    assert "complaints_nightly" in {j.name for j in jobs()}
    _complaint(sales_a, customer_a)
    FailureFlag.objects.all().delete()
    assert complaint_nightly_task.call() == {"warned": 0, "escalated": 0, "flagged": 1}
    assert FailureFlag.objects.filter(customer=customer_a).exists()


def test_creating_hands_the_worker_the_next_alarm(sales_a, customer_a, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        c = _complaint(sales_a, customer_a)
    queued = DBTaskResult.objects.filter(task_path="service.tasks_complaints.complaint_sla_task").get()
    assert queued.run_after == c.ack_warn_at
