"""Base models: timestamps and soft delete."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=False)


class SoftDeleteModel(models.Model):
    """Rows are never removed by the application: deletion sets deleted_at and can be undone."""

    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def concrete_field(model: type[models.Model] | models.Model, name: str) -> models.Field[Any, Any]:
    """The model's field `name` (a column or a many-to-many field), never the reverse side of a
    relation, which `_meta.get_field` also answers for (a ForeignObjectRel has no attname, choices
    or to_python). Raises FieldDoesNotExist as get_field does."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise FieldDoesNotExist(f"{model._meta.label}.{name} is the reverse side of a relation, not a field")
    return field


def max_length(model: type[models.Model], name: str) -> int:
    """The longest text the column `name` of `model` holds (a field with a max_length)."""
    length = concrete_field(model, name).max_length
    if length is None:
        raise FieldDoesNotExist(f"{model._meta.label}.{name} has no max_length")
    return length


def field_values(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """JSON-safe values of the named concrete fields, for before/after audit records."""
    out: dict[str, Any] = {}
    for name in fields:
        field = concrete_field(instance, name)
        value = getattr(instance, field.attname)
        if isinstance(value, datetime) and timezone.is_aware(value):
            # One form for one moment: the database gives UTC, a form or the API the local time;
            # as text they would differ and an unchanged date would be recorded as changed.
            value = value.astimezone(UTC)
        if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
            out[name] = _decimal_text(field, value)
        elif value is None or isinstance(value, (str, int, float, bool, list, dict)):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def _decimal_text(field: models.DecimalField, value: Decimal) -> str:
    """One text for one number: 50, 50.0 and 50.00 typed into a field of two places are "50.00" as
    the database reads it back (else an unchanged value is recorded as changed), and places used
    beyond two are kept, zeros are not (a unit price of 9.7700 is "9.77", of 0.0350 "0.035")."""
    try:
        value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    except InvalidOperation:
        return str(value)
    exponent = value.normalize().as_tuple().exponent
    used = -exponent if isinstance(exponent, int) else field.decimal_places
    return f"{value:.{max(min(2, field.decimal_places), min(used, field.decimal_places))}f}"


def diff_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


class PeriodicJobRun(models.Model):
    """When a periodic job (core/periodic.py) was last enqueued: at most once a business day."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_day = models.DateField(_("last day enqueued"), null=True, blank=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_task_id = models.CharField(_("last task"), max_length=64, blank=True, default="")
    runs = models.PositiveIntegerField(_("times enqueued"), default=0)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return f"{self.name} ({self.last_day or '—'})"
