"""User-defined rule schemes: named classes, each a saved filter, evaluated in order, first match
wins, with a catch-all last — so every customer falls in exactly one class.

Memberships (SchemeMembership) are written set-based: for each class in order, one
INSERT … SELECT of the customers matching the class's filter and not yet placed in the scheme;
the catch-all takes everyone left. No per-customer Python loop.

A class's filter may use customer fields, the computed classes and scores and the manual schemes,
but not another rule scheme (that would make the order of refreshes matter and allow cycles).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, IntegerField, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from segmentation import filters
from segmentation.choices import SchemeKind
from segmentation.models import SavedSegment, Scheme, SchemeClass, SchemeMembership

MAX_CLASSES = 20


def may_manage_schemes(user: Any) -> bool:
    """Administrators and managers define rule schemes and name the managers of classes."""
    return bool(user and user.is_authenticated and user.is_active
                and user.effective_role in (Role.ADMIN, Role.MANAGER))


def class_fields() -> dict[str, filters.FieldSpec]:
    """The fields a rule scheme's class may filter on (no rule schemes)."""
    return filters.catalogue(include_rules=False)


def _insert_members(scheme: Scheme, cls: SchemeClass, q: Q, refreshed_at: datetime) -> int:
    """INSERT … SELECT the living customers matching `q` that have no membership in the scheme yet."""
    from customers.models import Customer

    placed = SchemeMembership.objects.filter(scheme_id=scheme.pk, customer_id=OuterRef("pk"))
    qs = (
        Customer.objects.filter(deleted_at__isnull=True).filter(q).filter(~Exists(placed))
        .annotate(_scheme=Value(scheme.pk, output_field=IntegerField()),
                  _class=Value(cls.pk, output_field=IntegerField()),
                  _at=Value(refreshed_at, output_field=DateTimeField()))
        .values_list("pk", "_scheme", "_class", "_at").order_by()
    )
    sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(SchemeMembership._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("customer_id", "scheme_id", "scheme_class_id",
                                                               "refreshed_at"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608 - compiled by the ORM
        return max(cursor.rowcount, 0)


def rule_scheme_refresh(*, scheme: Scheme, refreshed_at: datetime | None = None) -> int:
    """Recompute one rule scheme's memberships in one transaction; returns the customers placed."""
    refreshed_at = refreshed_at or timezone.now()
    fields = class_fields()
    classes = list(scheme.classes.order_by("is_catch_all", "position", "id"))
    # Compile every filter first: a filter that no longer validates (a scheme it used was
    # deleted) matches nobody rather than failing the whole refresh.
    compiled = []
    for cls in classes:
        if cls.is_catch_all:
            compiled.append((cls, Q()))
            continue
        try:
            compiled.append((cls, filters.rules_q(cls.rules, fields=fields)))
        except ValidationError:
            continue
    total = 0
    with transaction.atomic():
        SchemeMembership.objects.filter(scheme_id=scheme.pk).delete()
        for cls, q in compiled:
            total += _insert_members(scheme, cls, q, refreshed_at)
    return total


def rule_schemes_refresh(*, refreshed_at: datetime) -> int:
    """Recompute every rule scheme (called by the nightly segments refresh); returns the rows written."""
    return sum(rule_scheme_refresh(scheme=s, refreshed_at=refreshed_at)
               for s in Scheme.objects.filter(kind=SchemeKind.RULES))


def _clean_classes(classes: Sequence[Mapping[str, Any]], catch_all_name: str) -> list[dict[str, Any]]:
    fields = class_fields()
    if not classes:
        raise ValidationError({"classes": _("Add at least one class with a filter before the catch-all.")})
    if len(classes) + 1 > MAX_CLASSES:
        raise ValidationError({"classes": _("A scheme has at most %(max)d classes.") % {"max": MAX_CLASSES}})
    out = []
    names = set()
    positions: dict[int, str] = {}
    for number, cls in enumerate(classes, start=1):
        name = (cls.get("name") or "").strip()
        if not name:
            raise ValidationError({"classes": _("Class %(number)d needs a name.") % {"number": number}})
        if name.casefold() in names:
            raise ValidationError({"classes": _("Two classes are named “%(name)s”.") % {"name": name}})
        names.add(name.casefold())
        # First match wins: two classes at one position would leave their order to chance.
        position = cls.get("position")
        if position is not None:
            if position in positions:
                raise ValidationError({"classes": _(
                    "“%(first)s” and “%(second)s” are both at position %(position)d: give each class its own "
                    "position."
                ) % {"first": positions[position], "second": name, "position": position}})
            positions[position] = name
        rules = cls.get("rules") or []
        if not rules:
            raise ValidationError({"classes": _("Class “%(name)s” needs a filter (only the catch-all has none).")
                                  % {"name": name}})
        try:
            rules = filters.validate_rules(rules, fields=fields)
        except ValidationError as exc:
            raise ValidationError({"classes": [_("Class “%(name)s”: %(error)s") % {"name": name, "error": m}
                                               for m in exc.messages]}) from exc
        out.append({"id": cls.get("id"), "name": name[:100], "rules": rules, "segment": cls.get("segment")})
    catch_all = (catch_all_name or "").strip() or _("Everyone else")
    if catch_all.casefold() in names:
        raise ValidationError({"catch_all_name": _("The catch-all needs a name of its own.")})
    return [*out, {"id": None, "name": catch_all[:100], "rules": [], "catch_all": True}]


def _take_privacy(cls: SchemeClass, segment: SavedSegment | None) -> None:
    """Copy who may read the filter from the saved segment it was copied from (None: everyone)."""
    private = segment is not None and not segment.shared_with_all
    cls.rules_private = private
    cls.rules_owner_id = segment.owner_id if private else None
    cls.rules_team_id = segment.shared_with_team_id if private else None


def rule_scheme_save(
    *, actor: Any, name: str, description: str = "", classes: Sequence[Mapping[str, Any]],
    catch_all_name: str = "", scheme_id: int | None = None,
) -> Scheme:
    """Create or change a rule scheme: its classes in the order given (each {"id"?, "name",
    "rules", "segment"?, "position"?}; two classes may not name the same position), then the
    catch-all; classes left out are removed. A class whose filter comes from a saved segment
    ("segment") takes that segment's privacy with it: unless it is shared with everyone, only its
    creator, the team it is shared with and administrators read the class's filter
    (`selectors.class_rules_visible`). A kept class without a new segment keeps its filter and
    privacy. The memberships are recomputed before returning. One transaction, audited.
    Administrators and managers only."""
    if not may_manage_schemes(actor):
        raise PermissionDenied(_("Only administrators and managers may define schemes."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    cleaned = _clean_classes(classes, catch_all_name)
    with transaction.atomic():
        if scheme_id is None:
            scheme = Scheme.objects.create(key=f"tmp-{timezone.now().timestamp()}", name=name[:100],
                                           description=description, kind=SchemeKind.RULES, created_by=actor,
                                           position=1000)
            scheme.key = f"custom-{scheme.pk}"
            scheme.save(update_fields=["key"])
            action = ChangeAction.CREATE
        else:
            scheme = Scheme.objects.select_for_update().get(pk=scheme_id, kind=SchemeKind.RULES)
            scheme.name, scheme.description = name[:100], description
            scheme.save(update_fields=["name", "description", "updated_at"])
            action = ChangeAction.UPDATE
        existing = {c.pk: c for c in scheme.classes.all()}
        keep = set()
        # Park the positions first so that reordering never collides with itself.
        for position, data in enumerate(cleaned):
            cls = existing.get(data["id"]) if data.get("id") else None
            if cls is None and data.get("catch_all"):
                cls = next((c for c in existing.values() if c.is_catch_all), None)
            if cls is None:
                cls = SchemeClass(scheme=scheme, key=f"new-{position}-{timezone.now().timestamp()}")
            cls.name, cls.rules, cls.position = data["name"], data["rules"], position
            cls.is_catch_all = bool(data.get("catch_all"))
            if data.get("segment") is not None or cls.is_catch_all:
                _take_privacy(cls, data.get("segment"))
            cls.save()
            if cls.key.startswith("new-"):
                cls.key = f"c{cls.pk}"
                cls.save(update_fields=["key"])
            keep.add(cls.pk)
        removed = [c for pk, c in existing.items() if pk not in keep]
        SchemeMembership.objects.filter(scheme_class__in=removed).delete()
        scheme.classes.filter(pk__in=[c.pk for c in removed]).delete()
        change_record(user=actor, instance=scheme, action=action, changes={
            "name": [None, scheme.name],
            "classes": [sorted(c.name for c in existing.values()), [c["name"] for c in cleaned]],
        })
        rule_scheme_refresh(scheme=scheme)
    return scheme


def rule_scheme_delete(*, actor: Any, scheme_id: int) -> None:
    """Delete a rule scheme with its classes and memberships (built-in schemes cannot be deleted)."""
    if not may_manage_schemes(actor):
        raise PermissionDenied(_("Only administrators and managers may define schemes."))
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme_id, kind=SchemeKind.RULES)
        change_record(user=actor, instance=scheme, action=ChangeAction.DELETE,
                      changes={"name": [scheme.name, None]})
        scheme.delete()
