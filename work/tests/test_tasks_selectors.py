"""What the calendar and the plans read of tasks: tasks_in_range (timed tasks, recurring ones
expanded, "busy" for a viewer who may not see the customer) and tasks_done (per user and day)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from work import services_tasks as services
from work.models import Task
from work.selectors_tasks import tasks_done, tasks_done_on, tasks_in_range

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def business_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with timezone.override(SHANGHAI):
        yield


def make(actor, customer, **data):
    return services.task_create(actor=actor, customer_id=customer.pk, data={"title": "拜访", **data})


def test_timed_tasks_in_the_range_by_time(customer_a, sales_a):
    monday = date(2030, 1, 7)
    late = make(sales_a, customer_a, due_at=at(monday, 16))
    early = make(sales_a, customer_a, due_at=at(monday, 9, 30))
    make(sales_a, customer_a, due_on=monday)  # all-day: not a slot
    make(sales_a, customer_a, due_at=at(monday + timedelta(days=7), 9))  # next week
    edge = make(sales_a, customer_a, due_at=at(monday + timedelta(days=7), 0))  # the range's end: excluded
    slots = tasks_in_range(sales_a, at(monday, 0), at(monday + timedelta(days=7), 0))
    assert [(s.task_id, s.start) for s in slots] == [(early.pk, at(monday, 9, 30)), (late.pk, at(monday, 16))]
    assert edge.pk not in {s.task_id for s in slots}
    services.task_done(actor=sales_a, task_id=early.pk)
    assert [s.task_id for s in tasks_in_range(sales_a, at(monday, 0), at(monday, 23))] == [late.pk]


def test_recurring_tasks_are_expanded_at_their_time(customer_a, sales_a):
    task = make(sales_a, customer_a, due_at=at(date(2030, 1, 31), 10), recurrence="monthly", recurrence_count=4)
    slots = tasks_in_range(sales_a, at(date(2030, 1, 1), 0), at(date(2030, 6, 1), 0))
    assert [(s.start, s.occurrence) for s in slots] == [
        (at(date(2030, 1, 31), 10), 1), (at(date(2030, 2, 28), 10), 2), (at(date(2030, 3, 31), 10), 3),
        (at(date(2030, 4, 30), 10), 4)]
    assert {s.task_id for s in slots} == {task.pk}
    # Daily, in a later window only: the occurrences in it.
    make(sales_a, customer_a, due_at=at(date(2030, 1, 1), 8), recurrence="daily", recurrence_interval=2)
    window = tasks_in_range(sales_a, at(date(2030, 3, 1), 0), at(date(2030, 3, 6), 0))
    assert [s.start for s in window] == [at(date(2030, 3, 2), 8), at(date(2030, 3, 4), 8)]


def test_a_viewer_who_may_not_see_the_customer_sees_busy(customer_a, customer_b, sales_a, sales_b, manager_a):
    task = make(sales_a, customer_a, due_at=at(date(2030, 1, 7), 9))
    own = tasks_in_range(sales_a, at(date(2030, 1, 7), 0), at(date(2030, 1, 8), 0), viewer=manager_a)
    assert own[0].task == task and not own[0].busy_only
    hidden = tasks_in_range(sales_a, at(date(2030, 1, 7), 0), at(date(2030, 1, 8), 0), viewer=sales_b)
    assert hidden[0].busy_only and hidden[0].task is None and hidden[0].start == at(date(2030, 1, 7), 9)


def test_tasks_done_per_user_and_day(customer_a, sales_a, service_a):
    tasks = [make(sales_a, customer_a, due_on=date(2030, 1, 7), assignee=who) for who in (sales_a, sales_a, service_a)]
    for task in tasks:
        services.task_done(actor=sales_a, task_id=task.pk)
    # 23:30 on the 7th in Shanghai is 15:30 UTC: it counts for the 7th, the next one for the 8th.
    Task.objects.filter(pk=tasks[0].pk).update(done_at=at(date(2030, 1, 7), 23, 30))
    Task.objects.filter(pk=tasks[1].pk).update(done_at=at(date(2030, 1, 8), 0, 30))
    Task.objects.filter(pk=tasks[2].pk).update(done_at=at(date(2030, 1, 7), 12))
    got = tasks_done([sales_a.pk, service_a.pk], date(2030, 1, 1), date(2030, 1, 31))
    assert got == {(sales_a.pk, date(2030, 1, 7)): 1, (sales_a.pk, date(2030, 1, 8)): 1,
                   (service_a.pk, date(2030, 1, 7)): 1}
    assert tasks_done([sales_a.pk], date(2030, 1, 8), date(2030, 1, 8)) == {(sales_a.pk, date(2030, 1, 8)): 1}


def test_tasks_done_on_a_day_as_the_viewer_may_see_them(customer_a, sales_a, sales_b, manager_a):
    task = make(sales_a, customer_a, due_on=date(2030, 1, 7))
    services.task_done(actor=sales_a, task_id=task.pk)
    Task.objects.filter(pk=task.pk).update(done_at=at(date(2030, 1, 7), 23, 59))
    assert tasks_done_on(sales_a, date(2030, 1, 7), viewer=manager_a) == [task]
    assert tasks_done_on(sales_a, date(2030, 1, 8), viewer=manager_a) == []
    assert tasks_done_on(sales_a, date(2030, 1, 7), viewer=sales_b) == []  # another team's customer
