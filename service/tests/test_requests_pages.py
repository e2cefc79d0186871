"""Service request pages: quick entry with the header search's customer finder, the dispatch board (counts
per person, columns in due order, "more", assign and reassign over htmx with the reason required), the
list's filters, the request's page with its order, the reports, the export, and their query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.testing import assert_query_baseline
from service.models import RequestAssignment, RequestStatus, ServiceRequest
from service.selectors_requests import COLUMN_SIZE, dispatch_board
from service.services_requests import request_assign, request_create, request_set_status

pytestmark = pytest.mark.django_db


def _requests(actor: Any, customer: Any, n: int, **data: Any) -> list[ServiceRequest]:
    return [request_create(actor=actor, customer_id=customer.pk, data={"subject": f"报修 {i}", **data})
            for i in range(n)]


@pytest.fixture
def board_data(sales_a: Any, service_a: Any, manager_a: Any, customer_a: Any) -> dict[str, Any]:
    """12 unassigned, 3 for service_a (one overdue), 2 for manager_a, 1 closed."""
    unassigned = _requests(sales_a, customer_a, COLUMN_SIZE + 2)
    mine = _requests(sales_a, customer_a, 3, priority="urgent")
    for r in mine:
        request_assign(actor=sales_a, request_id=r.pk, assignee_id=service_a.pk)
    ServiceRequest.objects.filter(pk=mine[0].pk).update(resolve_by=timezone.now() - timedelta(hours=1))
    managers = _requests(sales_a, customer_a, 2, priority="low")
    for r in managers:
        request_assign(actor=sales_a, request_id=r.pk, assignee_id=manager_a.pk)
    closed = _requests(sales_a, customer_a, 1)[0]
    request_set_status(actor=sales_a, request_id=closed.pk, status=RequestStatus.CLOSED)
    return {"unassigned": unassigned, "service_a": mine, "manager_a": managers}


def test_board_counts_and_columns(sales_a: Any, sales_b: Any, service_a: Any, manager_a: Any,
                                  board_data: dict[str, Any]) -> None:
    board = dispatch_board(user=sales_a)
    assert (board.total_open, board.total_overdue) == (17, 1)
    load = {w.user_id: (w.open, w.overdue) for w in board.workload}
    assert load == {None: (12, 0), service_a.pk: (3, 1), manager_a.pk: (2, 0)}
    columns = {c.key: c for c in board.columns}
    assert list(columns) == ["unassigned", f"user-{service_a.pk}", f"user-{manager_a.pk}"]
    assert len(columns["unassigned"].page.items) == COLUMN_SIZE and columns["unassigned"].page.has_next
    first = columns[f"user-{service_a.pk}"].page.items
    assert first[0].pk == board_data["service_a"][0].pk  # the overdue one leads
    in_due_order = ServiceRequest.objects.filter(pk__in=[c.pk for c in first]).order_by("resolve_by", "id")
    assert [c.pk for c in first] == list(in_due_order.values_list("pk", flat=True))
    due = {c.key: c.count for c in dispatch_board(user=sales_a, mode="due").columns}
    assert due["overdue"] == 1 and sum(due.values()) == 17
    assert dispatch_board(user=sales_b).total_open == 0


def test_board_page_more_and_queries(client: Any, sales_a: Any, board_data: dict[str, Any]) -> None:
    client.force_login(sales_a)
    client.get("/")
    response = assert_query_baseline("service: dispatch board", lambda: client.get(reverse("service:request_board")))
    assert response.status_code == 200
    html = response.content.decode()
    assert "报修 0" in html and "12" in html
    assert_query_baseline("service: dispatch board by due time",
                          lambda: client.get(reverse("service:request_board"), {"mode": "due"}))
    cursor = response.context["board"].columns[0].page.next_cursor
    more = client.get(reverse("service:request_board_column", args=["unassigned"]), {"cursor": cursor},
                      HTTP_HX_REQUEST="true")
    assert more.status_code == 200 and more.content.decode().count("board-card") == 2
    assert client.get(reverse("service:request_board_column", args=["nonsense"])).status_code == 404


def test_board_assigns_over_htmx_and_wants_a_reason_to_reassign(client: Any, sales_a: Any, service_a: Any,
                                                                 manager_a: Any, board_data: dict[str, Any]) -> None:
    client.force_login(sales_a)
    target = board_data["unassigned"][0]
    url = reverse("service:request_assign", args=[target.pk])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{service_a.pk}">' in form and 'name="reason"' not in form
    assert client.get(url)["Location"].endswith(f"/service/requests/{target.pk}/#assign")
    response = client.post(url, {"assignee": service_a.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    assert ServiceRequest.objects.get(pk=target.pk).assignee_id == service_a.pk
    response = client.post(url, {"assignee": manager_a.pk, "reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "请说明重新分派的原因" in response.content.decode()
    assert ServiceRequest.objects.get(pk=target.pk).assignee_id == service_a.pk
    client.post(url, {"assignee": manager_a.pk, "reason": "更熟悉这个型号"}, HTTP_HX_REQUEST="true")
    row = RequestAssignment.objects.filter(request=target).order_by("-id").first()
    assert (row.from_user, row.to_user, row.by, row.reason) == (service_a, manager_a, sales_a, "更熟悉这个型号")


def test_another_team_cannot_assign(client: Any, sales_b: Any, board_data: dict[str, Any]) -> None:
    client.force_login(sales_b)
    target = board_data["unassigned"][0]
    assert client.post(reverse("service:request_assign", args=[target.pk]), {"assignee": ""}).status_code == 404
    assert client.get(reverse("service:request_detail", args=[target.pk])).status_code == 404


def test_quick_entry_finds_the_customer_like_the_header_search(client: Any, sales_a: Any, service_a: Any,
                                                               customer_a: Any, customer_b: Any) -> None:
    client.force_login(sales_a)
    picked = client.get(reverse("service:request_customer_pick"), {"customer_q": "zhangw"}, HTTP_HX_REQUEST="true")
    html = picked.content.decode()
    assert f'value="{customer_a.pk}"' in html and "李娜" not in html
    response = client.post(reverse("service:request_add"), {
        "customer": customer_a.pk, "subject": "冰箱冷藏室结冰", "category": "repair", "priority": "high",
        "description": "", "assignee": service_a.pk})
    created = ServiceRequest.objects.get(subject="冰箱冷藏室结冰")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert (created.customer, created.assignee, created.status) == (customer_a, service_a, RequestStatus.ASSIGNED)
    refused = client.post(reverse("service:request_add"), {"customer": customer_b.pk, "subject": "x",
                                                           "category": "other", "priority": "normal"})
    assert refused.status_code == 404
    missing = client.post(reverse("service:request_add"), {"subject": "x", "category": "other", "priority": "normal"})
    assert missing.status_code == 200 and "请先查找并选择客户" in missing.content.decode()
    from_card = client.get(reverse("service:request_add"), {"customer": customer_a.pk})
    assert "张伟" in from_card.content.decode()


def test_request_page_shows_the_order_and_moves(client: Any, sales_a: Any, manager_a: Any, customer_a: Any) -> None:
    from commerce.services import order_create, product_create

    product = product_create(actor=manager_a, data={"code": "X9", "name": "滚筒洗衣机 X9", "category": "家电",
                                                    "price": Decimal("3999"), "unit_cost": Decimal("2800")})
    order = order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=[{"product": product, "quantity": 1}])
    req = request_create(actor=sales_a, customer_id=customer_a.pk, data={"subject": "洗衣机E4", "order": order.pk})
    client.force_login(sales_a)
    page = client.get(reverse("service:request_detail", args=[req.pk]))
    html = page.content.decode()
    assert "滚筒洗衣机 X9" in html and order.number in html
    client.post(reverse("service:request_status", args=[req.pk]), {"status": "in_progress", "note": "已联系"})
    client.post(reverse("service:request_status", args=[req.pk]), {"status": "new"})
    assert ServiceRequest.objects.get(pk=req.pk).status == RequestStatus.IN_PROGRESS
    assert_query_baseline("service: request page", lambda: client.get(reverse("service:request_detail",
                                                                              args=[req.pk])))


def test_list_filters_and_export(client: Any, sales_a: Any, service_a: Any, board_data: dict[str, Any]) -> None:
    client.force_login(sales_a)
    url = reverse("service:request_list")
    mine = client.get(url, {"assignee": str(service_a.pk), "status": "open"}).context["page"].items
    assert {r.pk for r in mine} == {r.pk for r in board_data["service_a"]}
    assert len(client.get(url, {"overdue": "on"}).context["page"].items) == 1
    assert len(client.get(url, {"priority": "low"}).context["page"].items) == 2
    assert len(client.get(url, {"q": "报修 1"}).context["page"].items) >= 1
    assert_query_baseline("service: request list", lambda: client.get(url, {"status": "open"}))
    response = client.get(reverse("service:request_export"), {"assignee": str(service_a.pk)})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[1][3].startswith("报修")


def test_reports(client: Any, sales_a: Any, board_data: dict[str, Any]) -> None:
    req = board_data["manager_a"][0]
    request_set_status(actor=sales_a, request_id=req.pk, status=RequestStatus.RESOLVED)
    request_set_status(actor=sales_a, request_id=req.pk, status="reopen", note="又坏了")
    request_set_status(actor=sales_a, request_id=req.pk, status=RequestStatus.CLOSED)
    client.force_login(sales_a)
    response = client.get(reverse("service:request_reports"))
    reports = response.context["reports"]
    assert reports.closed == 2 and reports.reopened == 1 and reports.reopen_rate == 0.5
    assert sum(sum(row["counts"]) for row in reports.by_category) == 18
    assert 'id="requests-chart-data"' in response.content.decode()
    assert_query_baseline("service: request reports", lambda: client.get(reverse("service:request_reports")))
