"""The filter language of saved segments and rule schemes.

A filter is a JSON list of conditions, all of which must hold (AND):

    [{"field": "abc_tier", "op": "in", "value": ["A", "B"]},
     {"field": "city", "op": "eq", "value": "杭州"},
     {"field": "recency_days", "op": "lte", "value": 90},
     {"field": "scheme:relationship_level", "op": "eq", "value": "partner"}]

Fields come from a fixed catalogue (FIELDS, plus one "scheme:<key>" field per manual or rule
scheme); each field has a type and the operators suited to it. `validate_rules` checks a filter
and returns it normalised (values in their JSON form), raising a ValidationError in the user's
language that names the condition and what is wrong with it; `rules_q` compiles a valid filter to
a Django Q over Customer. User input only ever becomes ORM lookups on catalogue columns and bound
parameters — never SQL text.

Scope is not part of a filter: callers apply it to `Customer.objects.restrict(user, …)`, so a
filter shared with a team never shows anyone a customer outside their scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmentation.choices import AbcTier, LifecycleStage, Loyalty, RfmSegment, SchemeKind, ValueClass

SCHEME_PREFIX = "scheme:"
MAX_CONDITIONS = 30
MAX_VALUES = 200


class T:
    """Field types: each decides which operators apply and how values are read."""

    CHOICE = "choice"
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    BOOL = "bool"
    REF = "ref"  # an id of a user, team or tag
    SCHEME = "scheme"  # a class key of a manual or rule scheme


OPS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "startswith": gettext_lazy("starts with"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "between": gettext_lazy("between"),
    "last_days": gettext_lazy("within the last N days"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
}
# Operators that take a list, two values, or no value.
LIST_OPS = {"in", "not_in"}
NO_VALUE_OPS = {"empty", "not_empty"}

TYPE_OPS: dict[str, list[str]] = {
    T.CHOICE: ["eq", "ne", "in", "not_in", "empty", "not_empty"],
    T.TEXT: ["eq", "ne", "in", "contains", "startswith", "empty", "not_empty"],
    T.INT: ["eq", "ne", "gt", "gte", "lt", "lte", "between", "empty", "not_empty"],
    T.DECIMAL: ["eq", "ne", "gt", "gte", "lt", "lte", "between"],
    T.DATE: ["eq", "gte", "lte", "between", "last_days", "empty", "not_empty"],
    T.BOOL: ["eq"],
    T.REF: ["eq", "ne", "in", "not_in"],
    T.SCHEME: ["eq", "ne", "in", "not_in"],
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of the catalogue: its key, label, type and the customer lookup it filters."""

    key: str
    label: Promise | str
    type: str
    lookup: str = ""
    group: Promise | str = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    nullable: bool = False  # NULL is a possible value (empty / not empty apply)
    scheme_kind: str = ""  # for "scheme:<key>" fields
    scheme_id: int | None = None
    catch_all: str = ""  # the scheme's catch-all class key
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ops(self) -> list[str]:
        ops = TYPE_OPS[self.type]
        if self.type in (T.INT, T.DATE, T.CHOICE) and not self.nullable:
            ops = [o for o in ops if o not in NO_VALUE_OPS]
        return ops


def _choices(cls: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(v), str(label)) for v, label in cls.choices]


def _customer_choices(name: str) -> Callable[[], list[tuple[str, str]]]:
    def get() -> list[tuple[str, str]]:
        from customers.models import Customer

        return [(str(v), str(label)) for v, label in Customer._meta.get_field(name).choices]

    return get


def _users() -> list[tuple[str, str]]:
    from accounts.models import User

    return [(str(u.pk), str(u)) for u in User.objects.filter(is_active=True).order_by("username")]


def _teams() -> list[tuple[str, str]]:
    from accounts.models import Team

    return [(str(pk), name) for pk, name in Team.objects.values_list("pk", "name")]


def _tags() -> list[tuple[str, str]]:
    from customers.models import Tag

    return [(str(pk), name) for pk, name in Tag.objects.values_list("pk", "name")]


_CUSTOMER = gettext_lazy("Customer")
_CLASSES = gettext_lazy("Computed classes")
_SCORES = gettext_lazy("Scores and figures")
_MANUAL = gettext_lazy("Schemes")

FIELDS: dict[str, FieldSpec] = {f.key: f for f in [
    FieldSpec("kind", gettext_lazy("Type"), T.CHOICE, "kind", _CUSTOMER, _customer_choices("kind")),
    FieldSpec("city", gettext_lazy("City"), T.TEXT, "city", _CUSTOMER),
    FieldSpec("province", gettext_lazy("Province"), T.TEXT, "province", _CUSTOMER),
    FieldSpec("industry", gettext_lazy("Industry"), T.TEXT, "industry", _CUSTOMER),
    FieldSpec("risk_preference", gettext_lazy("Risk preference"), T.CHOICE, "risk_preference", _CUSTOMER,
              _customer_choices("risk_preference")),
    FieldSpec("source_channel", gettext_lazy("Source channel"), T.CHOICE, "source_channel", _CUSTOMER,
              _customer_choices("source_channel")),
    FieldSpec("credit_standing", gettext_lazy("Credit standing"), T.CHOICE, "credit_standing", _CUSTOMER,
              _customer_choices("credit_standing")),
    FieldSpec("company_size", gettext_lazy("Company size"), T.CHOICE, "company_size", _CUSTOMER,
              _customer_choices("company_size")),
    FieldSpec("owner", gettext_lazy("Owner"), T.REF, "owner_id", _CUSTOMER, _users),
    FieldSpec("team", gettext_lazy("Team"), T.REF, "team_id", _CUSTOMER, _teams),
    FieldSpec("tag", gettext_lazy("Tag"), T.REF, "tag", _CUSTOMER, _tags),
    FieldSpec("created", gettext_lazy("Created on"), T.DATE, "created_at__date", _CUSTOMER),
    FieldSpec("relationship_since", gettext_lazy("Relationship since"), T.DATE, "relationship_since", _CUSTOMER,
              nullable=True),
    FieldSpec("abc_tier", gettext_lazy("ABC tier"), T.CHOICE, "segment__abc_tier", _CLASSES, _choices(AbcTier)),
    FieldSpec("rfm_segment", gettext_lazy("RFM segment"), T.CHOICE, "segment__rfm_segment", _CLASSES,
              _choices(RfmSegment)),
    FieldSpec("lifecycle_stage", gettext_lazy("Lifecycle stage"), T.CHOICE, "segment__lifecycle_stage", _CLASSES,
              _choices(LifecycleStage)),
    FieldSpec("loyalty", gettext_lazy("Loyalty"), T.CHOICE, "segment__loyalty", _CLASSES, _choices(Loyalty)),
    FieldSpec("value_class", gettext_lazy("Value matrix class"), T.CHOICE, "segment__value_class", _CLASSES,
              _choices(ValueClass)),
    FieldSpec("loss_making", gettext_lazy("Loss-making"), T.BOOL, "segment__loss_making", _CLASSES),
    FieldSpec("profit", gettext_lazy("Profit in the window"), T.DECIMAL, "segment__profit", _SCORES),
    FieldSpec("revenue", gettext_lazy("Revenue in the window"), T.DECIMAL, "segment__revenue", _SCORES),
    FieldSpec("margin", gettext_lazy("Margin in the window"), T.DECIMAL, "segment__margin", _SCORES),
    FieldSpec("cost_to_serve", gettext_lazy("Cost to serve in the window"), T.DECIMAL, "segment__cost_to_serve",
              _SCORES),
    FieldSpec("recency_days", gettext_lazy("Days since last order"), T.INT, "segment__recency_days", _SCORES,
              nullable=True),
    FieldSpec("frequency", gettext_lazy("Orders in the window"), T.INT, "segment__frequency", _SCORES),
    FieldSpec("monetary", gettext_lazy("Revenue in the window (M)"), T.DECIMAL, "segment__monetary", _SCORES),
    FieldSpec("r_score", gettext_lazy("R score"), T.INT, "segment__r_score", _SCORES, nullable=True,
              extra={"min": 1, "max": 5}),
    FieldSpec("f_score", gettext_lazy("F score"), T.INT, "segment__f_score", _SCORES, nullable=True,
              extra={"min": 1, "max": 5}),
    FieldSpec("m_score", gettext_lazy("M score"), T.INT, "segment__m_score", _SCORES, nullable=True,
              extra={"min": 1, "max": 5}),
    FieldSpec("orders_total", gettext_lazy("Completed orders, all time"), T.INT, "segment__orders_total", _SCORES),
    FieldSpec("first_order_on", gettext_lazy("First order"), T.DATE, "segment__first_order_on", _SCORES,
              nullable=True),
    FieldSpec("last_order_on", gettext_lazy("Last order"), T.DATE, "segment__last_order_on", _SCORES,
              nullable=True),
]}


def scheme_fields(*, include_rules: bool = True) -> dict[str, FieldSpec]:
    """One "scheme:<key>" field per manual (and, optionally, rule) scheme, from the database
    (two queries: schemes, classes)."""
    from segmentation.builtins import class_label, scheme_label
    from segmentation.models import Scheme, SchemeClass

    kinds = [SchemeKind.MANUAL, SchemeKind.RULES] if include_rules else [SchemeKind.MANUAL]
    schemes = list(Scheme.objects.filter(kind__in=kinds).order_by("position", "id"))
    classes: dict[int, list[SchemeClass]] = {}
    for c in SchemeClass.objects.filter(scheme__in=schemes).order_by("position", "id"):
        classes.setdefault(c.scheme_id, []).append(c)
    out = {}
    for s in schemes:
        labels = [(c.key, class_label(s.key, c.key, c.name) if s.built_in else c.name)
                  for c in classes.get(s.pk, [])]
        catch_all = next((c.key for c in classes.get(s.pk, []) if c.is_catch_all), "")
        key = SCHEME_PREFIX + s.key
        out[key] = FieldSpec(key, scheme_label(s), T.SCHEME, "", _MANUAL, (lambda labels=labels: labels),
                             scheme_kind=s.kind, scheme_id=s.pk, catch_all=catch_all)
    return out


def catalogue(*, include_rules: bool = True) -> dict[str, FieldSpec]:
    """Every field a filter may use: the fixed ones and the manual/rule schemes."""
    return {**FIELDS, **scheme_fields(include_rules=include_rules)}


def catalogue_json(fields: Mapping[str, FieldSpec]) -> list[dict[str, Any]]:
    """The catalogue for the rules editor's script: labels, operators, choices (translated)."""
    return [
        {"key": f.key, "label": str(f.label), "group": str(f.group), "type": f.type,
         "ops": [{"key": o, "label": str(OPS[o])} for o in f.ops],
         "choices": [{"key": k, "label": v} for k, v in (f.choices() if f.choices else [])]}
        for f in fields.values()
    ]


# --- Validation --------------------------------------------------------------------------------

def _err(index: int, message: str, code: str) -> ValidationError:
    return ValidationError(
        _("Condition %(number)d: %(message)s") % {"number": index + 1, "message": message}, code=code
    )


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise ValueError(value)


def _as_decimal(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise ValueError(value)
    return str(number)


def _as_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return date.fromisoformat(value.strip()).isoformat()
    raise ValueError(value)


def _scalar(spec: FieldSpec, value: Any, index: int) -> Any:
    """One value of `spec`'s type in its JSON form; a ValidationError naming the condition if not."""
    try:
        if spec.type in (T.CHOICE, T.SCHEME):
            keys = dict(spec.choices() if spec.choices else [])
            text = str(value).strip()
            if text in keys:
                return text
            # Users may type a class's name as well as its key.
            by_label = {label.casefold(): key for key, label in keys.items()}
            if text.casefold() in by_label:
                return by_label[text.casefold()]
            raise _err(index, _("“%(value)s” is not a value of “%(field)s”; choose one of: %(choices)s.") % {
                "value": text, "field": spec.label, "choices": ", ".join(keys.values())}, "invalid_choice")
        if spec.type == T.TEXT:
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValueError(value)
            text = str(value).strip()
            if len(text) > 200:
                raise _err(index, _("The value is too long (at most 200 characters)."), "too_long")
            return text
        if spec.type in (T.INT, T.REF):
            number = _as_int(value)
            if number < 0 or number > 2**31:
                raise ValueError(value)
            if "min" in spec.extra and not spec.extra["min"] <= number <= spec.extra["max"]:
                raise _err(index, _("“%(field)s” goes from %(min)d to %(max)d.") % {
                    "field": spec.label, "min": spec.extra["min"], "max": spec.extra["max"]}, "out_of_range")
            return number
        if spec.type == T.DECIMAL:
            return _as_decimal(value)
        if spec.type == T.DATE:
            return _as_date(value)
        if spec.type == T.BOOL:
            if isinstance(value, bool):
                return value
            text = str(value).strip().casefold()
            if text in ("true", "1", "yes", "是", str(_("yes")).casefold()):
                return True
            if text in ("false", "0", "no", "否", str(_("no")).casefold()):
                return False
            raise ValueError(value)
    except ValidationError:
        raise
    except (ValueError, TypeError) as exc:
        kind = {T.INT: _("a whole number"), T.REF: _("an id"), T.DECIMAL: _("a number"),
                T.DATE: _("a date (YYYY-MM-DD)"), T.BOOL: _("yes or no"), T.TEXT: _("text")}[spec.type]
        raise _err(index, _("“%(value)s” is not valid for “%(field)s”: enter %(kind)s.") % {
            "value": value, "field": spec.label, "kind": kind}, "invalid_value") from exc
    raise AssertionError(spec.type)  # pragma: no cover


def validate_rules(rules: Any, *, fields: Mapping[str, FieldSpec] | None = None) -> list[dict[str, Any]]:
    """`rules` checked against the catalogue and normalised; a ValidationError (all problems,
    each naming its condition) if anything is wrong. `fields` defaults to the whole catalogue."""
    if not isinstance(rules, list):
        raise ValidationError(_("A filter is a list of conditions."), code="invalid")
    if len(rules) > MAX_CONDITIONS:
        raise ValidationError(_("A filter has at most %(max)d conditions.") % {"max": MAX_CONDITIONS},
                              code="too_many")
    fields = catalogue() if fields is None else fields
    out: list[dict[str, Any]] = []
    errors: list[ValidationError] = []
    for index, cond in enumerate(rules):
        try:
            out.append(_validate_one(cond, index, fields))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return out


def _validate_one(cond: Any, index: int, fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    if not isinstance(cond, Mapping) or set(cond) - {"field", "op", "value"} or "field" not in cond:
        raise _err(index, _("a condition has a field, an operator and a value."), "invalid")
    key = cond.get("field")
    spec = fields.get(key) if isinstance(key, str) else None
    if spec is None:
        if isinstance(key, str) and key.startswith(SCHEME_PREFIX):
            raise _err(index, _("there is no scheme “%(key)s” that can be used here.") % {
                "key": key[len(SCHEME_PREFIX):]}, "unknown_field")
        raise _err(index, _("unknown field “%(field)s”.") % {"field": key}, "unknown_field")
    op = cond.get("op")
    if op not in spec.ops:
        raise _err(index, _("“%(field)s” cannot be filtered with “%(op)s”; use one of: %(ops)s.") % {
            "field": spec.label, "op": OPS.get(op, op) if isinstance(op, str) else op,
            "ops": ", ".join(str(OPS[o]) for o in spec.ops)}, "invalid_op")
    value = cond.get("value")
    if op in NO_VALUE_OPS:
        return {"field": spec.key, "op": op, "value": None}
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            raise _err(index, _("“%(op)s” needs a list of values.") % {"op": OPS[op]}, "invalid_value")
        if len(value) > MAX_VALUES:
            raise _err(index, _("at most %(max)d values.") % {"max": MAX_VALUES}, "too_many")
        return {"field": spec.key, "op": op, "value": list(dict.fromkeys(_scalar(spec, v, index) for v in value))}
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _err(index, _("“between” needs two values: from and to."), "invalid_value")
        low, high = (_scalar(spec, v, index) for v in value)
        if _order_key(spec, low) > _order_key(spec, high):
            raise _err(index, _("the first value of “between” must not be greater than the second."),
                       "invalid_value")
        return {"field": spec.key, "op": op, "value": [low, high]}
    if op == "last_days":
        try:
            days = _as_int(value)
        except (ValueError, TypeError):
            days = -1
        if not 0 <= days <= 36500:
            raise _err(index, _("enter a number of days from 0 to 36500."), "invalid_value")
        return {"field": spec.key, "op": op, "value": days}
    if isinstance(value, (list, dict)) or value is None:
        raise _err(index, _("“%(op)s” needs one value.") % {"op": OPS[op]}, "invalid_value")
    return {"field": spec.key, "op": op, "value": _scalar(spec, value, index)}


def _order_key(spec: FieldSpec, value: Any) -> Any:
    return Decimal(value) if spec.type == T.DECIMAL else value


# --- Compilation -------------------------------------------------------------------------------

def _python(spec: FieldSpec, value: Any) -> Any:
    if spec.type == T.DECIMAL:
        return Decimal(value)
    if spec.type == T.DATE:
        return date.fromisoformat(value)
    return value


def _scheme_q(spec: FieldSpec, keys: Sequence[str]) -> Q:
    """Customers whose class of the scheme is one of `keys`: manual schemes by the current
    assignment (no assignment = the catch-all "not set"), rule schemes by the last refresh."""
    from segmentation.models import SchemeAssignment, SchemeMembership

    if spec.scheme_kind == SchemeKind.MANUAL:
        current = SchemeAssignment.objects.filter(customer_id=OuterRef("pk"), scheme_id=spec.scheme_id,
                                                  ended_at__isnull=True)
        q = Q(Exists(current.filter(scheme_class__key__in=list(keys))))
        if spec.catch_all in keys:
            q |= ~Exists(current)
        return q
    members = SchemeMembership.objects.filter(customer_id=OuterRef("pk"), scheme_id=spec.scheme_id)
    return Q(Exists(members.filter(scheme_class__key__in=list(keys))))


def _tag_q(ids: Sequence[int]) -> Q:
    from customers.models import Customer

    through = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag_id__in=list(ids))
    return Q(Exists(through))


def _condition_q(spec: FieldSpec, op: str, value: Any, today: date) -> Q:
    if spec.type == T.SCHEME:
        keys = value if op in LIST_OPS else [value]
        q = _scheme_q(spec, keys)
        return ~q if op in ("ne", "not_in") else q
    if spec.key == "tag":
        ids = value if op in LIST_OPS else [value]
        q = _tag_q(ids)
        return ~q if op in ("ne", "not_in") else q
    lookup = spec.lookup
    if op == "eq":
        return Q(**{lookup: _python(spec, value)})
    if op == "ne":
        return ~Q(**{lookup: _python(spec, value)})
    if op == "in":
        return Q(**{f"{lookup}__in": [_python(spec, v) for v in value]})
    if op == "not_in":
        return ~Q(**{f"{lookup}__in": [_python(spec, v) for v in value]})
    if op == "contains":
        return Q(**{f"{lookup}__icontains": value})
    if op == "startswith":
        return Q(**{f"{lookup}__istartswith": value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{lookup}__{op}": _python(spec, value)})
    if op == "between":
        low, high = (_python(spec, v) for v in value)
        return Q(**{f"{lookup}__gte": low, f"{lookup}__lte": high})
    if op == "last_days":
        return Q(**{f"{lookup}__gt": today - timedelta(days=value), f"{lookup}__lte": today})
    blank = Q(**{f"{lookup}__isnull": True})
    if spec.type in (T.TEXT, T.CHOICE):
        blank |= Q(**{lookup: ""})
    if op == "empty":
        return blank
    if op == "not_empty":
        return ~blank
    raise AssertionError(op)  # pragma: no cover


def rules_q(rules: Iterable[Mapping[str, Any]], *, fields: Mapping[str, FieldSpec] | None = None,
            today: date | None = None) -> Q:
    """The Q over Customer that a filter selects (validated again: stored filters may predate a
    scheme's removal). An empty filter selects every customer."""
    fields = catalogue() if fields is None else fields
    valid = validate_rules(list(rules), fields=fields)
    today = today or timezone.localdate()
    q = Q()
    for cond in valid:
        q &= _condition_q(fields[cond["field"]], cond["op"], cond["value"], today)
    return q


# --- Reading and writing filters as text (the form) ---------------------------------------------

_SPLIT = re.compile(r"\s*[,，;；、]\s*")


def parse_value(spec: FieldSpec | None, op: str, text: str) -> Any:
    """The JSON value of a condition typed in the form: lists separated by commas (also Chinese
    commas and 、), "between" as two values. Validation happens afterwards."""
    text = (text or "").strip()
    if op in NO_VALUE_OPS:
        return None
    if op in LIST_OPS or op == "between":
        return [v for v in _SPLIT.split(text) if v] if text else []
    return text


def value_text(spec: FieldSpec | None, cond: Mapping[str, Any]) -> str:
    """A condition's value as the form shows it (the reverse of parse_value)."""
    value = cond.get("value")
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def describe(rules: Iterable[Mapping[str, Any]], *, fields: Mapping[str, FieldSpec] | None = None) -> list[str]:
    """Each condition in words, in the user's language ("ABC tier is one of A · VIP, B · key")."""
    fields = catalogue() if fields is None else fields
    out = []
    for cond in rules:
        spec = fields.get(cond.get("field", ""))
        if spec is None:
            out.append(_("(a field that no longer exists: %(field)s)") % {"field": cond.get("field")})
            continue
        labels = dict(spec.choices()) if spec.choices else {}

        def show(v: Any, labels: dict[str, str] = labels) -> str:
            if isinstance(v, bool):
                return str(_("yes") if v else _("no"))
            return labels.get(str(v), str(v))

        op = cond.get("op", "")
        value = cond.get("value")
        if op in NO_VALUE_OPS:
            text = ""
        elif op == "between" and isinstance(value, list) and len(value) == 2:
            text = _("%(low)s and %(high)s") % {"low": show(value[0]), "high": show(value[1])}
        elif isinstance(value, list):
            text = ", ".join(show(v) for v in value)
        else:
            text = show(value)
        out.append(f"{spec.label} {OPS.get(op, op)} {text}".strip())
    return out
