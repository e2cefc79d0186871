"""Building blocks every domain service uses: scoped fetch, field application, creation diffs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core.models import field_values
from core.querysets import Restrictable


def get_scoped(queryset: Restrictable, user: Any, action: str, pk: int) -> Any:
    """The object if the user may act on it; PermissionDenied otherwise (same answer for 'absent')."""
    try:
        return queryset.restrict(user, action).get(pk=pk)
    except ObjectDoesNotExist as exc:  # the model's DoesNotExist
        raise PermissionDenied(_("You do not have access to this record.")) from exc


def apply_fields(instance: models.Model, data: Mapping[str, Any], allowed: list[str]) -> None:
    """Set `data` on `instance`; a field outside `allowed` is a validation error, not ignored.
    Foreign keys may be given as objects or as ids."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("This field cannot be set here.") for f in sorted(unknown)})
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey) and not isinstance(value, models.Model) and value is not None:
            setattr(instance, field.attname, value)
        else:
            setattr(instance, name, value)


def created_changes(instance: models.Model, fields: list[str]) -> dict[str, list[Any]]:
    """Audit changes of a new record: {field: [None, value]} for every field that has a value."""
    after = {k: v for k, v in field_values(instance, fields).items() if v not in (None, "")}
    return {k: [None, v] for k, v in after.items()}
