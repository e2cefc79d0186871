"""The /tasks API beyond the records layer's suite: filters (whose, team queue, status, due range,
customer), the actions done / take / cancel, a linked record, and the /follow-ups alias."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.testing import assert_query_baseline
from customers.tests.test_api import ApiClient
from interactions import services as interactions
from work import services_tasks as services
from work.models import Task

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def make(actor, customer, days=1, **data):
    return services.task_create(actor=actor, customer_id=customer.pk,
                                data={"title": "回访", "due_on": TODAY + timedelta(days=days), **data})


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_filters(customer_a, sales_a, service_a, team_a):
    mine = make(sales_a, customer_a, days=1)
    later = make(sales_a, customer_a, days=9)
    queued = make(sales_a, customer_a, days=2, team=team_a)
    theirs = make(sales_a, customer_a, days=3, assignee=service_a)
    done = make(sales_a, customer_a, days=4)
    services.task_done(actor=sales_a, task_id=done.pk)
    api = ApiClient(sales_a)
    assert ids(api.get("/tasks")) == [mine.pk, queued.pk, theirs.pk, done.pk, later.pk]
    assert ids(api.get("/tasks", whose="mine", status="open")) == [mine.pk, later.pk]
    assert ids(api.get("/tasks", whose="team")) == [queued.pk]
    assert ids(api.get("/tasks", queue=True)) == [queued.pk]
    assert ids(api.get("/tasks", assignee=service_a.pk)) == [theirs.pk]
    assert ids(api.get("/tasks", status="done")) == [done.pk]
    due_from, due_to = (TODAY + timedelta(days=2)).isoformat(), (TODAY + timedelta(days=3)).isoformat()
    assert ids(api.get("/tasks", due_from=due_from, due_to=due_to)) == [queued.pk, theirs.pk]
    assert ids(api.get("/tasks", customer=customer_a.pk + 1000)) == []


def test_actions_take_done_cancel(customer_a, sales_a, service_a, sales_b, team_a):
    queued = make(sales_a, customer_a, team=team_a)
    api = ApiClient(service_a)
    body = api.post(f"/tasks/{queued.pk}/take").json()
    assert body["assignee"] == service_a.pk and body["team"] == team_a.pk
    again = ApiClient(sales_a).post(f"/tasks/{queued.pk}/take")
    assert again.status_code == 400 and "already taken" in again.content.decode()
    assert api.post(f"/tasks/{queued.pk}/done", {}).json()["status"] == "done"
    assert api.post(f"/tasks/{queued.pk}/done", {"done": False}).json()["status"] == "open"
    assert api.post(f"/tasks/{queued.pk}/cancel", {}).json()["status"] == "cancelled"
    assert api.post(f"/tasks/{queued.pk}/done", {}).status_code == 400
    outsider = ApiClient(sales_b)
    for action in ("take", "done", "cancel"):
        assert outsider.post(f"/tasks/{queued.pk}/{action}", {}).status_code == 404
    assert outsider.get(f"/tasks/{queued.pk}").status_code == 404


def test_create_with_a_time_a_queue_and_a_linked_interaction(customer_a, sales_a, team_a):
    call = interactions.interaction_create(actor=sales_a, customer_id=customer_a.pk,
                                           data={"channel": "phone", "subject": "来电"})
    api = ApiClient(sales_a)
    response = api.post("/tasks", {"customer": customer_a.pk, "title": "回电", "due_at": "2030-01-01T17:30:00Z",
                                   "team": team_a.pk, "record_type": "interactions.interaction",
                                   "record_id": call.pk, "recurrence": "monthly", "recurrence_count": 3})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["due_on"], body["assignee"], body["team"]) == ("2030-01-02", None, team_a.pk)  # 01:30 in Shanghai
    assert (body["record_type"], body["record_id"], body["recurrence"]) == ("interactions.interaction", call.pk,
                                                                           "monthly")
    # The follow-ups alias shows it too, as a follow-up of the interaction.
    alias = api.get(f"/follow-ups/{body['id']}").json()
    assert (alias["interaction"], alias["assignee"]) == (call.pk, None)
    bad = api.post("/tasks", {"customer": customer_a.pk, "title": "x", "due_on": "2030-01-01",
                              "record_type": "interactions.interaction", "record_id": call.pk + 999})
    assert bad.status_code == 400 and not Task.objects.filter(title="x").exists()


def test_task_list_is_counted(make_customer, sales_a):
    customers = [make_customer(sales_a, name=f"客户{i}") for i in range(5)]
    for i in range(40):
        make(sales_a, customers[i % 5], days=1 + i % 7)
    api = ApiClient(sales_a)
    body = assert_query_baseline("api.tasks.list", lambda: api.get("/tasks", whose="mine", limit=30)).json()
    assert len(body["items"]) == 30 and body["next_cursor"]
