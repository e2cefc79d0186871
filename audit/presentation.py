"""How recorded changes read to a person: the one place that turns ObjectChange rows into text.

Used by the home page's recent changes, the card's History tab and the audit trail. The trail stores
field names and raw values (ids, ISO dates, booleans, the lines of an order), never translated text,
so everything here is worked out when the entry is shown, in the reader's language: an entry made on
a Chinese page reads in English on an English page.

What `changes` holds (audit.services and its callers):
- {"field": [before, after]}: before is None on create, after is None on delete. Foreign keys hold
  ids ("salesperson": [3, 7]), dates and times their ISO text, decimals their text;
- reverse relations hold their records: an order's "lines" are lists of dicts ({"product": code,
  "quantity": "1.000", …}); a deleted tag's "customers" is a plain list of ids (no pair);
- a few keys are not fields (the merge's "merged_customer"): labelled from EXTRA_LABELS.

Names of the records an entry names by id (users, teams, products, customers) are read in bulk — one
query per model per call, never per row — and only where the reader may see the record: a customer
outside the reader's scope stays "#id".
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Cap
from audit.models import ObjectChange
from core import masking
from core.querysets import RestrictedQuerySet

# Keys of `changes` that are not fields of the record.
EXTRA_LABELS = {
    "merged_customer": gettext_lazy("merged customer"),
    "lifecycle_mark": gettext_lazy("lifecycle stage"),
    # The demo's one summary entry counts what it loaded (customers.demo).
    "customers": gettext_lazy("customers"),
    "demo_users": gettext_lazy("demo users"),
}
# Byte counts shown as "2.4 MB".
SIZE_FIELDS = {("customers.customerdocument", "size")}
# A related record stored by a key other than its id (order lines keep the product's code).
_NATURAL_KEYS = ("code",)


@dataclass(frozen=True)
class FieldChange:
    """One field of an entry: its label and the values before and after, as text (None: no value)."""

    name: str
    label: str
    before: str | None
    after: str | None
    paired: bool = True  # False when the entry holds a single value (the ids a deleted tag was on)


@dataclass
class ChangeEntry:
    """One ObjectChange as the reader sees it."""

    change: ObjectChange
    type_label: str  # the kind of record: "Order", "联系人"
    customer_name: str | None  # the customer it concerns, if the reader may see it, else "#id"
    note: str
    fields: list[FieldChange] = field(default_factory=list)


def present_changes(changes: Sequence[ObjectChange], *, reader: Any, values: bool = True) -> list[ChangeEntry]:
    """The entries as `reader` reads them, in the active language. `values=False` gives labels only
    (the home page names the changed fields, not their values) and reads no names."""
    names = _Names(reader)
    if values:
        # A first pass only collects the ids to name, so the second reads them in one query per model.
        for change in changes:
            _entry(change, reader, names, values=True)
        names.resolve()
    return [_entry(change, reader, names, values=values) for change in changes]


@functools.lru_cache(maxsize=256)
def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_reverse(f: Any) -> bool:
    """A relation declared on the other model (an order's lines): it has no verbose_name of its own."""
    return f is not None and f.is_relation and f.auto_created and not f.concrete


def _label(f: Any, name: str) -> str:
    if f is None:
        return capfirst(str(EXTRA_LABELS.get(name, name.replace("_", " "))))
    if _is_reverse(f):
        return capfirst(str(f.related_model._meta.verbose_name_plural))
    return capfirst(str(f.verbose_name))


def _entry(change: ObjectChange, reader: Any, names: _Names, *, values: bool) -> ChangeEntry:
    model = _model(change.object_type)
    customer_name = None
    if change.customer_id and values:
        customer_name = names.name(_model("customers.customer"), change.customer_id)
    entry = ChangeEntry(
        change=change,
        type_label=capfirst(str(model._meta.verbose_name)) if model else change.object_type,
        customer_name=customer_name,
        # Notes the code writes are stored untranslated and translated here; a person's note stays.
        note=_(change.note) if change.note else "",
    )
    for name, value in (change.changes or {}).items():
        f = _field(model, name)
        label = _label(f, name)
        if not values:
            entry.fields.append(FieldChange(name, label, None, None))
            continue
        show = _Shower(reader, names, change.object_type, name, f)
        if _is_pair(f, value):
            if value[0] == value[1]:
                continue  # recorded for context (the team on a transfer within it): not a change
            entry.fields.append(FieldChange(name, label, show(value[0]), show(value[1])))
        else:
            entry.fields.append(FieldChange(name, label, None, show(value), paired=False))
    return entry


def _is_pair(f: Any, value: Any) -> bool:
    if not (isinstance(value, list) and len(value) == 2):
        return False
    # A to-many relation's plain list of ids (the two customers a deleted tag was on) is not a pair.
    to_many = f is not None and f.is_relation and (f.one_to_many or f.many_to_many)
    return not (to_many and all(isinstance(v, int) for v in value))


class _Names:
    """Names of records referred to by id (or code): asked for in a first pass, read in bulk, then given."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.asked: dict[tuple[type[models.Model], str], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], str], dict[Any, str]] = {}
        self.resolved = False

    def name(self, model: type[models.Model] | None, value: Any, by: str = "pk") -> str:
        if model is None:
            return f"#{value}"
        if not self.resolved:
            self.asked[(model, by)].add(value)
            return ""
        found = self.found.get((model, by), {}).get(value)
        return found if found is not None else (f"#{value}" if by == "pk" else str(value))

    def resolve(self) -> None:
        for (model, by), values in self.asked.items():
            qs = _readable(model, self.reader).filter(**{f"{by}__in": values})
            if _field(model, "name") is not None and getattr(_field(model, "name"), "concrete", False):
                self.found[(model, by)] = {k: str(v) for k, v in qs.values_list(by, "name")}
            else:
                self.found[(model, by)] = {getattr(o, by): str(o) for o in qs}
        self.resolved = True


def _readable(model: type[models.Model], reader: Any) -> models.QuerySet:
    """The records of `model` whose names the reader may see: administrators every one (deleted and
    merged customers too: the trail is theirs to read); others what the model's scope lets them see."""
    manager = model._base_manager
    if reader.can(Cap.MANAGE_USERS):
        return manager.all()
    default = model._default_manager.all()
    if isinstance(default, RestrictedQuerySet):
        return manager.filter(pk__in=default.restrict(reader, "view").values("pk"))
    return manager.all()


class _Shower:
    """Turns one stored value of one field into text for the reader."""

    def __init__(self, reader: Any, names: _Names, object_type: str, name: str, f: Any) -> None:
        self.reader, self.names, self.object_type, self.name, self.f = reader, names, object_type, name, f
        # A changed value of a sensitive field (core.masking) reads as the reader sees the field itself.
        self.mask = masking.masker(reader, object_type, name)

    def __call__(self, value: Any, *, in_list: bool = False) -> str | None:
        if value is None or value == "" or value == [] or value == {}:
            return None
        if self.mask is not None and not isinstance(value, (list, dict)):
            return str(self.mask(str(value)) or "") or None
        if isinstance(value, list):
            parts = [self(v, in_list=True) for v in value]
            return ", ".join(p for p in parts if p) or None
        f = self.f
        if isinstance(value, dict):
            if f is not None and f.is_relation:
                return _record_text(f.related_model, value, self.names)
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return capfirst(_("yes") if value else _("no"))
        if f is not None and getattr(f, "choices", None):
            return str(dict(f.flatchoices).get(value, value))
        if f is not None and f.is_relation:
            to_one = f.concrete and (f.many_to_one or f.one_to_one)
            # A to-one field holds an id; a to-many relation holds ids only in a list (a bare number
            # there is a count, as in the demo's summary entry).
            if isinstance(value, int) and (to_one or in_list):
                return self.names.name(f.related_model, value)
            if isinstance(value, str) and to_one:
                key = next((k for k in _NATURAL_KEYS if _field(f.related_model, k) is not None), None)
                if key:
                    return self.names.name(f.related_model, value, by=key)
        return _scalar_text(f, value, (self.object_type, self.name) in SIZE_FIELDS)


def _scalar_text(f: Any, value: Any, is_size: bool) -> str:
    if is_size and isinstance(value, int):
        return str(filesizeformat(value))
    if isinstance(f, models.DateTimeField) and isinstance(value, str) and (moment := parse_datetime(value)):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(f, models.DateField) and isinstance(value, str) and (day := parse_date(value)):
        return formats.date_format(day, "DATE_FORMAT")
    if isinstance(f, models.DecimalField) and isinstance(value, str):
        try:
            return formats.number_format(Decimal(value))
        except InvalidOperation:
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return formats.number_format(value)
    return str(value)


def _record_text(model: type[models.Model], record: dict[str, Any], names: _Names) -> str:
    """A related record kept whole (an order line): "货币基金A × 2" when it has a quantity, else its
    fields as "label: value"."""
    if "quantity" in record:
        head = next((k for k in record if (f := _field(model, k)) is not None and f.is_relation), None)
        if head is not None:
            thing = _Shower(names.reader, names, model._meta.label_lower, head, _field(model, head))(record[head])
            try:
                quantity = formats.number_format(Decimal(str(record["quantity"])).normalize())
            except InvalidOperation:
                quantity = str(record["quantity"])
            return f"{thing} × {quantity}"
    parts = []
    for key, value in record.items():
        f = _field(model, key)
        text = _Shower(names.reader, names, model._meta.label_lower, key, f)(value)
        parts.append(f"{_label(f, key)}: {text if text is not None else '—'}")
    return "; ".join(parts)
