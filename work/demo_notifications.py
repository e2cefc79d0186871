"""Demo notifications (`kehu demo`, via core.registry "demo_generators"): so that the bell and the
inbox have something real to show from the first start — the reminders of each demo user's tasks due
in the next two days, sent through the notification service as the reminder job sends them (in-app,
and e-mail per the users' preferences), about half of them already read.

Runs last (`runs_last`): it needs the tasks the other generators wrote. A few per user, whatever the
number of customers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from work.models import Notification, Task, TaskStatus

PER_USER = 4


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             **_ignored: Any) -> dict[str, float]:
    from work.services_tasks import task_reminder_notify

    started = time.monotonic()
    rng = random.Random(f"notifications-{seed}")
    now = timezone.now()
    due = (Task.objects.filter(customer_id__gte=first_customer_id, customer_id__lte=last_customer_id,
                               status=TaskStatus.OPEN, deleted_at__isnull=True, assignee__isnull=False,
                               due_at__gte=now, due_at__lt=now + timedelta(days=2))
           .select_related("customer", "assignee").order_by("assignee_id", "due_at", "id"))
    chosen: list[Task] = []
    per_user: dict[int, int] = {}
    for task in due.iterator(chunk_size=2000):
        assert task.assignee_id is not None
        if per_user.get(task.assignee_id, 0) < PER_USER:
            per_user[task.assignee_id] = per_user.get(task.assignee_id, 0) + 1
            chosen.append(task)
    progress("notifications", 0, len(chosen))
    for n, task in enumerate(chosen, 1):
        task_reminder_notify(task)
        progress("notifications", n, len(chosen))
    made = list(Notification.objects.filter(created_at__gte=now, event="work.reminder").values_list("pk", flat=True))
    read = rng.sample(made, len(made) // 2)
    Notification.objects.filter(pk__in=read).update(read_at=now)
    return {"notifications": time.monotonic() - started}


generate.runs_last = True  # type: ignore[attr-defined]
