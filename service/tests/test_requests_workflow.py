"""Service requests through their services: entry with SLA due times, assignment and reassignment
(who, why, when; a reason is required to reassign), every allowed and forbidden status move, reopen,
"solved by article N" and the articles' solved counts, SLA warnings and escalations (each once), the
anticipation source, import of history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import ObjectChange
from service import sla
from service.anticipation import failure_sources
from service.models import Article, RequestAssignment, RequestStatus, RequestStatusChange, ServiceRequest
from service.services_knowledge import article_create
from service.services_requests import (
    REOPEN,
    TRANSITIONS,
    request_assign,
    request_create,
    request_set_status,
    request_update,
    sla_check,
)
from work.models import Notification

pytestmark = pytest.mark.django_db
S = RequestStatus


@pytest.fixture
def req(sales_a: Any, customer_a: Any) -> ServiceRequest:
    return request_create(actor=sales_a, customer_id=customer_a.pk,
                          data={"subject": "洗衣机显示E4错误", "category": "repair", "priority": "high"})


def test_entry_takes_its_due_times_from_the_sla(req: ServiceRequest, customer_a: Any) -> None:
    due = sla.deadlines(customer_id=customer_a.pk, subject="request", level="high", received_at=req.received_at)
    assert (req.acknowledge_by, req.resolve_by) == (due.acknowledge_by, due.resolve_by)
    assert req.status == S.NEW and req.assignee_id is None
    assert list(req.status_changes.values_list("from_status", "to_status")) == [("", S.NEW)]


def test_a_new_priority_sets_new_due_times(req: ServiceRequest, sales_a: Any) -> None:
    before = req.resolve_by
    changed = request_update(actor=sales_a, request_id=req.pk, data={"priority": "low"})
    assert changed.resolve_by > before


def test_another_team_cannot_enter_a_request_for_the_customer(sales_b: Any, customer_a: Any) -> None:
    with pytest.raises(PermissionDenied):
        request_create(actor=sales_b, customer_id=customer_a.pk, data={"subject": "x"})
    assert not ServiceRequest.objects.exists()


def test_assignment_is_recorded_and_tells_the_assignee(req: ServiceRequest, sales_a: Any, service_a: Any) -> None:
    request_assign(actor=sales_a, request_id=req.pk, assignee_id=service_a.pk)
    req.refresh_from_db()
    assert (req.status, req.assignee_id) == (S.ASSIGNED, service_a.pk)
    row = RequestAssignment.objects.get(request=req)
    assert (row.from_user_id, row.to_user_id, row.by_id, row.reason) == (None, service_a.pk, sales_a.pk, "")
    note = Notification.objects.get(recipient=service_a)
    assert note.event == "service.request_assigned" and "洗衣机显示E4错误" in note.title


def test_reassigning_needs_a_reason(req: ServiceRequest, sales_a: Any, service_a: Any, manager_a: Any) -> None:
    request_assign(actor=sales_a, request_id=req.pk, assignee_id=service_a.pk)
    with pytest.raises(ValidationError) as err:
        request_assign(actor=sales_a, request_id=req.pk, assignee_id=manager_a.pk, reason="  ")
    assert "reason" in err.value.message_dict
    req.refresh_from_db()
    assert req.assignee_id == service_a.pk and RequestAssignment.objects.count() == 1
    request_assign(actor=sales_a, request_id=req.pk, assignee_id=manager_a.pk, reason="service_a 休假")
    latest = RequestAssignment.objects.filter(request=req).order_by("-id").first()
    assert (latest.from_user_id, latest.to_user_id, latest.reason) == (service_a.pk, manager_a.pk, "service_a 休假")
    assert ObjectChange.objects.filter(object_id=req.pk, note="service_a 休假").exists()


def test_an_assignee_who_cannot_see_the_customer_is_refused(req: ServiceRequest, sales_a: Any, sales_b: Any) -> None:
    with pytest.raises(ValidationError) as err:
        request_assign(actor=sales_a, request_id=req.pk, assignee_id=sales_b.pk)
    assert "assignee" in err.value.message_dict


@pytest.mark.parametrize("start", [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED])
def test_every_move_is_allowed_or_refused_by_the_table(start: str, req: ServiceRequest, sales_a: Any) -> None:
    for wanted in S.values:
        ServiceRequest.objects.filter(pk=req.pk).update(status=start, resolved_at=None, closed_at=None)
        if wanted in TRANSITIONS[start]:
            moved = request_set_status(actor=sales_a, request_id=req.pk, status=wanted)
            assert moved.status == wanted
        else:
            with pytest.raises(ValidationError) as err:
                request_set_status(actor=sales_a, request_id=req.pk, status=wanted)
            assert "status" in err.value.message_dict
            assert ServiceRequest.objects.get(pk=req.pk).status == start


def test_resolve_close_reopen(req: ServiceRequest, sales_a: Any) -> None:
    request_set_status(actor=sales_a, request_id=req.pk, status=S.IN_PROGRESS)
    resolved = request_set_status(actor=sales_a, request_id=req.pk, status=S.RESOLVED, note="已更换排水泵")
    assert resolved.resolved_at is not None and resolved.acknowledged_at is not None
    closed = request_set_status(actor=sales_a, request_id=req.pk, status=S.CLOSED)
    assert closed.closed_at is not None
    with pytest.raises(ValidationError) as err:
        request_set_status(actor=sales_a, request_id=req.pk, status=REOPEN)
    assert "note" in err.value.message_dict
    reopened = request_set_status(actor=sales_a, request_id=req.pk, status=REOPEN, note="又报E4")
    assert (reopened.status, reopened.reopened_count, reopened.resolved_at, reopened.closed_at) == (
        S.NEW, 1, None, None)
    assert reopened.resolve_by > timezone.now()
    moves = list(RequestStatusChange.objects.filter(request=req).order_by("id").values_list("to_status", flat=True))
    assert moves == [S.NEW, S.IN_PROGRESS, S.RESOLVED, S.CLOSED, S.NEW]


def test_the_assignee_may_move_but_another_team_may_not(req: ServiceRequest, sales_a: Any, service_a: Any,
                                                        sales_b: Any) -> None:
    request_assign(actor=sales_a, request_id=req.pk, assignee_id=service_a.pk)
    assert request_set_status(actor=service_a, request_id=req.pk, status=S.IN_PROGRESS).status == S.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        request_set_status(actor=sales_b, request_id=req.pk, status=S.RESOLVED)


def test_solved_by_article_counts(sales_a: Any, customer_a: Any) -> None:
    article = article_create(actor=sales_a, data={"problem": "洗衣机显示E4错误代码", "solution": "清理过滤器",
                                                  "category": "repair", "language": "zh-hans"}, publish=True)
    draft = article_create(actor=sales_a, data={"problem": "草稿", "solution": "未发布", "category": "repair",
                                                "language": "zh-hans"})
    requests = [request_create(actor=sales_a, customer_id=customer_a.pk, data={"subject": f"E4 {i}"})
                for i in range(3)]
    with pytest.raises(ValidationError):
        request_set_status(actor=sales_a, request_id=requests[0].pk, status=S.RESOLVED, solved_by_article_id=draft.pk)
    with pytest.raises(ValidationError):
        request_set_status(actor=sales_a, request_id=requests[0].pk, status=S.WAITING, solved_by_article_id=article.pk)
    for r in requests[:2]:
        request_set_status(actor=sales_a, request_id=r.pk, status=S.CLOSED, solved_by_article_id=article.pk)
    request_set_status(actor=sales_a, request_id=requests[2].pk, status=S.RESOLVED, solved_by_article_id=article.pk)
    assert Article.objects.get(pk=article.pk).solved_count == 3
    request_set_status(actor=sales_a, request_id=requests[2].pk, status=REOPEN, note="没解决")
    assert Article.objects.get(pk=article.pk).solved_count == 2
    assert ServiceRequest.objects.get(pk=requests[2].pk).solved_by_article_id is None


def test_sla_warning_then_escalation_each_once(req: ServiceRequest, sales_a: Any, service_a: Any,
                                                 manager_a: Any, team_a: Any) -> None:
    team_a.manager = manager_a
    team_a.save()
    request_assign(actor=sales_a, request_id=req.pk, assignee_id=service_a.pk)
    req.refresh_from_db()
    early = req.received_at + timedelta(minutes=5)
    assert sla_check(now=early) == {"warned": 0, "escalated": 0}
    near = req.resolve_by - timedelta(minutes=10)
    assert sla_check(now=near) == {"warned": 1, "escalated": 0}
    assert sla_check(now=near) == {"warned": 0, "escalated": 0}
    assert Notification.objects.filter(recipient=service_a, event="service.request_sla_warning").count() == 1
    late = req.resolve_by + timedelta(minutes=1)
    assert sla_check(now=late) == {"warned": 0, "escalated": 1}
    assert sla_check(now=late + timedelta(hours=1)) == {"warned": 0, "escalated": 0}
    assert Notification.objects.filter(recipient=manager_a, event="service.request_sla_breached").count() == 1
    assert Notification.objects.filter(recipient=service_a, event="service.request_sla_breached").count() == 1


def test_a_closed_request_is_never_escalated(req: ServiceRequest, sales_a: Any) -> None:
    request_set_status(actor=sales_a, request_id=req.pk, status=S.CLOSED)
    assert sla_check(now=req.resolve_by + timedelta(days=1)) == {"warned": 0, "escalated": 0}


def test_overdue_requests_flag_their_customers(req: ServiceRequest, sales_a: Any, customer_a: Any) -> None:
    (source,) = [s for s in failure_sources() if s.key == "overdue_service_request"]
    assert not source.customers(timezone.now()).filter(customer_id=customer_a.pk).exists()
    later = req.resolve_by + timedelta(minutes=1)
    assert source.customers(later).filter(customer_id=customer_a.pk).exists()
    request_set_status(actor=sales_a, request_id=req.pk, status=S.RESOLVED)
    assert not source.customers(later).filter(customer_id=customer_a.pk).exists()


def test_the_cards_timeline_shows_requests_and_their_moves(req: ServiceRequest, sales_a: Any, sales_b: Any,
                                                           customer_a: Any) -> None:
    from core.timeline import timeline_actions, timeline_page

    request_set_status(actor=sales_a, request_id=req.pk, status=S.IN_PROGRESS, note="已联系客户")
    entries = timeline_page(user=sales_a, customer_id=customer_a.pk,
                            kinds=["service_request", "service_request_status"]).entries
    assert [(e.kind, e.pk) for e in entries][:2] == [("service_request_status", req.status_changes.first().pk),
                                                     ("service_request", req.pk)]
    assert "已联系客户" in entries[0].detail and entries[1].url.endswith(f"/service/requests/{req.pk}/")
    assert timeline_page(user=sales_b, customer_id=customer_a.pk, kinds=["service_request"]).entries == []
    actions = timeline_actions(user=sales_a, customer_id=customer_a.pk, can_change=True)
    assert any(a.url.endswith(f"/service/requests/new/?customer={customer_a.pk}") for a in actions)
