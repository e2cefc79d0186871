"""Task pages: "My tasks" (mine / my team's queue / all I may see, overdue marked), the actions,
the card's panel, the home page — in both languages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.testing import assert_query_baseline, logged_in
from work import services_tasks as services
from work.models import Task

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def make(actor, customer, title, days=1, **data):
    return services.task_create(actor=actor, customer_id=customer.pk,
                                data={"title": title, "due_on": TODAY + timedelta(days=days), **data})


def titles(response):
    assert response.status_code == 200
    return [t.title for t in response.context["page"].items]


def test_my_tasks_mine_queue_and_all(client_for, customer_a, sales_a, service_a, team_a):
    make(sales_a, customer_a, "我的")
    make(sales_a, customer_a, "队列里的", days=2, team=team_a)
    make(sales_a, customer_a, "同事的", days=3, assignee=service_a)
    overdue = make(sales_a, customer_a, "过期的", days=0)
    Task.objects.filter(pk=overdue.pk).update(due_on=TODAY - timedelta(days=2))
    client = client_for(sales_a)
    url = reverse("work:task_list")
    page = client.get(url)
    assert titles(page) == ["过期的", "我的"]
    assert page.content.decode().count("badge bad") == 1  # overdue marked
    assert titles(client.get(url, {"whose": "team", "status": "open"})) == ["队列里的"]
    assert titles(client.get(url, {"whose": "all", "status": ""})) == ["过期的", "我的", "队列里的", "同事的"]
    zh = logged_in(sales_a, "zh-hans").get(url).content.decode()
    assert "我的任务" in zh and "已逾期" in zh and "本页显示 2 个任务" in zh


def test_other_team_sees_none_of_them(client_for, customer_a, sales_a, sales_b, team_a):
    task = make(sales_a, customer_a, "队列里的", team=team_a)
    client = client_for(sales_b)
    assert titles(client.get(reverse("work:task_list"), {"whose": "all", "status": ""})) == []
    for name in ("work:task_take", "work:task_done", "work:task_cancel"):
        assert client.post(reverse(name, args=[task.pk])).status_code == 404
    assert Task.objects.get(pk=task.pk).assignee is None


def test_take_done_and_cancel_from_the_list(client_for, customer_a, sales_a, service_a, team_a):
    task = make(sales_a, customer_a, "队列里的", team=team_a)
    client = client_for(service_a)
    page = client.get(reverse("work:task_list"), {"whose": "team", "status": "open"}).content.decode()
    assert reverse("work:task_take", args=[task.pk]) in page
    response = client.post(reverse("work:task_take", args=[task.pk]), {"next": reverse("work:task_list")})
    assert response.status_code == 302 and Task.objects.get(pk=task.pk).assignee == service_a
    # Too late for the other member: told who has it, nothing changes.
    late = client_for(sales_a).post(reverse("work:task_take", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert late.status_code == 409 and str(service_a) in late.content.decode()
    assert client.post(reverse("work:task_done", args=[task.pk]), HTTP_HX_REQUEST="true").status_code == 200
    assert Task.objects.get(pk=task.pk).status == "done"
    other = make(sales_a, customer_a, "取消的")
    client_for(sales_a).post(reverse("work:task_cancel", args=[other.pk]))
    assert Task.objects.get(pk=other.pk).status == "cancelled"


def test_the_cards_panel(client_for, customer_a, sales_a, sales_b):
    make(sales_a, customer_a, "准备方案")
    url = reverse("customers:customer_detail", args=[customer_a.pk]) + "?part=panels"
    body = client_for(sales_a).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "准备方案" in body and reverse("work:task_add", args=[customer_a.pk]) in body
    assert client_for(sales_b).get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_the_home_page_shows_every_open_task_of_mine(client_for, customer_a, sales_a):
    make(sales_a, customer_a, "普通任务")
    home = client_for(sales_a).get(reverse("home")).content.decode()
    assert "普通任务" in home and reverse("work:task_done", args=[Task.objects.get().pk]) in home


def test_the_list_is_counted(client_for, make_customer, sales_a):
    customers = [make_customer(sales_a, name=f"客户{i}") for i in range(5)]
    for i in range(30):
        make(sales_a, customers[i % 5], f"任务{i}", days=1 + i % 5)
    client = client_for(sales_a)
    response = assert_query_baseline("tasks.list", lambda: client.get(reverse("work:task_list")))
    assert len(response.context["page"].items) == 30
