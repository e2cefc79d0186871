"""Interactions and follow-up tasks: services (scoping, validation, audit), the list, one-step entry
from the card via htmx, tasks on the assignee's home page until done, and the API."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from audit.models import ObjectChange
from core.testing import assert_query_baseline
from customers.tests.test_api import ApiClient
from interactions import services
from interactions.models import Interaction
from work.models import Task

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _call(actor, customer, **data):
    return services.interaction_create(actor=actor, customer_id=customer.pk, data={
        "channel": "phone", "direction": "inbound", "subject": "咨询理财产品", **data})


# --- services ------------------------------------------------------------------------------------------

def test_interaction_with_follow_up_is_created_and_audited(customer_a, sales_a, service_a):
    obj = services.interaction_create(
        actor=sales_a, customer_id=customer_a.pk,
        data={"channel": "wechat", "direction": "inbound", "subject": "问基金赎回", "outcome": "约下周面谈"},
        follow_up={"title": "准备基金对比表", "due_on": TOMORROW, "assignee": service_a},
    )
    assert obj.staff == sales_a
    task = Task.objects.get()
    assert (task.record, task.assignee, task.created_by, task.customer) == (obj, service_a, sales_a, customer_a)
    types = set(ObjectChange.objects.filter(customer_id=customer_a.pk).values_list("object_type", flat=True))
    assert {"interactions.interaction", "work.task"} <= types


def test_team_b_cannot_record_or_change_team_a_interactions(customer_a, sales_a, sales_b):
    obj = _call(sales_a, customer_a)
    with pytest.raises(PermissionDenied):
        _call(sales_b, customer_a)
    with pytest.raises(PermissionDenied):
        services.interaction_update(actor=sales_b, interaction_id=obj.pk, data={"subject": "x"})
    with pytest.raises(PermissionDenied):
        services.interaction_delete(actor=sales_b, interaction_id=obj.pk)
    assert not Interaction.objects.restrict(sales_b, "view").exists()


def test_follow_up_assignee_must_see_the_customer(customer_a, sales_a, sales_b):
    with override("en"), pytest.raises(ValidationError) as exc:
        services.interaction_create(
            actor=sales_a, customer_id=customer_a.pk, data={"channel": "phone", "subject": "x"},
            follow_up={"title": "回电", "due_on": TOMORROW, "assignee": sales_b})
    assert exc.value.message_dict["assignee"] == ["sales_b cannot see this customer; choose someone who can."]
    assert not Interaction.objects.exists()  # one transaction: no interaction without its task


def test_interaction_validation(customer_a, sales_a, customer_b, sales_b):
    with pytest.raises(ValidationError) as exc:
        _call(sales_a, customer_a, channel="pigeon")
    assert "channel" in exc.value.message_dict
    from customers.services import contact_create

    other_contact = contact_create(actor=sales_b, customer_id=customer_b.pk, data={"name": "外人"})
    with override("en"), pytest.raises(ValidationError) as exc:
        _call(sales_a, customer_a, contact=other_contact.pk)
    assert exc.value.message_dict["contact"] == ["The contact person must belong to this customer."]


def test_assignee_may_tick_off_and_reopen_a_task(customer_a, sales_a, service_a, analyst):
    task = services.follow_up_create(actor=sales_a, customer_id=customer_a.pk,
                                     data={"title": "寄送资料", "due_on": TOMORROW, "assignee": service_a})
    with pytest.raises(PermissionDenied):
        services.follow_up_done(actor=analyst, task_id=task.pk)
    services.follow_up_done(actor=service_a, task_id=task.pk)
    task.refresh_from_db()
    assert task.done_at is not None
    services.follow_up_done(actor=service_a, task_id=task.pk, done=False)
    task.refresh_from_db()
    assert task.done_at is None
    assert ObjectChange.objects.filter(object_type="work.task", action="update").count() == 2


# --- pages ------------------------------------------------------------------------------------------------

def test_interaction_list_is_scoped_filtered_and_counted(client_for, make_customer, sales_a, customer_b, sales_b):
    customers = [make_customer(sales_a, name=f"客户{i}") for i in range(5)]
    for i in range(30):
        _call(sales_a, customers[i % 5], channel="visit" if i % 3 == 0 else "phone")
    _call(sales_b, customer_b, subject="B 队的来电")
    client = client_for(sales_a)
    response = assert_query_baseline("interactions.list", lambda: client.get(reverse("interactions:interaction_list")))
    assert len(response.context["page"].items) == 30
    assert "B 队的来电" not in response.content.decode()
    response = client.get(reverse("interactions:interaction_list"), {"channel": "visit"})
    assert len(response.context["page"].items) == 10
    response = client.get(reverse("interactions:interaction_list"), {"customer": customers[0].pk})
    assert len(response.context["page"].items) == 6


def test_quick_entry_from_the_card_in_one_step(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    url = reverse("interactions:interaction_add", args=[customer_a.pk])
    panel = client.get(url, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and "<html" not in panel.content.decode()
    response = client.post(url, {
        "channel": "phone", "direction": "inbound", "occurred_at": "2026-03-01T09:15", "subject": "来电询价",
        "content": "想了解三年期产品", "outcome": "已报价", "staff": sales_a.pk,
        "follow_up_title": "回电确认", "follow_up_due": TOMORROW.isoformat(), "follow_up_assignee": "",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "kehu:timeline-changed"
    assert "Recorded: 来电询价." in response.content.decode()
    obj = Interaction.objects.get()
    assert (obj.channel, obj.direction, obj.outcome, obj.customer) == ("phone", "inbound", "已报价", customer_a)
    assert Task.objects.get().assignee == sales_a  # "Me" by default


def test_quick_entry_errors_stay_in_the_panel(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    url = reverse("interactions:interaction_add", args=[customer_a.pk])
    response = client.post(url, {"channel": "phone", "direction": "inbound", "subject": "",
                                 "follow_up_title": "回电"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "Give the follow-up a due date." in html and "This field is required." in html
    assert not Interaction.objects.exists()


def test_quick_entry_refused_outside_scope(client_for, customer_a, sales_b, analyst):
    url = reverse("interactions:interaction_add", args=[customer_a.pk])
    assert client_for(sales_b).post(url, {"channel": "phone", "subject": "x"}).status_code == 404
    assert client_for(analyst).get(url).status_code == 403
    assert not Interaction.objects.exists()


def test_follow_up_stays_on_the_home_page_until_done(client_for, customer_a, sales_a, service_a):
    task = services.follow_up_create(actor=sales_a, customer_id=customer_a.pk,
                                     data={"title": "寄送合同", "due_on": TOMORROW, "assignee": service_a})
    assert client_for(sales_a).get(reverse("home")).context["follow_ups"] == []  # not the assignee
    client = client_for(service_a)
    home = client.get(reverse("home"))
    assert home.context["follow_ups"] == [task]
    assert reverse("work:task_done", args=[task.pk]) in home.content.decode()
    response = client.post(reverse("work:task_done", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    home = client.get(reverse("home"))
    assert home.context["follow_ups"] == []
    assert reverse("work:task_done", args=[task.pk]) not in home.content.decode()


def test_home_page_query_count_with_follow_ups(client_for, customer_a, sales_a):
    for i in range(15):
        services.follow_up_create(actor=sales_a, customer_id=customer_a.pk,
                                  data={"title": f"任务{i}", "due_on": TOMORROW})
    client = client_for(sales_a)
    response = assert_query_baseline("home.follow_ups", lambda: client.get(reverse("home")))
    assert len(response.context["follow_ups"]) == 15


# --- API --------------------------------------------------------------------------------------------------

def test_interactions_api(customer_a, sales_a, sales_b):
    api = ApiClient(sales_a)
    response = api.post("/interactions", {
        "customer": customer_a.pk, "channel": "email", "direction": "outbound", "subject": "发送季度报告",
        "follow_up": {"title": "电话回访", "due_on": TOMORROW.isoformat()},
    })
    assert response.status_code == 201, response.json()
    obj_id = response.json()["id"]
    assert response.json()["staff"] == sales_a.pk
    tasks = api.get("/follow-ups", assignee=sales_a.pk, open=True).json()["items"]
    assert [t["title"] for t in tasks] == ["电话回访"]
    assert api.post(f"/follow-ups/{tasks[0]['id']}/done", {}).json()["done_at"] is not None
    assert api.patch(f"/interactions/{obj_id}", {"outcome": "客户已读"}).json()["outcome"] == "客户已读"
    other = ApiClient(sales_b)
    assert other.get(f"/interactions/{obj_id}").status_code == 404
    assert other.post("/interactions", {"customer": customer_a.pk, "channel": "sms", "subject": "x"}).status_code == 400
    assert other.get("/interactions").json()["items"] == []
    assert api.post("/interactions", {"customer": customer_a.pk, "channel": "telegram", "subject": "x"}
                    ).status_code == 422
    assert api.delete(f"/interactions/{obj_id}").status_code == 204
    assert ObjectChange.objects.filter(object_type="interactions.interaction", source="api").count() == 3


def test_interaction_and_follow_up_api_lists_are_counted(make_customer, sales_a):
    customers = [make_customer(sales_a, name=f"客户{i}") for i in range(5)]
    for i in range(40):
        services.interaction_create(actor=sales_a, customer_id=customers[i % 5].pk, data={
            "channel": "phone", "subject": f"通话{i}"}, follow_up={"title": f"回访{i}", "due_on": TOMORROW})
    api = ApiClient(sales_a)
    body = assert_query_baseline("api.interactions.list", lambda: api.get("/interactions", limit=30)).json()
    assert len(body["items"]) == 30 and body["next_cursor"]
    body = assert_query_baseline("api.follow_ups.list",
                                 lambda: api.get("/follow-ups", assignee=sales_a.pk, open=True, limit=30)).json()
    assert len(body["items"]) == 30
