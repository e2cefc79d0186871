"""Tasks tell people: an assignment by someone else (work.assignment), a reminder at its time
(work.reminder, to the assignee or the whole queue's team), handed to the worker for that time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from work import services_tasks as services
from work.models import Notification, OutgoingEmail

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + timedelta(days=1)


def make(actor, customer, **data):
    return services.task_create(actor=actor, customer_id=customer.pk, data={"title": "寄送合同", "due_on": TOMORROW,
                                                                            **data})


def _told(user, event):
    return list(Notification.objects.filter(recipient=user, event=event))


def test_an_assignment_by_someone_else_is_told_and_ones_own_is_not(customer_a, manager_a, sales_a, service_a):
    make(sales_a, customer_a)  # one's own task: nobody to tell
    assert not Notification.objects.exists()
    task = make(manager_a, customer_a, assignee=sales_a)
    (note,) = _told(sales_a, "work.assignment")
    assert "寄送合同" in note.title + note.summary and note.url.endswith(f"/tasks/{task.pk}/edit/")
    assert OutgoingEmail.objects.filter(to=sales_a.email).exists() == bool(sales_a.email)
    services.task_update(actor=manager_a, task_id=task.pk, data={"assignee": service_a})
    assert len(_told(service_a, "work.assignment")) == 1
    services.task_update(actor=manager_a, task_id=task.pk, data={"title": "寄送合同（改）"})
    assert len(_told(service_a, "work.assignment")) == 1  # not reassigned: not told again


def test_a_reminder_tells_the_assignee_or_the_queues_team_once(customer_a, sales_a, service_a, manager_a, team_a,
                                                               sales_b):
    now = timezone.now()
    mine = make(sales_a, customer_a, remind_at=now - timedelta(minutes=1))
    make(manager_a, customer_a, team=team_a, remind_at=now - timedelta(minutes=1))  # in the team's queue
    assert services.remind_due_tasks(now=now) == 2
    assert len(_told(sales_a, "work.reminder")) == 2  # their own task, and the queue's
    assert len(_told(service_a, "work.reminder")) == 1 and len(_told(manager_a, "work.reminder")) == 1
    assert not _told(sales_b, "work.reminder")  # another team's member hears of neither
    assert services.remind_due_tasks(now=now) == 0 and len(_told(sales_a, "work.reminder")) == 2
    assert mine.pk in {n.object_id and int(n.object_id) for n in _told(sales_a, "work.reminder")}


def test_a_saved_reminder_is_handed_to_the_worker_for_its_time(customer_a, sales_a,
                                                               django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    later = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        task = make(sales_a, customer_a, remind_at=later)
    (queued,) = DBTaskResult.objects.filter(task_path="work.notification_tasks.remind_tasks_task")
    assert abs((queued.run_after - later).total_seconds()) < 1
    with django_capture_on_commit_callbacks(execute=True):
        services.task_done(actor=sales_a, task_id=task.pk)  # done: no reminder to schedule
    assert DBTaskResult.objects.filter(task_path="work.notification_tasks.remind_tasks_task").count() == 1


def test_people_put_in_an_appointment_are_invited_once(customer_a, sales_a, service_a, manager_a):
    from work.services_calendar import appointment_update
    from work.tests.calendar_helpers import at, make_appointment

    visit = make_appointment(sales_a, at(5, 10), at(5, 11), customer=customer_a, kind="visit", title="季度回顾",
                             location="客户公司", users=(service_a,))
    (note,) = _told(service_a, "work.invitation")
    assert "季度回顾" in note.title and "客户公司" in note.summary and note.url.endswith(f"/appointments/{visit.pk}/")
    assert not _told(sales_a, "work.invitation")  # the organiser invited nobody but others
    appointment_update(actor=sales_a, appointment_id=visit.pk, data={}, users=[service_a.pk, manager_a.pk])
    assert len(_told(manager_a, "work.invitation")) == 1 and len(_told(service_a, "work.invitation")) == 1
