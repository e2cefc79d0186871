"""Demo tasks (`kehu demo`, via core.registry "demo_generators"): what a team's calendar and queue
look like besides the interactions' follow-ups (those come with the interactions).

For every owner of the customers first..last: a weekly recurring review and a few timed tasks in
the coming two weeks (the calendar shows them), some done in the past weeks (the plans count them);
for every team, a few tasks waiting in its queue. Same seed, same tasks, measured from today.
Written in bulk, no services, no per-row audit entries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from work.models import Task, TaskPriority, TaskStatus

_TITLES = ["电话回访", "准备产品对比表", "预约面谈", "整理客户资料", "发送到期提醒", "核对保单信息"]
_QUEUE = ["处理网站留言", "回复客户邮件", "跟进投诉处理", "安排上门服务"]
_PRIORITIES = [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.NORMAL, TaskPriority.HIGH, TaskPriority.URGENT]


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Write demo tasks for the owners and teams of customers first..last. Returns seconds per phase."""
    started = timezone.now()
    rng = random.Random(seed * 7919 + first_customer_id)
    today = timezone.localdate()
    customers = (Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id, deleted_at__isnull=True,
                                         owner__isnull=False).order_by("owner_id", "pk")
                 .values_list("pk", "owner_id", "team_id"))
    by_owner: dict[int, list[int]] = {}
    by_team: dict[int, list[int]] = {}
    for pk, owner, team in customers.iterator(chunk_size=10_000):
        mine = by_owner.setdefault(owner, [])
        if len(mine) < 50:
            mine.append(pk)
        if team is not None and len(by_team.setdefault(team, [])) < 20:
            by_team[team].append(pk)
    progress("tasks", 0, len(by_owner))
    rows: list[Task] = []

    def at(day_offset: int, hour: int) -> datetime:
        clock = time(hour, rng.choice([0, 30]))
        return timezone.make_aware(datetime.combine(today + timedelta(days=day_offset), clock))

    for owner, pks in by_owner.items():
        monday = -today.weekday()
        rows.append(Task(customer_id=pks[0], title="每周客户回顾", due_on=today + timedelta(days=monday + 7),
                         assignee_id=owner, created_by_id=owner, recurrence="weekly",
                         recurrence_day=(today + timedelta(days=monday + 7)).day))
        for _i in range(4):
            due = at(rng.randint(0, 13), rng.randint(9, 17))
            rows.append(Task(customer_id=rng.choice(pks), title=rng.choice(_TITLES), due_on=timezone.localdate(due),
                             due_at=due, priority=rng.choice(_PRIORITIES), assignee_id=owner, created_by_id=owner,
                             remind_at=due - timedelta(minutes=30)))
        for _i in range(6):
            due = at(-rng.randint(1, 28), rng.randint(9, 17))
            rows.append(Task(customer_id=rng.choice(pks), title=rng.choice(_TITLES), due_on=timezone.localdate(due),
                             due_at=due, priority=rng.choice(_PRIORITIES), assignee_id=owner, created_by_id=owner,
                             status=TaskStatus.DONE, done_at=due + timedelta(minutes=rng.randint(0, 240))))
    for team, pks in by_team.items():
        for title in _QUEUE[: rng.randint(1, len(_QUEUE))]:
            rows.append(Task(customer_id=rng.choice(pks), title=title, due_on=today + timedelta(days=rng.randint(0, 5)),
                             team_id=team, priority=rng.choice(_PRIORITIES)))
    with transaction.atomic():
        Task.objects.bulk_create(rows, batch_size=2000)
    progress("tasks", len(by_owner), len(by_owner))
    return {"tasks": (timezone.now() - started).total_seconds()}
