"""`kehu demo` tasks (work.demo_tasks): every salesperson gets a weekly review, timed tasks ahead (the
calendar), tasks done in the past weeks (the plans), and every team a queue; the same seed gives the
same tasks."""

import pytest
from django.db.models import Count, Max, Min
from django.utils import timezone

from core import registry
from customers.demo import demo_load
from customers.models import Customer
from work import demo_tasks
from work.models import Task

pytestmark = pytest.mark.django_db


def _generate(seed):
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    calls = []
    demo_tasks.generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=seed,
                        progress=lambda *args: calls.append(args))
    return calls


def test_demo_tasks():
    assert demo_tasks.generate in registry.get_all("demo_generators")
    demo_load(customers=120, seed=5)
    calls = _generate(5)
    assert calls[-1][1] == calls[-1][2] > 0  # the progress ends at its total
    owners = set(Customer.objects.exclude(owner=None).values_list("owner_id", flat=True))
    assert set(Task.objects.filter(recurrence="weekly").values_list("assignee_id", flat=True)) == owners
    now = timezone.now()
    assert Task.objects.filter(status="open", due_at__gte=now, remind_at__isnull=False).exists()
    assert Task.objects.filter(status="done", done_at__lt=now).exists()
    assert Task.objects.filter(assignee=None, team__isnull=False, status="open").exists()
    for task in Task.objects.select_related("customer")[:50]:
        # Every task is of a customer its assignee (or its queue's team) sees.
        assert task.customer.owner_id == task.assignee_id or task.customer.team_id == task.team_id
    first = list(Task.objects.order_by("id").values_list("customer_id", "title", "due_on", "status"))
    Task.objects.all().delete()
    _generate(5)
    assert list(Task.objects.order_by("id").values_list("customer_id", "title", "due_on", "status")) == first


def test_demo_notifications_are_real_reminders_some_read():
    from work import demo_notifications
    from work.models import Notification

    assert demo_notifications.generate in registry.get_all("demo_generators")
    assert getattr(demo_notifications.generate, "runs_last", False)
    demo_load(customers=120, seed=5)
    _generate(5)
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    demo_notifications.generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=5,
                                progress=lambda *args: None)
    made = Notification.objects.filter(event="work.reminder")
    assert made.exists() and made.filter(read_at__isnull=True).exists() and made.filter(read_at__isnull=False).exists()
    for n in made.select_related("customer")[:20]:
        # Each is about a task of a customer its recipient sees, with the task's own words.
        task = Task.objects.get(pk=int(n.object_id))
        assert n.recipient_id == task.assignee_id and task.title in n.title + n.summary
    per_user = made.values("recipient").annotate(n=Count("id")).values_list("n", flat=True)
    assert max(per_user) <= demo_notifications.PER_USER
