"""Writes on tasks: keyword-only, with the acting user, scoped through the customer, one
transaction, audited with the customer's id.

Who may do what:
- create, edit, delete: who may change the customer (as for every record of a customer);
- tick off (`task_done`) and cancel: also the assignee;
- take a task from a team's queue: a member of that team who sees the customer. Two members taking
  the same task at once: one conditional UPDATE decides, the other is told who has it.

Due time: `data` carries `due_on` (a date: an all-day task) and/or `due_at` (an aware datetime: a
task at a time; its day in the current time zone becomes `due_on`). Changing only `due_on` of a task
with a time moves it to the new day at the same time of day; `due_at=None` makes it all-day.

Linked record: `record_type` ("app_label.model") and `record_id` in `data`: a record of the same
customer that the actor sees (a record of another customer is refused).

Recurring tasks: ticking one off creates the next occurrence (work.recurrence) as a new open task
with the same fields; cancelling one ends its series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from accounts.zones import business_zone
from audit.models import ChangeAction
from audit.services import change_record
from core import registry
from core.concurrency import check_version
from core.models import concrete_field, diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer
from customers.records.base import RecordKind, soft_delete
from work.conflicts import Slot
from work.models import Task, TaskStatus
from work.recurrence import next_occurrence
from work.services_calendar import Conflict, appointment_conflicts, conflict_note

TASK_FIELDS: list[str] = [
    "title", "description", "due_on", "due_at", "priority", "assignee", "team", "remind_at",
    "recurrence", "recurrence_interval", "recurrence_until", "recurrence_count", "duration_minutes",
]
AUDITED: list[str] = [*TASK_FIELDS, "record_type", "record_id"]

# Registry name of what happens when a task's reminder is due (see `remind_due_tasks`).
REMINDER_HANDLERS = "work_task_reminder_handlers"


def _message_context(task: Task, actor: Any = None) -> dict[str, Any]:
    """The merge fields of a task's messages (work.assignment, work.reminder): plain values only."""
    due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task.due_at else task.due_on.isoformat()
    return {"item": {"title": task.title, "due": due}, "actor": {"name": str(actor) if actor else ""}}


def _people_to_tell(task: Task) -> list[int]:
    """The assignee, or every active member of the team whose queue holds the task."""
    if task.assignee_id is not None:
        return [task.assignee_id]
    if task.team_id is None:
        return []
    return list(User.objects.filter(team_id=task.team_id, is_active=True).values_list("pk", flat=True))


def _after_write(task: Task, *, actor: User, assignee_before: int | None) -> None:
    """What a saved task sets going: whoever someone else has just assigned it to is told
    (work.assignment, in the same transaction), and a pending reminder is handed to the worker for
    its time (after the commit; remind_due_tasks claims each reminder once, so an earlier enqueue for
    a reminder since moved does no harm)."""
    from work.notification_tasks import enqueue_reminders
    from work.services_notifications import notify

    if task.assignee_id not in (None, assignee_before, actor.pk):
        notify(recipients=[task.assignee_id], event="work.assignment", obj=task, actor=actor,
               context=_message_context(task, actor))
    if task.remind_at is not None and task.reminded_at is None and task.status == TaskStatus.OPEN:
        when = task.remind_at
        transaction.on_commit(lambda: enqueue_reminders(run_after=when))


def task_reminder_notify(task: Task) -> None:
    """REMINDER_HANDLERS entry (registered by the notifications part): the reminder as a notification
    to the assignee, or to the team of a task waiting in its queue."""
    from work.services_notifications import notify

    notify(recipients=_people_to_tell(task), event="work.reminder", obj=task, context=_message_context(task))


def _check_people(task: Task) -> None:
    """A task has someone to do it: an active user who sees the customer, or a team's queue."""
    if task.assignee_id is None and task.team_id is None:
        raise ValidationError({"assignee": _("Assign the task to someone or to a team's queue.")})
    if task.assignee_id is not None:
        assignee = User.objects.filter(pk=task.assignee_id).first()
        if assignee is None or not assignee.is_active:
            raise ValidationError({"assignee": _("The assignee must be an active user.")})
        if not Customer.objects.restrict(assignee, "view").filter(pk=task.customer_id).exists():
            raise ValidationError({"assignee": _("%(user)s cannot see this customer; choose someone who can.")
                                   % {"user": assignee}})
    if task.team_id is not None and not Team.objects.filter(pk=task.team_id).exists():
        raise ValidationError({"team": _("No such team.")})


def _check_recurrence(task: Task) -> None:
    if task.recurrence == "none":
        task.recurrence_interval, task.recurrence_until, task.recurrence_count = 1, None, None
        return
    if not task.recurrence_interval or task.recurrence_interval < 1:
        raise ValidationError({"recurrence_interval": _("Repeat at least every 1.")})
    if task.recurrence_until is not None and task.recurrence_until < task.due_on:
        raise ValidationError({"recurrence_until": _("The last day cannot be before the due date.")})
    if task.recurrence_count is not None and task.recurrence_count < task.occurrence:
        raise ValidationError({"recurrence_count": _("This is already occurrence %(n)s of the series.")
                               % {"n": task.occurrence}})


def _apply(task: Task, data: Mapping[str, Any]) -> None:
    """Set the fields of `data`, keeping `due_on` the day of `due_at` (see the module docstring)."""
    data = dict(data)
    for name in ("due_on", "due_at", "remind_at", "recurrence_until"):
        if data.get(name) is not None:  # text from a caller: read it now, the rules below compare values
            try:
                data[name] = concrete_field(Task, name).to_python(data[name])
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from exc
    link = (data.pop("record_type", None), data.pop("record_id", None)) if "record_type" in data else None
    # `due_on` is the business zone's day of `due_at`, whatever zone the user sees times in.
    zone = business_zone()
    if "due_on" in data and "due_at" not in data and task.due_at is not None and data["due_on"]:
        clock = timezone.localtime(task.due_at, zone).time()
        data["due_at"] = timezone.make_aware(datetime.combine(data["due_on"], clock.replace(tzinfo=None)), zone)
    apply_fields(task, data, TASK_FIELDS)
    if task.due_at is not None:
        if timezone.is_naive(task.due_at):
            raise ValidationError({"due_at": _("Give the time with its time zone.")})
        task.due_on = timezone.localdate(task.due_at, zone)
    if link is not None:
        task.record_type, task.record_id = _linkable(*link) if link[0] else (None, None)


def _linkable(label: Any, record_id: Any) -> tuple[ContentType, int]:
    """The content type of a record kind that can be linked (one that belongs to a customer)."""
    try:
        app_label, model_name = str(label).split(".", 1)
        ctype = ContentType.objects.get_by_natural_key(app_label, model_name.lower())
    except (ValueError, ContentType.DoesNotExist) as exc:
        raise ValidationError({"record_type": _("No such kind of record.")}) from exc
    model = ctype.model_class()
    if model is None or "customer" not in {f.name for f in model._meta.get_fields()}:
        raise ValidationError({"record_type": _("A task can be linked only to a record of a customer.")})
    if record_id in (None, ""):
        raise ValidationError({"record_id": _("Say which record.")})
    return ctype, int(record_id)


def _check_record(task: Task, actor: User) -> None:
    """The linked record must be one of the task's customer that the actor sees."""
    if task.record_type_id is None:
        return
    model = task.record_type.model_class()  # type: ignore[union-attr]
    assert model is not None
    manager = model._default_manager
    qs = manager.restrict(actor, "view") if hasattr(manager, "restrict") else manager.all()
    if not qs.filter(pk=task.record_id, customer_id=task.customer_id).exists():
        raise ValidationError({"record_id": _("The linked record must be one of this customer's that you can see.")})


def _validate(task: Task, actor: User) -> None:
    task.full_clean(exclude=["customer", "record_type", "previous"])
    _check_people(task)
    _check_recurrence(task)
    _check_record(task, actor)


def _check_slot(task: Task, actor: User, *, save_anyway: bool) -> list[Conflict]:
    """A task with a due time and a duration holds [due_at, due_at + duration) of its assignee's
    calendar: one that overlaps the assignee's appointments or other task slots is refused with the
    conflicts (who, what, when) unless `save_anyway`; then it is saved and the conflict noted."""
    if task.duration_minutes and task.due_at is None:
        raise ValidationError({"duration_minutes": _("Only a task with a due time can take time; give the time.")})
    task.slot_ends_at = (task.due_at + timedelta(minutes=task.duration_minutes)
                         if task.due_at is not None and task.duration_minutes else None)
    if task.slot_ends_at is None or task.assignee_id is None or task.status != TaskStatus.OPEN:
        task.conflict_noted = False
        return []
    assert task.due_at is not None
    conflicts = appointment_conflicts(actor=actor, slot=Slot(starts_at=task.due_at, ends_at=task.slot_ends_at),
                                      user_ids=[task.assignee_id], exclude_task_id=task.pk)
    if conflicts and not save_anyway:
        zone = timezone.get_current_timezone()
        listed = "; ".join(
            f"{c.user_name} {c.starts_at.astimezone(zone):%Y-%m-%d %H:%M}–{c.ends_at.astimezone(zone):%H:%M} "
            f"{_('busy') if c.busy_only else c.title}" for c in conflicts)
        raise ValidationError({"duration_minutes": _(
            "This time overlaps other plans of the assignee: %(conflicts)s. Tick “save anyway” to save it all the "
            "same.") % {"conflicts": listed}}, code="conflict")
    task.conflict_noted = bool(conflicts)
    return conflicts


@transaction.atomic
def task_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> Task:
    """A task for a customer the actor may change; assigned to the actor unless `data` names an
    assignee or a team's queue."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    task = Task(customer=customer, created_by=actor)
    save_anyway = bool(data.get("save_anyway"))
    values = {k: v for k, v in data.items()
              if k != "save_anyway" and not (k in ("assignee", "team") and v in (None, ""))}
    _apply(task, values)
    if task.assignee_id is None and task.team_id is None:
        task.assignee_id = actor.pk
    task.recurrence_day = task.due_on.day if task.due_on else None
    if task.due_on and task.due_on < timezone.localdate():
        # A new task due yesterday would be born overdue: a typo of the date, never a plan. (An existing
        # task keeps its past due date: that is what "overdue" means.)
        raise ValidationError({"due_on": gettext_lazy("A new task cannot be due in the past; choose today or a later "
                                                      "day.")})
    _validate(task, actor)
    conflicts = _check_slot(task, actor, save_anyway=save_anyway)
    task.save()
    change_record(user=actor, instance=task, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(task, AUDITED), note=conflict_note(conflicts))
    _after_write(task, actor=actor, assignee_before=None)
    return task


@transaction.atomic
def task_update(
    *, actor: User, task_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> Task:
    """Change a task's fields; with `expected_version`, StaleWrite if it changed meanwhile
    (core.concurrency) — ticking it off or taking it counts as a change."""
    task = get_scoped(Task.objects.select_for_update(), actor, "change", task_id)
    check_version(task, expected_version)
    before = field_values(task, AUDITED)
    save_anyway = bool(data.get("save_anyway"))
    _apply(task, {k: v for k, v in data.items() if k != "save_anyway"})
    if task.remind_at != before["remind_at"]:
        task.reminded_at = None  # a new reminder time reminds again
    if before["due_on"] != task.due_on or before["recurrence"] != task.recurrence:
        task.recurrence_day = task.due_on.day  # a series moved to another day keeps that day from now on
    _validate(task, actor)
    conflicts: list[Conflict] = []
    slot_fields = ["due_at", "duration_minutes", "assignee"]
    if {f: before[f] for f in slot_fields} != field_values(task, slot_fields):
        # Only a new time, length or assignee is checked again (as for appointments).
        conflicts = _check_slot(task, actor, save_anyway=save_anyway)
    changes = diff_values(before, field_values(task, AUDITED))
    if changes:
        task.save()
        change_record(user=actor, instance=task, action=ChangeAction.UPDATE, customer_id=task.customer_id,
                      changes=changes, note=conflict_note(conflicts))
        _after_write(task, actor=actor, assignee_before=before["assignee"])
    return task


@transaction.atomic
def task_delete(*, actor: User, task_id: int) -> Task:
    return soft_delete(Task, actor=actor, pk=task_id)


def _task_to_act_on(actor: User, task_id: int) -> Task:
    """A task the actor may tick off or cancel: assigned to the actor, or of a customer the actor may
    change (PermissionDenied otherwise, the same answer as for a task the actor does not see)."""
    try:
        return Task.objects.restrict(actor, "view").select_for_update().get(
            models.Q(pk=task_id) & (models.Q(assignee=actor)
                                    | models.Q(pk__in=Task.objects.restrict(actor, "change").values("pk")))
        )
    except Task.DoesNotExist as exc:
        raise PermissionDenied(_("You do not have access to this record.")) from exc


def _set_status(actor: User, task: Task, status: str) -> None:
    before = {"status": task.status, "done_at": str(task.done_at) if task.done_at else None}
    task.status = status
    task.done_at = timezone.now() if status == TaskStatus.DONE else None
    task.save(update_fields=["status", "done_at", "updated_at"])
    change_record(user=actor, instance=task, action=ChangeAction.UPDATE, customer_id=task.customer_id,
                  changes={"status": [before["status"], task.status],
                           "done_at": [before["done_at"], str(task.done_at) if task.done_at else None]})


@transaction.atomic
def task_done(*, actor: User, task_id: int, done: bool = True) -> Task:
    """Tick a task off (or reopen it with done=False). A recurring task's next occurrence is created
    when it is ticked off (once per occurrence, however often it is reopened and ticked off again)."""
    task = _task_to_act_on(actor, task_id)
    if done and task.status == TaskStatus.CANCELLED:
        raise ValidationError({"status": _("A cancelled task cannot be done; reopen it first.")})
    if task.is_done == done:
        return task
    _set_status(actor, task, TaskStatus.DONE if done else TaskStatus.OPEN)
    if done:
        _create_next(actor, task)
    return task


@transaction.atomic
def task_cancel(*, actor: User, task_id: int, cancelled: bool = True) -> Task:
    """Cancel an open task (or reopen a cancelled one with cancelled=False); a recurring task's series
    ends with it."""
    task = _task_to_act_on(actor, task_id)
    if cancelled and task.status != TaskStatus.OPEN:
        raise ValidationError({"status": _("Only an open task can be cancelled.")})
    if not cancelled and task.status != TaskStatus.CANCELLED:
        return task
    _set_status(actor, task, TaskStatus.CANCELLED if cancelled else TaskStatus.OPEN)
    return task


@transaction.atomic
def task_take(*, actor: User, task_id: int) -> Task:
    """Take a task from the actor's team's queue: it becomes the actor's."""
    task = get_scoped(Task.objects, actor, "view", task_id)
    if task.team_id is None or task.team_id != actor.team_id:
        raise PermissionDenied(_("Only a member of the task's team can take it from the queue."))
    if task.status != TaskStatus.OPEN:
        raise ValidationError({"status": _("Only an open task can be taken.")})
    # One conditional UPDATE decides between members taking it at the same moment.
    taken = Task.objects.filter(pk=task.pk, assignee__isnull=True, status=TaskStatus.OPEN).update(
        assignee=actor, updated_at=timezone.now())
    if not taken:
        holder = Task.objects.select_related("assignee").get(pk=task.pk).assignee
        raise ValidationError({"assignee": _("%(user)s has already taken this task.") % {"user": holder}})
    task.refresh_from_db()
    change_record(user=actor, instance=task, action=ChangeAction.UPDATE, customer_id=task.customer_id,
                  changes={"assignee": [None, actor.pk]}, note="taken from the team's queue")
    return task


def _create_next(actor: User, task: Task) -> Task | None:
    """The next occurrence of a recurring task just ticked off (None when its series ends)."""
    following = next_occurrence(task.due_on, task.rule, occurrence=task.occurrence, anchor_day=task.recurrence_day)
    if following is None or Task.objects.filter(previous=task).exists():
        return None
    shift = following - task.due_on
    nxt = Task(
        customer_id=task.customer_id, title=task.title, description=task.description, due_on=following,
        due_at=_shifted(task.due_at, shift), priority=task.priority,
        assignee_id=None if task.team_id else task.assignee_id, team_id=task.team_id,
        record_type_id=task.record_type_id, record_id=task.record_id, remind_at=_shifted(task.remind_at, shift),
        recurrence=task.recurrence, recurrence_interval=task.recurrence_interval,
        recurrence_until=task.recurrence_until, recurrence_count=task.recurrence_count,
        recurrence_day=task.recurrence_day, occurrence=task.occurrence + 1, previous=task, created_by=actor,
    )
    nxt.save()
    change_record(user=actor, instance=nxt, action=ChangeAction.CREATE, customer_id=nxt.customer_id,
                  changes={**created_changes(nxt, AUDITED), "previous": [None, task.pk]},
                  note="next occurrence of a recurring task")
    _after_write(nxt, actor=actor, assignee_before=nxt.assignee_id)  # its own reminder, no new assignment
    return nxt


def _shifted(moment: datetime | None, shift: timedelta) -> datetime | None:
    """`moment` moved by whole days, at the same local time of day (daylight saving may intervene)."""
    if moment is None:
        return None
    local = timezone.localtime(moment)
    day: date = local.date() + shift
    return timezone.make_aware(datetime.combine(day, local.time().replace(tzinfo=None)))


def remind_due_tasks(*, now: datetime | None = None) -> int:
    """Mark the open tasks whose reminder time has come as reminded and hand each to every handler
    registered under REMINDER_HANDLERS (`registry.add(REMINDER_HANDLERS, fn)`, fn(task) — e.g. the
    notifications part raises a notification to the assignee or the team). Idempotent: a task is
    reminded once (until its reminder time is changed). Returns how many were reminded."""
    now = now or timezone.now()
    handlers: list[Callable[[Task], Any]] = registry.get_all(REMINDER_HANDLERS)
    count = 0
    due = Task.objects.filter(status=TaskStatus.OPEN, deleted_at__isnull=True, reminded_at__isnull=True,
                              remind_at__lte=now).values_list("pk", flat=True)[:1000]
    for pk in list(due):
        with transaction.atomic():
            # The conditional UPDATE claims the reminder, so two runs never remind twice.
            if not Task.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            task = Task.objects.select_related("customer", "assignee", "team").get(pk=pk)
            for handler in handlers:
                handler(task)
            count += 1
    return count


# Tasks on the records layer (customers.records): pages and API write through these services.
TASKS = RecordKind(model=Task, id_kwarg="task_id", create=task_create, update=task_update, delete=task_delete)
