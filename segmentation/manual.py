"""Writes on the manual schemes and on classes: a user sets a customer's class of a manual scheme
(relationship level, organisation relationship class, purchase relationship, value capability),
keeping the history; administrators and managers name each class's responsible manager (D4)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import ChangeAction
from audit.services import change_record
from core.services import get_scoped
from customers.choices import CustomerKind
from customers.models import Customer
from segmentation.choices import SchemeKind
from segmentation.models import Scheme, SchemeAssignment, SchemeClass
from segmentation.rules import may_manage_schemes

# Manual schemes that only apply to one kind of customer.
SCHEME_CUSTOMER_KIND = {"org_relationship_class": CustomerKind.ORGANISATION}


def scheme_applies(scheme_key: str, customer_kind: str) -> bool:
    """Whether a manual scheme is offered for a customer of this kind."""
    wanted = SCHEME_CUSTOMER_KIND.get(scheme_key)
    return wanted is None or wanted == customer_kind


def scheme_assign(
    *, actor: Any, customer_id: int, scheme_key: str, class_key: str, note: str = ""
) -> SchemeAssignment:
    """Put the customer in a class of a manual scheme: the current assignment ends, a new one
    starts (history is kept; "not set" is recorded too). The actor must be allowed to change the
    customer. One transaction, audited on the customer's history."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    try:
        scheme = Scheme.objects.get(key=scheme_key, kind=SchemeKind.MANUAL)
    except Scheme.DoesNotExist as exc:
        raise ValidationError({"scheme": _("No such manual scheme.")}) from exc
    if not scheme_applies(scheme.key, customer.kind):
        raise ValidationError({"scheme": _("This scheme applies to organisations only.")})
    try:
        new_class = scheme.classes.get(key=class_key)
    except SchemeClass.DoesNotExist as exc:
        raise ValidationError({"class_key": _("Choose one of the scheme's classes.")}) from exc
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("The note is too long (at most 2000 characters).")})
    now = timezone.now()
    with transaction.atomic():
        current = (SchemeAssignment.objects.select_for_update().select_related("scheme_class")
                   .filter(customer_id=customer.pk, scheme=scheme, ended_at__isnull=True).first())
        if current and current.scheme_class_id == new_class.pk and current.note == note:
            return current
        if current:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        assignment = SchemeAssignment.objects.create(
            customer_id=customer.pk, scheme=scheme, scheme_class=new_class, note=note, assigned_by=actor,
            assigned_at=now,
        )
        change_record(
            user=actor, instance=assignment, action=ChangeAction.UPDATE if current else ChangeAction.CREATE,
            customer_id=customer.pk,
            changes={"scheme_class": [current.scheme_class.name if current else None, new_class.name],
                     **({"note": [current.note if current else "", note]} if note or (current and current.note)
                        else {})},
            note=scheme.key,
        )
    return assignment


def scheme_class_manager_set(*, actor: Any, class_id: int, manager: Any | None) -> SchemeClass:
    """Name (or clear) the manager responsible for a class's customers and their profit.
    Administrators and managers only; the manager must be an active user. Audited."""
    if not may_manage_schemes(actor):
        raise PermissionDenied(_("Only administrators and managers may name the managers of classes."))
    if manager is not None and not manager.is_active:
        raise ValidationError({"manager": _("Choose an active user.")})
    if manager is not None and not manager.may_own_customers:
        raise ValidationError({"manager": _("%(user)s has a read-only role and cannot be responsible for customers.")
                               % {"user": manager}})
    with transaction.atomic():
        cls = SchemeClass.objects.select_for_update().get(pk=class_id)
        before = cls.manager_id
        if before == (manager.pk if manager else None):
            return cls
        cls.manager = manager
        cls.save(update_fields=["manager"])
        change_record(user=actor, instance=cls, action=ChangeAction.UPDATE,
                      changes={"manager": [before, manager.pk if manager else None]})
    return cls
