"""Task services: who may do what, team queues (take, and the race of two takers), ticking off a
recurring task, linked records, reminders."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from audit.models import ObjectChange
from core import registry
from work import services_tasks as services
from work.models import Task, TaskStatus

TOMORROW = timezone.localdate() + timedelta(days=1)


def make(actor, customer, **data):
    data = {"title": "回访", "due_on": TOMORROW, **data}
    return services.task_create(actor=actor, customer_id=customer.pk, data=data)


def test_create_defaults_to_the_actor_and_is_audited(customer_a, sales_a):
    task = make(sales_a, customer_a, priority="high")
    assert (task.assignee, task.status, task.priority, task.due_at) == (sales_a, "open", "high", None)
    row = ObjectChange.objects.get(object_type="work.task", object_id=task.pk)
    assert row.action == "create" and row.customer_id == customer_a.pk and row.changes["title"] == [None, "回访"]


def test_another_team_cannot_create_see_or_act(customer_a, sales_a, sales_b):
    with pytest.raises(PermissionDenied):
        make(sales_b, customer_a)
    task = make(sales_a, customer_a)
    assert not Task.objects.restrict(sales_b, "view").filter(pk=task.pk).exists()
    for act in (services.task_done, services.task_cancel, services.task_take):
        with pytest.raises(PermissionDenied):
            act(actor=sales_b, task_id=task.pk)
    with pytest.raises(PermissionDenied):
        services.task_update(actor=sales_b, task_id=task.pk, data={"title": "x"})
    assert Task.objects.get(pk=task.pk).status == "open"


def test_assignee_must_see_the_customer(customer_a, sales_a, sales_b):
    with pytest.raises(ValidationError) as err:
        make(sales_a, customer_a, assignee=sales_b)
    assert "assignee" in err.value.message_dict and not Task.objects.exists()


def test_a_time_makes_the_due_day_in_the_business_zone(customer_a, sales_a, settings):
    at = datetime(2030, 1, 1, 17, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on 2 January in Shanghai
    task = make(sales_a, customer_a, due_at=at)
    assert task.due_on == timezone.localdate(at)
    # A new day keeps the time of day; no time makes it all-day.
    task = services.task_update(actor=sales_a, task_id=task.pk, data={"due_on": task.due_on + timedelta(days=3)})
    assert timezone.localtime(task.due_at).time() == timezone.localtime(at).time()
    assert task.due_at - at == timedelta(days=3)
    task = services.task_update(actor=sales_a, task_id=task.pk, data={"due_at": None})
    assert task.due_at is None


def test_team_queue_take_by_a_member_only(customer_a, sales_a, service_a, team_a, sales_b):
    task = make(sales_a, customer_a, team=team_a)
    assert task.assignee is None and task.in_queue
    with pytest.raises(PermissionDenied):
        services.task_take(actor=sales_b, task_id=task.pk)  # another team: does not even see it
    taken = services.task_take(actor=service_a, task_id=task.pk)
    assert taken.assignee == service_a and taken.team == team_a
    with translation.override("en"), pytest.raises(ValidationError, match="service_a has already taken"):
        services.task_take(actor=sales_a, task_id=task.pk)
    audit = ObjectChange.objects.filter(object_type="work.task", object_id=task.pk, action="update").get()
    assert audit.user_id == service_a.pk and audit.changes == {"assignee": [None, service_a.pk]}


def test_a_task_of_no_queue_cannot_be_taken(customer_a, sales_a, service_a):
    task = make(sales_a, customer_a)
    with pytest.raises(PermissionDenied):
        services.task_take(actor=service_a, task_id=task.pk)


@pytest.mark.django_db(transaction=True)
def test_two_members_take_at_once_one_wins(customer_a, sales_a, service_a, manager_a, team_a):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: the race needs two concurrent connections (PostgreSQL)")
    task = make(sales_a, customer_a, team=team_a)
    barrier, outcome = threading.Barrier(2), {}

    def take(user):
        try:
            barrier.wait()
            outcome[user.pk] = services.task_take(actor=user, task_id=task.pk).assignee_id
        except ValidationError as exc:
            outcome[user.pk] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(u,)) for u in (service_a, manager_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [pk for pk, got in outcome.items() if got == pk]
    assert len(winners) == 1 and Task.objects.get(pk=task.pk).assignee_id == winners[0]
    assert ObjectChange.objects.filter(object_type="work.task", object_id=task.pk, action="update").count() == 1


def test_done_by_the_assignee_and_reopen(customer_a, sales_a, service_a, analyst):
    task = make(sales_a, customer_a, assignee=service_a)
    with pytest.raises(PermissionDenied):
        services.task_done(actor=analyst, task_id=task.pk)
    task = services.task_done(actor=service_a, task_id=task.pk)
    assert task.status == "done" and task.done_at is not None
    task = services.task_done(actor=service_a, task_id=task.pk, done=False)
    assert task.status == "open" and task.done_at is None


def test_cancel_and_a_cancelled_task_is_not_done(customer_a, sales_a):
    task = make(sales_a, customer_a)
    services.task_cancel(actor=sales_a, task_id=task.pk)
    with pytest.raises(ValidationError):
        services.task_done(actor=sales_a, task_id=task.pk)
    assert Task.objects.get(pk=task.pk).status == "cancelled"


def test_done_creates_the_next_occurrence_once(customer_a, sales_a, team_a, service_a):
    task = make(sales_a, customer_a, due_on=date(2030, 1, 31), recurrence="monthly", recurrence_count=3,
                due_at=datetime(2030, 1, 31, 1, 0, tzinfo=ZoneInfo("UTC")), team=team_a)
    services.task_take(actor=service_a, task_id=task.pk)
    services.task_done(actor=service_a, task_id=task.pk)
    second = Task.objects.get(previous=task)
    assert (second.due_on, second.occurrence, second.status) == (date(2030, 2, 28), 2, "open")
    assert second.assignee is None and second.team == team_a  # back in the team's queue
    assert timezone.localtime(second.due_at).time() == timezone.localtime(task.due_at).time()
    # Reopened and done again: still one next occurrence.
    services.task_done(actor=sales_a, task_id=task.pk, done=False)
    services.task_done(actor=sales_a, task_id=task.pk)
    assert Task.objects.filter(previous=task).count() == 1
    services.task_take(actor=service_a, task_id=second.pk)
    services.task_done(actor=service_a, task_id=second.pk)
    third = Task.objects.get(previous=second)
    assert (third.due_on, third.occurrence) == (date(2030, 3, 31), 3)
    services.task_take(actor=service_a, task_id=third.pk)
    services.task_done(actor=service_a, task_id=third.pk)
    assert not Task.objects.filter(previous=third).exists()  # count 3 reached


def test_recurrence_validation(customer_a, sales_a):
    with pytest.raises(ValidationError) as err:
        make(sales_a, customer_a, recurrence="weekly", recurrence_until=TOMORROW - timedelta(days=1))
    assert "recurrence_until" in err.value.message_dict


def test_linked_record_must_belong_to_the_customer(customer_a, customer_b, sales_a, sales_b):
    from customers.models import Contact

    mine = Contact.objects.create(customer=customer_a, name="王芳")
    theirs = Contact.objects.create(customer=customer_b, name="李雷")
    task = make(sales_a, customer_a, record_type="customers.contact", record_id=mine.pk)
    assert task.record == mine
    with pytest.raises(ValidationError) as err:
        make(sales_a, customer_a, record_type="customers.contact", record_id=theirs.pk)
    assert "record_id" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make(sales_a, customer_a, record_type="accounts.team", record_id=1)
    assert "record_type" in err.value.message_dict


def test_reminders_are_handed_to_the_handlers_once(customer_a, sales_a):
    seen = []
    registry.add(services.REMINDER_HANDLERS, seen.append)
    try:
        now = timezone.now()
        due = make(sales_a, customer_a, remind_at=now - timedelta(minutes=1))
        make(sales_a, customer_a, remind_at=now + timedelta(hours=1))
        assert services.remind_due_tasks(now=now) == 1 and seen == [due]
        assert services.remind_due_tasks(now=now) == 0 and len(seen) == 1
        services.task_update(actor=sales_a, task_id=due.pk, data={"remind_at": now - timedelta(seconds=1)})
        assert services.remind_due_tasks(now=now) == 1
    finally:
        registry._lists[services.REMINDER_HANDLERS].remove(seen.append)


def test_delete_is_soft(customer_a, sales_a):
    task = make(sales_a, customer_a)
    services.task_delete(actor=sales_a, task_id=task.pk)
    assert not Task.objects.restrict(sales_a, "view").filter(pk=task.pk).exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN and Task.objects.get(pk=task.pk).deleted_at
