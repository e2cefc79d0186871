"""Sensitive fields: the one declaration of which values a role sees masked, how they are masked,
whether they can be searched and who may write them. Documented in docs/permissions.md ("Masked
fields").

Core holds the mechanism and the mask styles and knows no app: each app registers its own fields
(customers: `customers/masking.py`, imported by its AppConfig.ready()).

The contract, for an app that registers a field (the wealth domain's holdings and policies will):

- `register(Model, "field", group=…, mask=…, search=…, locked=…)` once per field, from the app's
  AppConfig.ready() (registering the same entry again is a no-op; a different one for the same
  field is an error). `group` is a group of sensitive fields (accounts.roles.Sensitive);
  `user.masks(group)` (accounts.roles.MASKED) says which roles see the group masked.
- `mask` turns a stored value into what such a role sees. It must reveal nothing the role may not
  see (ID numbers keep their last 4 characters only, never the region or the birth date; a value
  that can be derived from another masked one, such as the birthday from the ID number, is
  registered in the same group) and must be stable: the same stored value always gives the same
  mask, because a write that sends the mask back means "unchanged" (`writable_data`).
- `search` says how a role that sees the field masked may search by it: `SEARCH_NEVER`, or
  `SEARCH_WHOLE` (only by the whole value, exactly, and every such search is recorded in the access
  log). A search by a fragment would be an oracle: adding one digit at a time recovers the value.
  Roles that see the field search it as the app's search allows.
- `locked` names fields shown in clear that change only together with this one (an ID number's
  type): a role that sees the field masked may not write them either.
- Every surface that shows a registered model reads it through this module: model instances
  through `mask_instance`, rows read with values() through `mask_values`/`row_maskers`, single
  values (the audit trail) through `shown`/`masker`; searches ask `search_mode`; writes go through
  `writable_data` (services) and forms leave out `unwritable_fields`. A masked instance is marked
  (`_masked`) so that it can never be saved.
- A registered field must be covered by the masking walk (customers/tests/test_masking_walk.py, or
  the registering domain's own walk over its pages, API, exports and audit): the walk fails on a
  registered field it has no distinctive value for, so a new registration cannot go unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core.models import concrete_field

MASK = "*"
M = TypeVar("M", bound=models.Model)
# The masks of values that are not text: what a role that may not see them reads (and may send back).
AMOUNT_MASK = MASK * 6
DATE_MASK = "****-**-**"

SEARCH_NEVER = "never"  # a role that sees the field masked cannot search by it
SEARCH_WHOLE = "whole"  # … only by the whole value, recorded in the access log
SEARCH_FREE = "free"  # search_mode() for a role that sees the field: as the app's search allows


# --- Mask styles ---------------------------------------------------------------------------------

def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits: 13812345678 → 138****5678."""
    if not value:
        return value
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 7:
        return MASK * 4 + "".join(digits[-2:])
    return "".join(digits[:3]) + MASK * 4 + "".join(digits[-4:])


def mask_id_number(value: str) -> str:
    """Keep the last 4 characters only: 110101199003071234 → **************1234. The first ones
    are the region and the birth date of a resident ID number; with the check digit they would
    leave a couple of candidates."""
    if not value:
        return value
    if len(value) <= 4:
        return MASK * len(value)
    return MASK * (len(value) - 4) + value[-4:]


def mask_amount(value: object) -> str | None:
    """Any amount → "******" (None stays None)."""
    return None if value is None else AMOUNT_MASK


def mask_date(value: date | str | None) -> str | None:
    """Any date → "****-**-**" (None and "" stay as they are)."""
    return None if value is None else "" if value == "" else DATE_MASK


# --- The registry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SensitiveField:
    """One registered field (see the module's contract)."""

    model: str  # "app_label.modelname", as Model._meta.label_lower
    field: str
    group: str
    mask: Callable[[Any], Any]
    search: str = SEARCH_NEVER
    locked: tuple[str, ...] = ()


_FIELDS: dict[tuple[str, str], SensitiveField] = {}
_BY_MODEL: dict[str, tuple[SensitiveField, ...]] = {}


def _label(model: type[models.Model] | models.Model | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def register(
    model: type[models.Model], field: str, *, group: str, mask: Callable[[Any], Any], search: str = SEARCH_NEVER,
    locked: tuple[str, ...] = (),
) -> SensitiveField:
    """Declare `model.field` sensitive (see the module's contract)."""
    for name in (field, *locked):
        model._meta.get_field(name)  # FieldDoesNotExist on a typo: a mask that never applies is a leak
    if search not in (SEARCH_NEVER, SEARCH_WHOLE):
        raise ValueError(f"search must be SEARCH_NEVER or SEARCH_WHOLE, not {search!r}")
    entry = SensitiveField(_label(model), field, group, mask, search, tuple(locked))
    key = (entry.model, field)
    if _FIELDS.get(key, entry) != entry:
        raise ValueError(f"{key} is registered already, differently")
    _FIELDS[key] = entry
    _BY_MODEL[entry.model] = tuple(e for (m, _f), e in _FIELDS.items() if m == entry.model)
    return entry


def unregister(model: type[models.Model] | str, field: str) -> None:
    """Forget an entry (tests that plant one remove it again)."""
    label = _label(model)
    _FIELDS.pop((label, field), None)
    _BY_MODEL[label] = tuple(e for (m, _f), e in _FIELDS.items() if m == label)


def entries() -> list[SensitiveField]:
    """Every registered field, in registration order."""
    return list(_FIELDS.values())


def sensitive_fields(model: type[models.Model] | models.Model | str) -> tuple[SensitiveField, ...]:
    """The registered fields of one model."""
    return _BY_MODEL.get(_label(model), ())


def entry(model: type[models.Model] | models.Model | str, field: str) -> SensitiveField | None:
    return _FIELDS.get((_label(model), field))


# --- Reading -------------------------------------------------------------------------------------

def masks(user: Any, model: type[models.Model] | models.Model | str, field: str) -> bool:
    """Whether `user` sees `model.field` masked."""
    e = entry(model, field)
    return e is not None and user.masks(e.group)


def masker(user: Any, model: type[models.Model] | models.Model | str, field: str) -> Callable[[Any], Any] | None:
    """The mask `user` reads `model.field` through, or None when the user sees it as stored."""
    e = entry(model, field)
    return e.mask if e is not None and user.masks(e.group) else None


def shown(user: Any, model: type[models.Model] | models.Model | str, field: str, value: Any) -> Any:
    """How `user` sees the value `value` of `model.field`: masked or as stored."""
    mask = masker(user, model, field)
    return value if mask is None else mask(value)


def row_maskers(user: Any, model: type[models.Model] | str) -> list[tuple[str, Callable[[Any], Any]]]:
    """(field, mask) of every field of `model` that `user` sees masked: worked out once for a page
    of rows (mask_values)."""
    return [(e.field, e.mask) for e in sensitive_fields(model) if user.masks(e.group)]


def mask_values(user: Any, model: type[models.Model] | str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows read with values(): every registered column a row holds is masked in place for `user`."""
    pairs = row_maskers(user, model)
    if pairs:
        for row in rows:
            for name, mask in pairs:
                if name in row:
                    row[name] = mask(row[name])
    return rows


def mask_instance(user: Any, obj: M) -> M:
    """Replace the values `user` may not see in memory; the instance is marked so that it is never
    saved (Customer.save refuses it). A field the read left out (only()/defer()) is not read now:
    it gets its empty value, masked, so that touching it later cannot load the stored value."""
    deferred = obj.get_deferred_fields()
    for name, mask in row_maskers(user, type(obj)):
        value = concrete_field(obj, name).get_default() if name in deferred else getattr(obj, name)
        setattr(obj, name, mask(value))
    obj._masked = True  # type: ignore[attr-defined]
    return obj


# --- Searching and writing -----------------------------------------------------------------------

def search_mode(user: Any, model: type[models.Model] | str, field: str) -> str:
    """May `user` search by `model.field`: SEARCH_FREE (the user sees it, or it is not sensitive),
    SEARCH_WHOLE (only by the whole value, recorded in the access log) or SEARCH_NEVER."""
    e = entry(model, field)
    if e is None or not user.masks(e.group):
        return SEARCH_FREE
    return e.search


def unwritable_fields(user: Any, model: type[models.Model] | str) -> list[str]:
    """The fields of `model` that `user` may not write: those the user sees masked and the fields
    locked with them (forms leave them out)."""
    out: list[str] = []
    for e in sensitive_fields(model):
        if user.masks(e.group):
            out += [f for f in (e.field, *e.locked) if f not in out]
    return out


def may_write(user: Any, model: type[models.Model] | str, field: str) -> bool:
    return field not in unwritable_fields(user, model)


def writable_data(user: Any, obj: models.Model, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` for a write of `obj` (its stored values) by `user`, without the fields the user may
    not write: a value the user read back unchanged (the mask, or the stored value of a locked field
    shown in clear) is dropped, so the stored value is kept. Any other value of such a field is
    refused (PermissionDenied naming the field), including the real value: accepting a correct guess
    would answer whether it was correct. A mask sent for a field the user sees is no value either
    (a ValidationError): masks contain MASK, real values of registered fields never do."""
    out = dict(data)
    model = type(obj)
    for name in unwritable_fields(user, model):
        if name not in out:
            continue
        if out[name] == shown(user, model, name, getattr(obj, name)):
            del out[name]
            continue
        raise PermissionDenied(
            _("Your role may not change “%(field)s”: leave it out, or send it back as you read it.")
            % {"field": concrete_field(obj, name).verbose_name}
        )
    masked_values = {e.field: _("“%(value)s” is a masked value, not a value of this field.") % {"value": out[e.field]}
                     for e in sensitive_fields(model)
                     if isinstance(out.get(e.field), str) and MASK in out[e.field]}
    if masked_values:
        raise ValidationError(masked_values)
    return out
