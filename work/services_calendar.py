"""Writes on appointments and calendar feeds: keyword-only, with the acting user, one transaction,
audited (the customer's id on the audit row when there is a customer).

Conflicts (即时提示冲突事项): a create or update whose slot overlaps another appointment of one of its
user attendees (the organiser is always one) raises ``AppointmentConflicts`` listing them — who,
when, and what only where the actor may see that appointment ("busy" otherwise) — and saves nothing,
unless called with ``save_anyway=True``: then it saves, sets ``conflict_noted`` and writes the
conflicts into the audit row's note.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.zones import user_zone
from audit.models import ChangeAction
from audit.services import change_record
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Contact, Customer
from customers.records.base import soft_delete
from work.calendar_registry import outcome_recorder
from work.conflicts import Slot, day_start, first_overlap, span
from work.models.calendar import Appointment, AppointmentAttendee, CalendarFeed

APPOINTMENT_FIELDS: list[str] = [
    "kind", "title", "starts_at", "ends_at", "all_day", "start_date", "end_date", "recurrence", "recurrence_until",
    "location", "notes", "customer", "record_type", "record_id",
]
MAX_SERIES = timedelta(days=366)  # a recurring appointment repeats for at most a year
# What the audit rows compare (the attendees as sorted ids).
_AUDITED = [f for f in APPOINTMENT_FIELDS if f not in ("record_type",)] + ["conflict_noted"]
# Widening of the candidate query: an all-day slot's instants depend on the attendee's zone (±14 h).
_ZONE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Conflict:
    """Another appointment of `user` — or a task of theirs that takes a slot (`task_id` set,
    `appointment_id` None) — overlapping the slot; `title` is None when the actor may not see it (then
    only "busy" is shown: no title, customer, location or notes)."""

    user_id: int
    user_name: str
    appointment_id: int | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    title: str | None
    task_id: int | None = None

    @property
    def busy_only(self) -> bool:
        return self.title is None


class AppointmentConflicts(Exception):
    """Raised by a save that would overlap attendees' other appointments; nothing was saved."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        super().__init__(_("This time overlaps other appointments of the attendees."))
        self.conflicts = list(conflicts)


def slot_of(appointment: Appointment) -> Slot:
    return Slot(starts_at=appointment.starts_at, ends_at=appointment.ends_at, all_day=appointment.all_day,
                start_date=appointment.start_date, end_date=appointment.end_date,
                recurrence=appointment.recurrence, until=appointment.recurrence_until, zone=appointment.zone)


def series_span(appointment: Appointment) -> tuple[datetime, datetime]:
    """First start to last end in the appointment's own zone (what the attendee rows hold; the
    conflict query widens it by a day for attendees in other zones)."""
    return span(slot_of(appointment), appointment.zone)


def appointment_conflicts(
    *, actor: User, slot: Slot, user_ids: Iterable[int], exclude_id: int | None = None,
    exclude_task_id: int | None = None,
) -> list[Conflict]:
    """Other live appointments of `user_ids` that overlap `slot` (half-open; all-day as whole days in
    each attendee's own zone, accounts.zones.user_zone; recurring ones at any occurrence), in time
    order, each with its first overlapping occurrence. Candidates come from the (user, starts_at,
    ends_at) index over the series' spans; the exact test is work.conflicts."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    first, last = span(slot, slot.zone or user_zone(actor))
    rows = (AppointmentAttendee.objects
            .filter(user_id__in=ids, starts_at__lt=last + _ZONE_MARGIN,
                    ends_at__gt=first - _ZONE_MARGIN, appointment__deleted_at__isnull=True)
            .select_related("appointment", "user").order_by("starts_at", "appointment_id", "user_id"))
    if exclude_id is not None:
        rows = rows.exclude(appointment_id=exclude_id)
    hits = []
    for r in rows:
        when = first_overlap(slot, slot_of(r.appointment), user_zone(r.user))
        if when is not None:
            hits.append((r, when))
    visible = set(Appointment.objects.restrict(actor, "view")
                  .filter(pk__in={r.appointment_id for r, _when in hits}).values_list("pk", flat=True))
    found = [Conflict(user_id=r.user_id, user_name=str(r.user), appointment_id=r.appointment_id,
                      starts_at=when[0], ends_at=when[1], all_day=r.appointment.all_day,
                      title=r.appointment.title if r.appointment_id in visible else None) for r, when in hits]
    found += _task_slot_conflicts(actor, slot, ids, first, last, exclude_task_id)
    return sorted(found, key=lambda c: (c.starts_at, c.user_id))


def _task_slot_conflicts(actor: User, slot: Slot, ids: list[int], first: datetime, last: datetime,
                         exclude_task_id: int | None) -> list[Conflict]:
    """Open tasks of `ids` that take a slot ([due_at, slot_ends_at), the `task_slot` index) overlapping
    `slot`: a task's slot is a plain interval (its later occurrences do not exist yet)."""
    from work.models.tasks import Task, TaskStatus

    rows = (Task.objects.filter(assignee_id__in=ids, status=TaskStatus.OPEN, deleted_at__isnull=True,
                                slot_ends_at__isnull=False, due_at__lt=last, slot_ends_at__gt=first)
            .select_related("assignee").order_by("due_at", "id"))
    if exclude_task_id is not None:
        rows = rows.exclude(pk=exclude_task_id)
    hits = []
    for task in rows:
        assert task.due_at is not None and task.slot_ends_at is not None and task.assignee is not None
        when = first_overlap(slot, Slot(starts_at=task.due_at, ends_at=task.slot_ends_at), user_zone(task.assignee))
        if when is not None:
            hits.append((task, when))
    visible = set(Task.objects.restrict(actor, "view").filter(pk__in=[t.pk for t, _w in hits])
                  .values_list("pk", flat=True))
    return [Conflict(user_id=t.assignee_id or 0, user_name=str(t.assignee), appointment_id=None, task_id=t.pk,
                     starts_at=when[0], ends_at=when[1], all_day=False,
                     title=t.title if t.pk in visible else None) for t, when in hits]


def _normalise_times(obj: Appointment) -> None:
    """All-day: the dates decide the instants (midnights in the appointment's zone); otherwise no dates.
    A recurring appointment needs its last day, within a year of the first."""
    _normalise_slot(obj)
    if not obj.recurrence:
        obj.recurrence_until = None
        return
    first = obj.start_date if obj.all_day and obj.start_date else timezone.localtime(obj.starts_at, obj.zone).date()
    if obj.recurrence_until is None:
        raise ValidationError({"recurrence_until": _("Give the last day it repeats on.")})
    if not first <= obj.recurrence_until <= first + MAX_SERIES:
        raise ValidationError({"recurrence_until": _("The last day must be within a year after the first.")})


def _normalise_slot(obj: Appointment) -> None:
    if obj.all_day:
        if obj.start_date is None:
            raise ValidationError({"start_date": _("An all-day appointment needs its first day.")})
        if obj.end_date is None:
            obj.end_date = obj.start_date
        if obj.end_date < obj.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})
        obj.starts_at = day_start(obj.start_date, obj.zone)
        obj.ends_at = day_start(obj.end_date + timedelta(days=1), obj.zone)
        return
    obj.start_date = obj.end_date = None
    if obj.starts_at is None:
        raise ValidationError({"starts_at": _("Give the start time.")})
    if obj.ends_at is None:
        raise ValidationError({"ends_at": _("Give the end time.")})
    if obj.ends_at <= obj.starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})


def _check_links(actor: User, obj: Appointment, contact_ids: Iterable[int] | None) -> list[int] | None:
    if obj.customer_id is not None and not Customer.objects.restrict(actor, "change").filter(
            pk=obj.customer_id).exists():
        raise ValidationError({"customer": _("Choose a customer you may change.")})
    if (obj.record_type_id is None) != (obj.record_id is None):
        raise ValidationError({"record_id": _("A linked record needs both its kind and its id.")})
    if obj.record_type_id is not None:
        model = obj.record_type.model_class()  # type: ignore[union-attr]  # record_type_id is set
        manager = getattr(model, "objects", None)
        found = (manager.restrict(actor, "view") if hasattr(manager, "restrict") else manager.none()) \
            if manager is not None else None
        if found is None or not found.filter(pk=obj.record_id).exists():
            raise ValidationError({"record_id": _("No record of that kind that you may see has this id.")})
        if obj.customer_id is not None and getattr(found.get(pk=obj.record_id), "customer_id",
                                                   obj.customer_id) != obj.customer_id:
            raise ValidationError({"record_id": _("The linked record must belong to the same customer.")})
    if contact_ids is None:
        return None
    wanted = sorted(set(contact_ids))
    if wanted and obj.customer_id is None:
        raise ValidationError({"contacts": _("Contact persons can be invited only with their customer.")})
    found_ids = set(Contact.objects.filter(pk__in=wanted, customer=obj.customer, deleted_at__isnull=True)
                    .values_list("pk", flat=True))
    if found_ids != set(wanted):
        raise ValidationError({"contacts": _("Every contact person must belong to this customer.")})
    return wanted


def _attendee_ids(organiser_id: int, user_ids: Iterable[int]) -> list[int]:
    wanted = set(user_ids) | {organiser_id}
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    if active != wanted:
        raise ValidationError({"users": _("Every attendee must be an active user.")})
    return sorted(wanted)


def record_type_of(label: str | None) -> ContentType | None:
    """The content type of "app.model" (None for None/""); a ValidationError for an unknown one."""
    if not label:
        return None
    try:
        return ContentType.objects.get_for_model(apps.get_model(label))
    except (LookupError, ValueError) as exc:
        raise ValidationError({"record_type": _("Unknown kind of record: %(label)s") % {"label": label}}) from exc


def conflict_note(conflicts: Sequence[Conflict]) -> str:
    """The audit note of a save despite conflicts: who, which appointment or task, when (UTC)."""
    return "; ".join(
        f"{c.user_name}: {'task ' if c.task_id else ''}#{c.task_id or c.appointment_id} {c.starts_at:%Y-%m-%d %H:%M}Z"
        for c in conflicts)


def _values(obj: Appointment, attendee_ids: Iterable[int], contact_ids: Iterable[int]) -> dict[str, Any]:
    values = field_values(obj, _AUDITED)
    values["users"] = sorted(attendee_ids)
    values["contacts"] = sorted(contact_ids)
    return values


def _sync_attendees(obj: Appointment, attendee_ids: list[int]) -> None:
    first, last = series_span(obj)
    AppointmentAttendee.objects.filter(appointment=obj).exclude(user_id__in=attendee_ids).delete()
    AppointmentAttendee.objects.filter(appointment=obj).update(starts_at=first, ends_at=last)
    have = set(AppointmentAttendee.objects.filter(appointment=obj).values_list("user_id", flat=True))
    AppointmentAttendee.objects.bulk_create([
        AppointmentAttendee(appointment=obj, user_id=uid, starts_at=first, ends_at=last)
        for uid in attendee_ids if uid not in have])


def _check_conflicts(actor: User, obj: Appointment, attendee_ids: list[int], save_anyway: bool) -> list[Conflict]:
    conflicts = appointment_conflicts(actor=actor, slot=slot_of(obj), user_ids=attendee_ids,
                                      exclude_id=obj.pk)
    if conflicts and not save_anyway:
        raise AppointmentConflicts(conflicts)
    return conflicts


@transaction.atomic
def appointment_create(
    *, actor: User, data: Mapping[str, Any], users: Iterable[int] = (), contacts: Iterable[int] = (),
    save_anyway: bool = False,
) -> Appointment:
    """Put an appointment in the calendars of the actor (the organiser) and of `users` (ids), with the
    customer's contact persons `contacts` (ids). AppointmentConflicts unless `save_anyway`."""
    # Planned in the organiser's zone: its repeats keep that wall clock, its all-day days are theirs.
    obj = Appointment(organiser=actor, time_zone=actor.time_zone)
    apply_fields(obj, data, APPOINTMENT_FIELDS)
    _normalise_times(obj)
    obj.full_clean(exclude=["organiser"])
    contact_ids = _check_links(actor, obj, contacts) or []
    attendee_ids = _attendee_ids(actor.pk, users)
    conflicts = _check_conflicts(actor, obj, attendee_ids, save_anyway)
    obj.conflict_noted = bool(conflicts)
    obj.save()
    _sync_attendees(obj, attendee_ids)
    obj.contacts.set(contact_ids)
    changes = created_changes(obj, _AUDITED)
    changes.update(users=[None, attendee_ids], contacts=[None, contact_ids])
    change_record(user=actor, instance=obj, action=ChangeAction.CREATE, customer_id=obj.customer_id,
                  changes=changes, note=conflict_note(conflicts))
    _invite(obj, actor=actor, user_ids=attendee_ids)
    return obj


@transaction.atomic
def appointment_update(
    *, actor: User, appointment_id: int, data: Mapping[str, Any], users: Iterable[int] | None = None,
    contacts: Iterable[int] | None = None, save_anyway: bool = False,
    expected_version: str | Iterable[str] | None = None,
) -> Appointment:
    """Change (reschedule, re-invite …) an appointment; `users`/`contacts` None: unchanged. With
    `expected_version`, StaleWrite if it changed meanwhile (core.concurrency). A change that keeps
    the slot and the attendees is not checked for conflicts again."""
    obj = get_scoped(Appointment.objects.select_for_update(of=("self",)), actor, "change", appointment_id)
    check_version(obj, expected_version)
    old_users = sorted(AppointmentAttendee.objects.filter(appointment=obj).values_list("user_id", flat=True))
    old_contacts = sorted(obj.contacts.values_list("pk", flat=True))
    before = _values(obj, old_users, old_contacts)
    apply_fields(obj, data, APPOINTMENT_FIELDS)
    _normalise_times(obj)
    obj.full_clean(exclude=["organiser"])
    checked = _check_links(actor, obj, contacts if contacts is not None else (
        old_contacts if obj.customer_id == before["customer"] else []))
    contact_ids = checked or []
    attendee_ids = _attendee_ids(obj.organiser_id, users) if users is not None else old_users
    conflicts: list[Conflict] = []
    moved = attendee_ids != old_users or any(
        getattr(obj, f) != before[f] for f in ("starts_at", "ends_at", "recurrence", "recurrence_until"))
    if moved:
        conflicts = _check_conflicts(actor, obj, attendee_ids, save_anyway)
        obj.conflict_noted = bool(conflicts)
    changes = diff_values(before, _values(obj, attendee_ids, contact_ids))
    if changes:
        obj.save()
        _sync_attendees(obj, attendee_ids)
        obj.contacts.set(contact_ids)
        change_record(user=actor, instance=obj, action=ChangeAction.UPDATE, customer_id=obj.customer_id,
                      changes=changes, note=conflict_note(conflicts))
        _invite(obj, actor=actor, user_ids=set(attendee_ids) - set(old_users))
    return obj


def _invite(obj: Appointment, *, actor: User, user_ids: Iterable[int]) -> None:
    """Tell the users just put in an appointment (not whoever put them there): work.invitation, with
    when and where. A user who may not see the appointment's customer is not told (notify's rule)."""
    from work.services_notifications import notify

    invited = sorted(u for u in user_ids if u != actor.pk)
    if not invited:
        return
    when = (obj.start_date.isoformat() if obj.all_day and obj.start_date
            else timezone.localtime(obj.starts_at).strftime("%Y-%m-%d %H:%M") if obj.starts_at else "")
    notify(recipients=invited, event="work.invitation", obj=obj, actor=actor, context={
        "item": {"title": obj.title, "when": when, "location": obj.location}, "actor": {"name": str(actor)},
        "url": reverse("work:appointment_detail", args=[obj.pk])})


@transaction.atomic
def appointment_delete(*, actor: User, appointment_id: int) -> Appointment:
    """Soft delete: the appointment leaves every calendar and feed; an administrator can see it in the
    audit trail."""
    return soft_delete(Appointment, actor=actor, pk=appointment_id)


@transaction.atomic
def appointment_outcome_record(*, actor: User, appointment_id: int, outcome: str) -> Any:
    """Record what came of an appointment with a customer, in one step, as the record the registered
    outcome recorder makes (an interaction); the appointment links to it. Once only."""
    obj = get_scoped(Appointment.objects.select_for_update(of=("self",)), actor, "change", appointment_id)
    recorder = outcome_recorder()
    if recorder is None:
        raise ValidationError(_("No app records appointment outcomes here."))
    if obj.customer_id is None:
        raise ValidationError(_("Only an appointment with a customer has an outcome to record."))
    if obj.outcome_id is not None:
        raise ValidationError(_("The outcome of this appointment is recorded already."))
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say what came of it.")})
    record = recorder(actor=actor, appointment=obj, outcome=outcome.strip())
    obj.outcome_type = ContentType.objects.get_for_model(record)
    obj.outcome_id = record.pk
    obj.save(update_fields=["outcome_type", "outcome_id", "updated_at"])
    change_record(user=actor, instance=obj, action=ChangeAction.UPDATE, customer_id=obj.customer_id,
                  changes={"outcome": [None, f"{record._meta.label_lower}:{record.pk}"]})
    return record


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_reset(*, actor: User) -> str:
    """A new private feed token for the actor (the old URL stops working at once); returned once,
    only its hash is kept."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=actor, defaults={"token_hash": feed_token_hash(token)})
    change_record(user=actor, instance=actor, action=ChangeAction.UPDATE, changes={"calendar_feed": ["", "reset"]})
    return token
