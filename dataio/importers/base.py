"""The import framework: an importer turns the rows of a table into creates and updates of one kind
of record, with every rule of the forms and models applied, and reports what it would do (dry run)
or does it (apply). Importers never commit: the caller wraps `run(apply=True)` in one transaction.

Validation is not written twice. Each cell goes through, in order:
1. dataio.values — spreadsheet spellings read (Excel dates, 2024年3月5日, "1,234.50", 是/否, labels);
2. the field of the app's own form (`form.fields[name].clean`) and its `clean_<name>()` hook, then
   the form's `clean()` on the record as it will be (existing values overlaid with the row's);
3. the model's `clean_fields()` and `clean()` (what the services' `full_clean()` runs).
Uniqueness of the upsert key is checked for the whole file at once (not a query per row).

Empty cells never clear a value: an update changes only the cells that hold something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_records_bulk
from core import db
from core.models import field_values
from dataio import values as v
from dataio.readers import Row, cell_text

MAX_REPORTED = 1000  # errors kept in a report (all are counted)
_CACHE_LIMIT = 20_000  # distinct values remembered per field
_MISSING = object()
VALUE_SHOWN = 60


@dataclass(frozen=True)
class ImportField:
    """A column an importer understands."""

    name: str
    label: Any
    kind: str = "text"  # text, date, datetime, decimal, percent, bool, choice, int, list, ref
    required: bool = False  # a new record needs a value
    key: bool = False  # identifies the record: rows with the same key update it
    optional: bool = False  # a key that may be left out: rows without one create new records
    synonyms: tuple[str, ...] = ()
    help: Any = ""
    choices: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # (value, label) of a choice field, for the templates' list of allowed values.
    options: tuple[tuple[str, Any], ...] = field(default=(), compare=False, hash=False)

    @property
    def needed(self) -> bool:
        """The mapping must name a column for this field (marked * on the page)."""
        return self.required or (self.key and not self.optional)


@dataclass
class Report:
    """What a run found or did. JSON-safe through as_json()."""

    create: int = 0
    update: int = 0
    unchanged: int = 0
    skip: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    error_rows: set[int] = field(default_factory=set)
    notes: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def error(self, row: int, message: str, *, column: str = "", field: str = "", value: Any = None) -> None:
        self.errors_total += 1
        self.error_rows.add(row)
        if len(self.errors) < MAX_REPORTED:
            shown = cell_text(value)
            if len(shown) > VALUE_SHOWN:
                shown = shown[: VALUE_SHOWN - 1] + "…"
            self.errors.append({"row": row, "column": column, "field": field, "value": shown, "message": message})

    def note(self, message: str) -> None:
        self.notes[message] = self.notes.get(message, 0) + 1

    @property
    def ok(self) -> bool:
        return self.errors_total == 0

    def counts(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "unchanged": self.unchanged, "skip": self.skip,
                "invalid": len(self.error_rows), "rows": self.rows}

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "errors": sorted(self.errors, key=lambda e: e["row"]),
            "errors_total": self.errors_total,
            "notes": [{"message": m, "count": n} for m, n in self.notes.items()],
        }


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def field_kind(ff: forms.Field) -> str:
    """How to read a cell meant for this form field."""
    if isinstance(ff, forms.DateTimeField):
        return "datetime"
    if isinstance(ff, forms.DateField):
        return "date"
    if isinstance(ff, (forms.BooleanField, forms.NullBooleanField)):
        return "bool"
    if isinstance(ff, forms.ModelChoiceField):
        return "ref"
    if isinstance(ff, forms.ChoiceField):
        return "choice"
    if isinstance(ff, (forms.DecimalField, forms.FloatField)):
        return "decimal"
    if isinstance(ff, forms.IntegerField):
        return "int"
    return "text"


class FormRules:
    """A form's own validation applied to one row at a time, without building a form per row
    (100,000 form instances would cost more than the import itself)."""

    def __init__(self, form: forms.BaseForm) -> None:
        self.form = form
        base_clean = forms.ModelForm.clean if isinstance(form, forms.ModelForm) else forms.Form.clean
        self.has_form_clean = type(form).clean is not base_clean

    def __contains__(self, name: str) -> bool:
        return name in self.form.fields

    def field(self, name: str, value: Any) -> Any:
        """The value as the form field and its clean_<name>() hook return it (ValidationError if not)."""
        form = self.form
        value = form.fields[name].clean(value)
        hook = getattr(form, f"clean_{name}", None)
        if hook is not None:
            form.cleaned_data = {name: value}
            value = hook()
        return value

    def required_message(self, name: str) -> str:
        ff = self.form.fields.get(name)
        return str(ff.error_messages["required"]) if ff else _("This field is required.")

    def whole(self, data: dict[str, Any]) -> dict[str, list[str]]:
        """Errors of the form's clean() on the record as it will be: {field or "": [messages]}."""
        if not self.has_form_clean:
            return {}
        form = self.form
        form.cleaned_data = dict(data)
        form._errors = forms.utils.ErrorDict()
        try:
            form.clean()
        except ValidationError as exc:
            form.add_error(None, exc)
        return {("" if k == NON_FIELD_ERRORS else k): [str(m) for m in errs] for k, errs in form._errors.items()}


class Importer:
    """Base of every importer. Subclasses set kind, label and fields, and implement process()."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    batch_size: ClassVar[int] = 1000
    # A short explanation shown on the mapping page.
    description: ClassVar[Any] = ""

    def __init__(self, *, user: User, mapping: dict[str, int], headers: list[str], note: str = "") -> None:
        self.user = user
        self.headers = headers
        self.fields = {f.name: f for f in self.available_fields(user)}
        self.mapping = {name: col for name, col in mapping.items() if name in self.fields}
        self.note = note
        self.report = Report()
        self.now = timezone.now()
        self.applying = False

    # --- description of the columns -------------------------------------------------------------

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def permitted(cls, user: User) -> bool:
        """May this user import this kind at all."""
        return True

    def mapping_errors(self) -> list[str]:
        """What is wrong with the mapping as a whole (required columns missing, one column twice)."""
        errors = []
        for f in self.fields.values():
            if f.needed and f.name not in self.mapping:
                errors.append(_("Choose the column for “%(field)s”: it is required.") % {"field": f.label})
        seen: dict[int, str] = {}
        for name, col in self.mapping.items():
            if not 0 <= col < len(self.headers):
                errors.append(_("The mapping names a column the file does not have."))
            elif col in seen:
                errors.append(_("The column “%(column)s” is chosen for two fields.") % {"column": self.headers[col]})
            seen[col] = name
        return errors

    def column(self, name: str) -> str:
        col = self.mapping.get(name)
        if col is not None and col < len(self.headers):
            return self.headers[col]
        f = self.fields.get(name)
        return str(f.label) if f else name

    def cell(self, row: Row, name: str) -> Any:
        col = self.mapping.get(name)
        return None if col is None else row.get(col)

    def error(self, row: Row, name: str, message: str, value: Any = None) -> None:
        if name and value is None and name in self.mapping:
            value = self.cell(row, name)
        self.report.error(row.number, str(message), column=self.column(name) if name else "", field=name,
                          value=value)

    # --- running ------------------------------------------------------------------------------------

    def run(self, rows: Iterable[Row], *, apply: bool, progress: Callable[[int], None] | None = None) -> Report:
        """Check every row (apply=False) or check and write (apply=True, inside the caller's transaction)."""
        done = 0
        self.applying = apply
        for batch in batched(rows, self.batch_size):
            self.report.rows += len(batch)
            self.process(batch, apply=apply)
            done += len(batch)
            if progress:
                progress(done)
        self.finish(apply=apply)
        return self.report

    def process(self, batch: list[Row], *, apply: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self, *, apply: bool) -> None:
        """After the last batch (orders write what they grouped)."""

    # --- bulk writing -----------------------------------------------------------------------------------

    # Set by the caller to a list when the search index is filled at the end: (first id, last id)
    # of every batch of new rows goes there (see dataio.services._deferred).
    inserted_ranges: list[tuple[int, int]] | None = None

    def bulk_models(self) -> list[type[models.Model]]:
        """Tables a large import may rebuild the indexes of."""
        return []

    def text_index(self) -> Any:
        """The search index (core.db.TextIndex) kept over this importer's table, if any."""
        return None

    def note_inserted(self, objs: list[models.Model]) -> None:
        if self.inserted_ranges is not None and objs:
            self.inserted_ranges.append((objs[0].pk, objs[-1].pk))


def coerce(f: ImportField, raw: Any) -> Any:
    """A cell read for its field's kind (see dataio.values)."""
    if f.kind == "date":
        return v.to_date(raw)
    if f.kind == "datetime":
        return v.to_datetime(raw)
    if f.kind == "decimal":
        return v.to_decimal(raw)
    if f.kind == "percent":
        return v.to_decimal(raw, percent=True)
    if f.kind == "bool":
        return v.to_bool(raw)
    if f.kind == "int":
        return v.to_decimal(raw)
    if f.kind == "choice":
        found = f.choices.get(v.normal_key(v.text(raw)))
        return found if found is not None else v.text(raw)
    return v.text(raw)


def form_fields(form: forms.BaseForm, names: Iterable[str], synonyms: dict[str, tuple[str, ...]],
                required: Iterable[str] = (), key: str = "",
                aliases: dict[str, dict[str, tuple[str, ...]]] | None = None) -> list[ImportField]:
    """ImportFields for the named fields of a form, reading kinds, labels and choices from it."""
    if aliases is None:
        from dataio.mapping import CHOICE_ALIASES as aliases
    out = []
    must = set(required)
    for name in names:
        ff = form.fields.get(name)
        if ff is None:
            continue
        kind = field_kind(ff)
        choices = v.choice_lookup(ff.choices) if kind == "choice" else {}
        for value, spellings in aliases.get(name, {}).items():
            if kind == "choice" and value in choices.values():
                choices.update({v.normal_key(s): value for s in spellings if v.normal_key(s) not in choices})
        out.append(ImportField(
            name=name, label=ff.label or name, kind=kind, required=name in must, key=name == key,
            synonyms=synonyms.get(name, ()), choices=choices,
            options=tuple((value, label) for value, label in ff.choices if value) if kind == "choice" else (),
        ))
    return out


class Blank:
    """Unsaved instances of a model without Model.__init__ (which walks every field and its default
    on each call): the defaults are computed once and copied. Timestamps are the import's time."""

    def __init__(self, model: type[models.Model], now: Any) -> None:
        self.model = model
        self.template = {
            f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            or f.name in ("created_at", "updated_at") else f.get_default()
            for f in model._meta.concrete_fields
        }

    def __call__(self, **values: Any) -> models.Model:
        obj = self.model.__new__(self.model)
        state = obj.__dict__
        state.update(self.template)
        state["_state"] = ModelState()
        for name, value in values.items():
            setattr(obj, name, value)
        return obj


def insert_objects(model: type[models.Model], objs: list[models.Model], *, now: Any) -> None:
    """Insert new instances as plain rows with ids reserved up front (core.db): several times
    faster than bulk_create on wide tables, and the instances know their ids afterwards."""
    ids = db.reserve_ids(model, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
    names = [f.attname for f in model._meta.concrete_fields]
    db.insert_rows(model, names, ([getattr(o, n) for n in names] for o in objs))


@dataclass
class Pending:
    """One record to write: new (changes is None) or changed (changes = {field: [before, after]})."""

    obj: models.Model
    row: Row
    changes: dict[str, list[Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ModelImporter(Importer):
    """One row → one record of `model`, identified by `key`, validated by `form_class`'s rules."""

    model: ClassVar[type[models.Model]]
    key: ClassVar[str] = "external_id"
    # Fields the audit trail records for this model.
    audit_fields: ClassVar[list[str]] = []
    # How the audit record finds the customer id ("pk" for customers, "customer_id" for children).
    customer_attr: ClassVar[str] = "customer_id"
    # Fields handled by the importer itself rather than by the form (references, tags, owner).
    special: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = FormRules(self.make_form())
        self.blank = Blank(self.model, self.now)
        self._cleaned: dict[str, dict[Any, Any]] = {}
        self._validated: dict[str, dict[Any, Any]] = {}
        self.seen: dict[str, int] = {}
        self.creates: list[Pending] = []
        self.updates: list[Pending] = []

    def make_form(self) -> forms.BaseForm:  # pragma: no cover - abstract
        raise NotImplementedError

    def bulk_models(self) -> list[type[models.Model]]:
        return [self.model]

    # --- hooks --------------------------------------------------------------------------------------

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        """Existing records by key (whatever their scope; check_existing decides)."""
        return {getattr(o, self.key): o for o in self.model._default_manager.filter(**{f"{self.key}__in": keys})}

    def prepare_batch(self, rows: list[Row]) -> None:
        """Bulk look-ups the batch needs (customers by external id, products by code)."""

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        """May this row update `obj`? Report why not and return False."""
        return True

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        """Read the special columns (references, tags…): set model values in `data`, return extras
        for the write ({"changes": …, "audit": …, anything after_create needs}); None after errors."""
        return {}

    def build(self, key: str, data: dict[str, Any], row: Row, extra: dict[str, Any]) -> models.Model:
        obj = self.blank(**{self.key: key or None})  # no key: a new record without one
        for name, value in data.items():
            setattr(obj, name, value)
        return obj

    def current(self, obj: models.Model | None) -> dict[str, Any]:
        """The record's values the form's clean() sees, before the row is applied."""
        if obj is None:
            return {}
        return {n: getattr(obj, n) for n in self.rules.form.fields if hasattr(obj, n)}

    def after_apply(self, pending: Pending) -> None:
        """Recompute derived values on an instance after the row's values were set (search keys)."""

    def write(self) -> None:
        """Save the batch's creates and updates and their audit records."""
        if self.creates:
            objs = [p.obj for p in self.creates]
            insert_objects(self.model, objs, now=self.now)
            self.note_inserted(objs)
            self.after_create(self.creates)
            audited = {id(p.obj): p for p in self.creates}
            change_records_bulk(
                user=self.user, instances=objs, action=ChangeAction.CREATE, customer_attr=self.customer_attr,
                note=self.note, changes=lambda o: self.created_changes(audited[id(o)]),
            )
        if self.updates:
            groups: dict[tuple[str, ...], list[models.Model]] = {}
            for p in self.updates:
                p.obj.updated_at = self.now
                names = tuple(sorted(self.update_fields(p)))
                groups.setdefault(names, []).append(p.obj)
            for names, objs in groups.items():
                self.model._default_manager.bulk_update(objs, [*names, "updated_at"], batch_size=500)
            self.after_update(self.updates)
            changes = {id(p.obj): p.changes for p in self.updates}
            change_records_bulk(
                user=self.user, instances=[p.obj for p in self.updates], action=ChangeAction.UPDATE,
                customer_attr=self.customer_attr, note=self.note, changes=lambda o: changes[id(o)],
            )
        self.creates, self.updates = [], []

    def update_fields(self, pending: Pending) -> list[str]:
        return [n for n in (pending.changes or {}) if n in self._concrete]

    def after_create(self, created: list[Pending]) -> None:
        """Write what depends on the new rows' ids (tags)."""

    def after_update(self, updated: list[Pending]) -> None:
        """Write what depends on changed rows (tags)."""

    def created_changes(self, pending: Pending) -> dict[str, Any]:
        after = {k: val for k, val in field_values(pending.obj, self.audit_fields).items() if val not in (None, "")}
        after.update(pending.extra.get("audit", {}))
        return {k: [None, val] for k, val in after.items()}

    # --- the row loop ----------------------------------------------------------------------------------

    @property
    def _concrete(self) -> set[str]:
        """Names and attribute names (customer, customer_id) of the model's columns."""
        return set(self._field_name)

    @property
    def _field_name(self) -> dict[str, str]:
        if not hasattr(self, "_field_name_cache"):
            self._field_name_cache = {
                n: f.name for f in self.model._meta.concrete_fields for n in (f.name, f.attname)
            }
        return self._field_name_cache

    def process(self, batch: list[Row], *, apply: bool) -> None:
        keyed = []
        for row in batch:
            key = self.read_key(row)
            if key is not None:
                keyed.append((row, key))
        keys = [k for _row, k in keyed if k]
        existing = self.find(keys) if keys else {}
        self.prepare_batch([r for r, _k in keyed])
        for row, key in keyed:
            obj = existing.get(key)
            if obj is not None and not self.check_existing(row, obj):
                continue
            self.process_row(row, key, obj)
        if apply:
            self.write()
        else:
            self.creates, self.updates = [], []

    def read_key(self, row: Row) -> str | None:
        """The row's key; "" for a row that creates a record without one (key_required False);
        None after an error."""
        raw = self.cell(row, self.key)
        key = v.text(raw)
        if not key and self.fields[self.key].optional:
            self.report.note(_("Rows without “%(column)s” create new records: importing the file again would "
                               "create them again.") % {"column": self.column(self.key)})
            return ""
        if not key:
            self.error(row, self.key, _("Give every row a value in this column: it identifies the record."))
            return None
        if self.key in self.rules:
            try:
                key = self.rules.field(self.key, key)
            except ValidationError as exc:
                for message in exc.messages:
                    self.error(row, self.key, message)
                return None
        first = self.seen.get(key)
        if first is not None:
            self.error(row, self.key, _("“%(key)s” appears again in the file (first in row %(row)s).")
                       % {"key": key, "row": first})
            return None
        self.seen[key] = row.number
        return key

    def clean_cells(self, row: Row, obj: models.Model | None) -> dict[str, Any] | None:
        """The row's non-empty mapped cells through the form's field rules; None after errors."""
        data: dict[str, Any] = {}
        ok = True
        for name, f in self.fields.items():
            if name == self.key or name in self.special or name not in self.mapping:
                continue
            raw = self.cell(row, name)
            if v.is_empty(raw):
                if obj is None and f.required:
                    self.error(row, name, self.rules.required_message(name))
                    ok = False
                continue
            try:
                data[name] = self.clean_value(f, raw)
            except ValidationError as exc:
                for message in exc.messages:
                    self.error(row, name, message)
                ok = False
        return data if ok else None

    def clean_value(self, f: ImportField, raw: Any) -> Any:
        """One cell through its form field, remembered per distinct value: a column of cities or
        types holds few distinct values, and a field's rules depend on the value alone."""
        value = coerce(f, raw)
        if f.name not in self.rules:
            return value
        cache = self._cleaned.setdefault(f.name, {})
        try:
            hit = cache.get(value, _MISSING)
        except TypeError:  # unhashable
            return self.rules.field(f.name, value)
        if hit is _MISSING:
            try:
                hit = self.rules.field(f.name, value)
            except ValidationError as exc:
                hit = exc
            if len(cache) < _CACHE_LIMIT:
                cache[value] = hit
        if isinstance(hit, ValidationError):
            raise hit
        return hit

    def process_row(self, row: Row, key: str, obj: models.Model | None) -> None:
        data = self.clean_cells(row, obj)
        if data is None:
            return
        extra = self.clean_special(row, data, obj)
        if extra is None:
            return
        problems = self.rules.whole({**self.current(obj), **data})
        if problems:
            for name, messages in problems.items():
                for message in messages:
                    self.error(row, name, message)
            return
        if obj is None:
            new = self.build(key, data, row, extra)
            pending = Pending(obj=new, row=row, extra=extra)
            if self.applying:
                self.after_apply(pending)
            if self.validate(row, new, {*data, self.key, *self.always_validated()}):
                self.creates.append(pending)
                self.report.create += 1
            return
        names = [n for n in data if n in self._concrete]
        before = field_values(obj, names)
        old = {n: getattr(obj, n) for n in names}
        for name in names:
            setattr(obj, name, data[name])
        if not self.validate(row, obj, set(names)):
            return
        # Compared as values (50 == 50.00), recorded as the audit trail writes them.
        after = field_values(obj, names)
        changes = {self._field_name[n]: [before[n], after[n]] for n in names if old[n] != getattr(obj, n)}
        changes.update(extra.get("changes", {}))
        if not changes:
            self.report.unchanged += 1
            return
        pending = Pending(obj=obj, row=row, changes=changes, extra=extra)
        if self.applying:
            self.after_apply(pending)
        self.updates.append(pending)
        self.report.update += 1

    def always_validated(self) -> set[str]:
        return set()

    def validate(self, row: Row, obj: models.Model, names: set[str]) -> bool:
        """The model's own rules: what Model.clean_fields() runs on the set fields (each distinct value
        once), then Model.clean(). Relations are not looked up again: the importer found them in its
        user's scope."""
        return validate_instance(self, row, obj, names)


def _plan(model: type[models.Model], names: frozenset[str]) -> list[tuple[Any, str, Decimal | None]]:
    """(field, attname, decimal quantum) of the fields validate_instance() checks."""
    key = (model, names)
    plan = _PLANS.get(key)
    if plan is None:
        plan = [
            (f, f.attname, Decimal(1).scaleb(-f.decimal_places) if f.get_internal_type() == "DecimalField" else None)
            for f in model._meta.concrete_fields if f.name in names and not f.is_relation
        ]
        _PLANS[key] = plan
    return plan


_PLANS: dict[tuple[Any, frozenset[str]], list[tuple[Any, str, Decimal | None]]] = {}


def validate_instance(importer: Importer, row: Row, obj: models.Model, names: set[str]) -> bool:
    """See ModelImporter.validate: the model's field rules, remembered per distinct value."""
    errors: dict[str, list[str]] = {}
    caches = importer._validated
    for f, attname, quantum in _plan(type(obj), frozenset(names)):
        raw = getattr(obj, attname)
        if f.blank and raw in f.empty_values:
            continue
        cache = caches.get(attname)
        if cache is None:
            cache = caches[attname] = {}
        try:
            hit = cache.get(raw, _MISSING)
        except TypeError:  # unhashable
            hit, cache = _MISSING, {}
        if hit is _MISSING:
            try:
                hit = f.clean(raw, obj)
                if quantum is not None and isinstance(hit, Decimal):
                    hit = hit.quantize(quantum)  # as the database stores it
            except ValidationError as exc:
                hit = exc
            if len(cache) < _CACHE_LIMIT:
                cache[raw] = hit
        if isinstance(hit, ValidationError):
            errors[f.name] = list(hit.messages)
        else:
            setattr(obj, attname, hit)
    if not errors:
        try:
            obj.clean()
        except ValidationError as exc:
            errors = exc.message_dict
    for name, messages in errors.items():
        name = "" if name == NON_FIELD_ERRORS else name
        for message in messages:
            importer.error(row, name, message)
    return not errors
