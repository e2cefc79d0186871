"""Writes on interactions and follow-up tasks: keyword-only, with the acting user, scoped through
the customer (the actor must be allowed to change it), one transaction, audited with the
customer's id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_record
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Contact, Customer
from customers.records.base import RecordKind, soft_delete
from interactions.models import Interaction
from work.models import Task
from work.services_tasks import task_create, task_delete, task_done, task_update

INTERACTION_FIELDS: list[str] = [
    "channel", "direction", "occurred_at", "staff", "contact", "subject", "content", "outcome", "external_id",
]


def _check_interaction(obj: Interaction, staff_before: int | None = None) -> None:
    if obj.staff_id and obj.staff_id != staff_before and not User.objects.filter(
        pk=obj.staff_id, is_active=True
    ).exists():
        raise ValidationError({"staff": _("The staff member must be an active user.")})
    if obj.contact_id and not Contact.objects.filter(
        pk=obj.contact_id, customer_id=obj.customer_id, deleted_at__isnull=True
    ).exists():
        raise ValidationError({"contact": _("The contact person must belong to this customer.")})


# --- interactions ------------------------------------------------------------------------------

@transaction.atomic
def interaction_create(
    *, actor: User, customer_id: int, data: Mapping[str, Any], follow_up: Mapping[str, Any] | None = None
) -> Interaction:
    """Record an interaction (staff member defaults to the actor), optionally with a follow-up task
    (title, due_on, assignee — the assignee defaults to the actor)."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    obj = Interaction(customer=customer, staff=actor)
    apply_fields(obj, data, INTERACTION_FIELDS)
    obj.full_clean(exclude=["customer"])
    _check_interaction(obj, staff_before=actor.pk)
    obj.save()
    change_record(user=actor, instance=obj, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(obj, INTERACTION_FIELDS))
    if follow_up:
        _task_create(actor=actor, customer=customer, data=follow_up, interaction=obj)
    return obj


@transaction.atomic
def interaction_update(
    *, actor: User, interaction_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> Interaction:
    """Change an interaction; with `expected_version`, StaleWrite if it changed meanwhile (core.concurrency)."""
    obj = get_scoped(Interaction.objects.select_for_update(), actor, "change", interaction_id)
    check_version(obj, expected_version)
    before = field_values(obj, INTERACTION_FIELDS)
    apply_fields(obj, data, INTERACTION_FIELDS)
    obj.full_clean(exclude=["customer"])
    _check_interaction(obj, staff_before=before["staff"])
    changes = diff_values(before, field_values(obj, INTERACTION_FIELDS))
    if changes:
        obj.save()
        change_record(user=actor, instance=obj, action=ChangeAction.UPDATE, customer_id=obj.customer_id,
                      changes=changes)
    return obj


@transaction.atomic
def interaction_delete(*, actor: User, interaction_id: int) -> Interaction:
    return soft_delete(Interaction, actor=actor, pk=interaction_id)


# --- follow-up tasks -----------------------------------------------------------------------------
# A follow-up is a task of the work app (work.Task) whose linked record is the interaction that
# spawned it; these keep the interactions' words and signatures, the work app's services do the work.

FOLLOW_UP_FIELDS: list[str] = ["title", "due_on", "assignee"]


def _interaction_link(interaction: Interaction) -> dict[str, Any]:
    return {"record_type": "interactions.interaction", "record_id": interaction.pk}


def _task_create(
    *, actor: User, customer: Customer, data: Mapping[str, Any], interaction: Interaction | None = None
) -> Task:
    unknown = set(data) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be set here.") for f in sorted(unknown)})
    link = _interaction_link(interaction) if interaction is not None else {}
    return task_create(actor=actor, customer_id=customer.pk, data={**data, **link})


@transaction.atomic
def follow_up_create(
    *, actor: User, customer_id: int, data: Mapping[str, Any], interaction_id: int | None = None
) -> Task:
    """A task for a customer the actor may change, optionally spawned by one of its interactions."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    interaction = None
    if interaction_id is not None:
        interaction = get_scoped(Interaction.objects, actor, "change", interaction_id)
        if interaction.customer_id != customer.pk:
            raise ValidationError({"interaction": _("The interaction must belong to the same customer.")})
    return _task_create(actor=actor, customer=customer, data=data, interaction=interaction)


def follow_up_update(
    *, actor: User, task_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> Task:
    """Change a follow-up's title, due date or assignee (work.services_tasks.task_update)."""
    unknown = set(data) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be set here.") for f in sorted(unknown)})
    return task_update(actor=actor, task_id=task_id, data=data, expected_version=expected_version)


def follow_up_done(*, actor: User, task_id: int, done: bool = True) -> Task:
    """Tick a task off (or reopen it). The assignee may always do this."""
    return task_done(actor=actor, task_id=task_id, done=done)


def follow_up_delete(*, actor: User, task_id: int) -> Task:
    return task_delete(actor=actor, task_id=task_id)


# Interactions and follow-up tasks on the records layer (customers.records): pages and API write
# through these services.
INTERACTIONS = RecordKind(model=Interaction, id_kwarg="interaction_id", create=interaction_create,
                          update=interaction_update, delete=interaction_delete)
FOLLOW_UPS = RecordKind(model=Task, id_kwarg="task_id", create=follow_up_create, update=follow_up_update,
                        delete=follow_up_delete)


# --- appointment outcomes (work's calendar) ------------------------------------------------------

# Which interaction channel an appointment of each kind was on (work.models.calendar.AppointmentKind).
APPOINTMENT_CHANNEL = {"visit": "visit", "call": "phone", "meeting": "visit", "asset_review": "visit",
                       "event": "event", "other": "visit"}


def appointment_outcome_interaction(*, actor: User, appointment: Any, outcome: str) -> Interaction:
    """work's outcome recorder (work.calendar_registry): the appointment as an interaction of its
    customer — channel from its kind, at its start, its title, notes and `outcome`, with its first
    contact person — in the caller's transaction."""
    contact = appointment.contacts.order_by("pk").first()
    return interaction_create(actor=actor, customer_id=appointment.customer_id, data={
        "channel": APPOINTMENT_CHANNEL.get(appointment.kind, "visit"), "occurred_at": appointment.starts_at,
        "subject": appointment.title[:200], "content": appointment.notes, "outcome": outcome[:500],
        "contact": contact, "staff": actor.pk,
    })
