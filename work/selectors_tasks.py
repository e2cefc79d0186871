"""Reads of tasks: scoped through the customer (who sees the customer sees its tasks), one query
per list page. Also what the calendar and the plans parts read: `tasks_in_range`, `tasks_done`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from core.timeline import CardPanel
from customers.models import Customer
from work.models import Task, TaskStatus
from work.plan_registry import LogEntry, period_bounds
from work.recurrence import occurrences_between

# "whose" filter of the task list: assigned to me, waiting in my team's queue, or every one I may see.
MINE, TEAM_QUEUE, ALL = "mine", "team", "all"
CARD_TASKS = 10  # tasks on the card's panel


def tasks_visible(user: User) -> QuerySet[Task]:
    return Task.objects.restrict(user, "view")


def task_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[Task]:
    """Scoped tasks filtered by: whose (mine / team / all), assignee, team, status, customer,
    due_from / due_to (due date, both included), record (``"app.model:id"``)."""
    qs = tasks_visible(user)
    whose = filters.get("whose") or ALL
    if whose == MINE:
        qs = qs.filter(assignee=user)
    elif whose == TEAM_QUEUE:
        qs = qs.filter(team_id=user.team_id, assignee__isnull=True) if user.team_id else qs.none()
    for key, field in (("customer", "customer_id"), ("assignee", "assignee_id"), ("team", "team_id"),
                       ("status", "status")):
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{field: filters[key]})
    if filters.get("queue") is not None:
        qs = qs.filter(assignee__isnull=bool(filters["queue"]))
    if filters.get("due_from"):
        qs = qs.filter(due_on__gte=filters["due_from"])
    if filters.get("due_to"):
        qs = qs.filter(due_on__lte=filters["due_to"])
    if filters.get("record_type") is not None and filters.get("record_id") is not None:
        qs = qs.filter(record_type_id=filters["record_type"], record_id=filters["record_id"])
    return qs


def task_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    """Earliest due first."""
    qs = task_filtered(user, filters).select_related("customer", "assignee", "team", "record_type")
    return keyset_page(qs, ordering=["due_on", "id"], cursor=cursor, size=size)


def tasks_open_for(*, user: User, limit: int = 20) -> list[Task]:
    """Open tasks assigned to the user, on customers the user still sees, earliest due first
    (the home page; one query on the (assignee, status, due_on) index)."""
    return list(
        tasks_visible(user).filter(assignee=user, status=TaskStatus.OPEN)
        .select_related("customer", "record_type").order_by("due_on", "id")[:limit]
    )


def tasks_of_customer(*, user: User, customer_id: int, limit: int = 50) -> list[Task]:
    """The customer's open tasks first (earliest due first), then the latest closed ones."""
    qs = tasks_visible(user).filter(customer_id=customer_id).select_related("assignee", "team", "record_type")
    opened = list(qs.filter(status=TaskStatus.OPEN).order_by("due_on", "id")[:limit])
    closed = list(qs.exclude(status=TaskStatus.OPEN).order_by("-updated_at", "-id")[: max(0, limit - len(opened))])
    return opened + closed


def card_panels(user: User, customer_id: int) -> list[CardPanel]:
    """The card's "Tasks" panel (core.registry "card_panels"): open tasks, then the latest closed."""
    if not Customer.objects.restrict(user, "view").filter(pk=customer_id).exists():
        return []
    can_change = Customer.objects.restrict(user, "change").filter(pk=customer_id).exists()
    tasks = tasks_of_customer(user=user, customer_id=customer_id, limit=CARD_TASKS)
    return [CardPanel(key="tasks", title=_("Tasks"), template="work/tasks/card_panel.html",
                      context={"tasks": tasks, "can_change": can_change})]


# --- for the calendar ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskSlot:
    """One occurrence of a task at its due time, as a calendar shows it.

    `task` is None when `viewer` may not see the task's customer: the slot then says only "busy".
    `occurrence` is the number in its series (recurring tasks are expanded; later occurrences do not
    exist as rows until the one before is done)."""

    task_id: int
    task: Task | None
    start: datetime
    occurrence: int
    assignee_id: int | None = None
    end: datetime | None = None  # a task that takes a slot (duration_minutes): its end; else a point

    @property
    def busy_only(self) -> bool:
        return self.task is None


def tasks_in_range(user: User, start: datetime, end: datetime, *, viewer: User | None = None) -> list[TaskSlot]:
    """The open tasks assigned to `user` that have a due time in [start, end) (aware datetimes),
    recurring ones expanded, by time. Seen by `viewer` (default: `user` himself): a task of a customer
    the viewer may not see comes without its details (`task` None, "busy").

    Not scoped by `viewer` otherwise: the calendar decides whose calendar a viewer may open."""
    return team_tasks_in_range([user.pk], start, end, viewer=viewer or user)


def team_tasks_in_range(user_ids: Iterable[int], start: datetime, end: datetime, *, viewer: User,
                        slots_only: bool = False) -> list[TaskSlot]:
    """`tasks_in_range` for several assignees at once (the team calendar: `slots_only`, the tasks
    that take time): two queries in all."""
    zone = timezone.get_current_timezone()
    start_day = timezone.localtime(start, zone).date()
    end_day = timezone.localtime(end, zone).date()
    rows = list(
        Task.objects.filter(assignee_id__in=list(user_ids), status=TaskStatus.OPEN, deleted_at__isnull=True,
                            customer__deleted_at__isnull=True, due_at__isnull=False)
        .filter(Q(due_on__lte=end_day) & (Q(due_on__gte=start_day - timedelta(days=1)) | ~Q(recurrence="none")))
        .filter(Q(duration_minutes__isnull=False) if slots_only else Q())
        .select_related("customer").order_by("due_at", "id")
    )
    visible = set(tasks_visible(viewer).filter(pk__in=[t.pk for t in rows]).values_list("pk", flat=True))
    slots: list[TaskSlot] = []
    for task in rows:
        assert task.due_at is not None
        at = timezone.localtime(task.due_at, zone)
        clock = at.time()
        for number, day in occurrences_between(at.date(), task.rule, start_day, end_day,
                                               occurrence=task.occurrence, anchor_day=task.recurrence_day):
            when = _at(day, clock, zone) if number != task.occurrence else task.due_at
            if start <= when < end:
                length = timedelta(minutes=task.duration_minutes) if task.duration_minutes else None
                slots.append(TaskSlot(task_id=task.pk, task=task if task.pk in visible else None, start=when,
                                      occurrence=number, assignee_id=task.assignee_id,
                                      end=when + length if length else None))
    slots.sort(key=lambda s: (s.start, s.task_id))
    return slots


def _at(day: date, clock: time, zone: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock.replace(tzinfo=None)), zone)


# --- for the plans -------------------------------------------------------------------------------

def tasks_done(user_ids: Iterable[int], start: date, end: date) -> dict[tuple[int, date], int]:
    """How many tasks each user ticked off per day: {(assignee id, day): count} for the days in
    [start, end] (both included; days in the current time zone, normally the business zone).
    Days without any are absent. Not scoped: the caller decides whose counts a viewer may see."""
    zone = timezone.get_current_timezone()
    low = timezone.make_aware(datetime.combine(start, time.min), zone)
    high = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    rows = (
        Task.objects.filter(assignee_id__in=list(user_ids), status=TaskStatus.DONE, done_at__gte=low,
                            done_at__lt=high, deleted_at__isnull=True)
        .annotate(day=TruncDate("done_at", tzinfo=zone)).values("assignee_id", "day")
        .annotate(n=Count("id")).order_by()
    )
    return {(row["assignee_id"], row["day"]): row["n"] for row in rows}


def tasks_done_on(user: User, day: date, *, viewer: User) -> list[Task]:
    """The tasks `user` ticked off on `day`, as `viewer` may see them (the daily log's entries)."""
    zone = timezone.get_current_timezone()
    low = timezone.make_aware(datetime.combine(day, time.min), zone)
    high = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)  # a day may not be 24 h
    return list(
        tasks_visible(viewer).filter(assignee=user, status=TaskStatus.DONE, done_at__gte=low, done_at__lt=high)
        .select_related("customer").order_by("done_at", "id")
    )


def task_log_entries(*, user_ids: Iterable[int], start: date, end: date) -> list[LogEntry]:
    """The daily log's tasks (work/plan_registry.py's log-source contract): every task a user ticked
    off in [start, end] (business days), one query for all users. Unscoped: the plan masks entries
    about customers the viewer may not see. Not a contact with the customer — ticking a task off says
    nothing about having spoken to them (the interaction does)."""
    low, high = period_bounds(start, end)
    rows = (Task.objects.filter(assignee_id__in=list(user_ids), status=TaskStatus.DONE, done_at__gte=low,
                                done_at__lt=high, deleted_at__isnull=True, customer__deleted_at__isnull=True)
            .values_list("pk", "assignee_id", "done_at", "customer_id", "customer__name", "title"))
    return [LogEntry(user_id=uid, at=done_at, kind="task", customer_id=cid,
                     label=_("Task done for %(customer)s: %(title)s") % {"customer": name, "title": title},
                     url=reverse("work:task_edit", args=[pk]))
            for pk, uid, done_at, cid, name, title in rows if done_at is not None]  # filtered: never None
