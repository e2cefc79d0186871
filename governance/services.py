"""Writes of data governance: keeping the duplicate-detection keys current, merging two customers
and undoing a merge. A merge is one transaction that moves every record of the merged customer
(customers.owned: contacts, family, documents, orders, interactions, costs, … of any app) to the
survivor, soft-deletes the merged customer with a pointer to the survivor, and records the full
before-state; an administrator's undo restores it and moves back exactly the records that moved."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record, change_records_bulk
from core import db, masking
from core.models import concrete_field, field_values
from customers.models import Customer
from customers.owned import customer_owned_moving
from customers.services import CUSTOMER_EDITABLE_FIELDS, _refresh_search_keys
from governance.models import CustomerMerge, MatchKey, MatchKeyState, NotDuplicate

# Fields a merge lets the user pick from either customer (the owner changes only by transfer).
MERGE_FIELDS: list[str] = list(CUSTOMER_EDITABLE_FIELDS)
# Every column of a customer, for the before-state kept in the merge record and the audit trail.
ALL_FIELDS: list[str] = [f.name for f in Customer._meta.concrete_fields if f.name != "id"]

_DIGITS = re.compile(r"\D+")
# Keys shared by more customers than this say nothing (a switchboard number, 王伟 in Beijing).
MAX_PER_KEY = 20
FUZZY_MAX_LENGTH = 24
# Customers changed this long before the last refresh are looked at again (commits still in flight).
REFRESH_OVERLAP = timedelta(minutes=5)


# --- duplicate-detection keys ---------------------------------------------------------------------------

def phone_key(phone: str | None) -> str:
    """Digits of a phone, without a +86/0086 country prefix; "" when too short to identify anyone."""
    digits = _DIGITS.sub("", phone or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 7 else ""


def match_keys(customer: Customer | Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (kind, value) keys of one customer."""
    get = customer.get if isinstance(customer, Mapping) else lambda n: getattr(customer, n)
    keys: set[tuple[str, str]] = set()
    for phone in (get("phone"), get("phone_alt")):
        if key := phone_key(phone):
            keys.add(("phone", key))
    email = (get("email") or "").strip().lower()
    if email:
        keys.add(("email", email[:200]))
    pinyin, city = get("name_pinyin") or "", (get("city") or "").strip()
    if pinyin and city:
        keys.add(("name", f"{city}|{pinyin}"[:200]))
        if 4 <= len(pinyin) <= FUZZY_MAX_LENGTH:
            # Names one letter apart (zhangwei / zhangwen / zhanwei) share one of these variants.
            keys.update(("fuzzy", f"{city}|{pinyin[:i]}{pinyin[i + 1:]}") for i in range(len(pinyin)))
            keys.add(("fuzzy", f"{city}|{pinyin}"))
    return keys


_KEY_SOURCES = ["id", "phone", "phone_alt", "email", "name_pinyin", "city", "deleted_at"]


@transaction.atomic
def match_keys_refresh(*, full: bool = False) -> int:
    """Bring the keys up to date for customers changed since the last refresh (all when `full`).
    Returns how many customers were looked at."""
    state = MatchKeyState.objects.select_for_update().first() or MatchKeyState.objects.create()
    now = timezone.now()
    qs = Customer.objects.all()
    if state.refreshed_at and not full:
        qs = qs.filter(updated_at__gte=state.refreshed_at - REFRESH_OVERLAP)
    count = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        ids = [c["id"] for c in batch]
        MatchKey.objects.filter(customer_id__in=ids).delete()
        rows = [(c["id"], kind, value) for c in batch if c["deleted_at"] is None for kind, value in match_keys(c)]
        db.insert_rows(MatchKey, ["customer_id", "kind", "value"], rows)
        batch.clear()

    if full:
        MatchKey.objects.all().delete()
    for values in qs.values(*_KEY_SOURCES).iterator(chunk_size=2000):
        batch.append(values)
        count += 1
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    state.refreshed_at = now
    state.save(update_fields=["refreshed_at"])
    return count


@transaction.atomic
def not_duplicate_mark(*, actor: User, first_id: int, second_id: int) -> NotDuplicate:
    """Record that two customers are different: the pair is no longer proposed."""
    a, b = sorted((first_id, second_id))
    if Customer.objects.restrict(actor, "change").filter(pk__in=[a, b]).count() != 2:
        raise PermissionDenied(_("You do not have access to this record."))
    obj, _created = NotDuplicate.objects.get_or_create(first_id=a, second_id=b, defaults={"decided_by": actor})
    return obj


# --- merge ------------------------------------------------------------------------------------------------

def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def _lock(actor: User, pk: int, action: str) -> Customer:
    try:
        return Customer.objects.restrict(actor, action).select_for_update().get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise PermissionDenied(_("You do not have access to this record.")) from exc


@transaction.atomic
def customer_merge(
    *, actor: User, survivor_id: int, merged_id: int, take: Iterable[str] = (), note: str = ""
) -> CustomerMerge:
    """Fold customer `merged_id` into `survivor_id`. `take`: the fields whose value the survivor takes
    from the merged customer (the others keep the survivor's). Needs "change" on the survivor and
    "delete" on the merged customer (it disappears from every list)."""
    if survivor_id == merged_id:
        raise ValidationError(_("A customer cannot be merged with itself."))
    # Lock in id order: two merges of the same pair never wait on each other.
    first, second = sorted((survivor_id, merged_id))
    locked = {pk: _lock(actor, pk, "change" if pk == survivor_id else "delete") for pk in (first, second)}
    survivor, merged = locked[survivor_id], locked[merged_id]
    take = list(take)
    unknown = set(take) - set(MERGE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be merged: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    refused = [n for n in take if not masking.may_write(actor, Customer, n)]
    if refused:  # a value the actor sees masked is not the actor's to choose (core.masking)
        raise PermissionDenied(_("Your role may not change these fields: %(fields)s") % {
            "fields": ", ".join(str(concrete_field(Customer, n).verbose_name) for n in refused)})
    now = timezone.now()
    survivor_before = field_values(survivor, ALL_FIELDS)
    merged_before = field_values(merged, ALL_FIELDS)
    survivor_tags = set(survivor.tags.values_list("pk", flat=True))
    merged_tags = set(merged.tags.values_list("pk", flat=True))

    # 1. The survivor's card: the chosen fields. An external id taken from the merged customer swaps
    #    with the survivor's, so that both still lead to the survivor (imports, other systems).
    taken = {}
    for name in take:
        if getattr(survivor, name) != getattr(merged, name):
            taken[name] = [survivor_before.get(name), merged_before.get(name)]
            setattr(survivor, name, getattr(merged, name))
    swap_external_id = "external_id" in taken
    if swap_external_id:
        Customer.objects.filter(pk=merged.pk).update(external_id=None)
        merged.external_id = survivor_before.get("external_id")
    _refresh_search_keys(survivor)
    survivor.full_clean(validate_unique=False)
    survivor.save()

    # 2. Every record of the merged customer moves, whatever app it belongs to.
    moved: dict[str, list[int]] = {}
    for owned in customer_owned_moving():
        manager = owned.model._base_manager
        ids = list(manager.filter(**{owned.field: merged.pk}).values_list("pk", flat=True))
        if not ids:
            continue
        manager.filter(pk__in=ids).update(**{owned.field: survivor.pk})
        moved[owned.label] = ids
        # Each moved record's own history says where it went (and shows in the survivor's history).
        change_records_bulk(
            user=actor, instances=manager.filter(pk__in=ids), action=ChangeAction.UPDATE,
            changes={owned.field: [merged.pk, survivor.pk]}, customer_attr=f"{owned.field}_id",
            note=_merge_note(merged, survivor),
        )
    through = Customer.tags.through
    adding = sorted(merged_tags - survivor_tags)
    through.objects.bulk_create([through(customer_id=survivor.pk, tag_id=t) for t in adding])
    through.objects.filter(customer_id=merged.pk).delete()
    moved["tags_added"] = adding
    moved["tags_merged"] = sorted(merged_tags)

    # 3. The merged customer disappears, pointing at the survivor.
    merged.deleted_at = now
    merged.merged_into = survivor
    merged.save(update_fields=["deleted_at", "merged_into", "external_id", "updated_at"])

    record = CustomerMerge.objects.create(
        survivor=survivor, merged=merged, actor=actor, at=now, taken=taken,
        survivor_before=survivor_before, merged_before=merged_before, moved=moved,
    )
    survivor_changes: dict[str, Any] = dict(taken)
    if adding:
        survivor_changes["tags"] = [None, [str(t) for t in adding]]
    survivor_changes["merged_customer"] = [None, merged.pk]
    change_record(user=actor, instance=survivor, action=ChangeAction.UPDATE, customer_id=survivor.pk,
                  changes=survivor_changes, note=_merge_note(merged, survivor, note))
    change_record(
        user=actor, instance=merged, action=ChangeAction.DELETE, customer_id=merged.pk,
        changes={**{k: [v, None] for k, v in _json(merged_before).items()},
                 "deleted_at": [None, str(now)], "merged_into": [None, survivor.pk]},
        note=_merge_note(merged, survivor, note),
    )
    return record


def _merge_note(merged: Customer, survivor: Customer, note: str = "") -> str:
    text = _("Merge: %(merged)s (#%(merged_id)s) into %(survivor)s (#%(survivor_id)s)") % {
        "merged": merged.name, "merged_id": merged.pk, "survivor": survivor.name, "survivor_id": survivor.pk}
    return f"{text}. {note}".strip() if note else text


@transaction.atomic
def customer_unmerge(*, actor: User, merge_id: int) -> CustomerMerge:
    """Undo a merge (administrators): the merged customer comes back as it was, the records that moved
    move back (records added to the survivor since stay), and the survivor's fields taken from the
    merged customer return to their old values unless someone changed them since."""
    if not actor.can(Cap.RESTORE):
        raise PermissionDenied(_("Only administrators may undo a merge."))
    try:
        record = CustomerMerge.objects.select_for_update().get(pk=merge_id)
    except CustomerMerge.DoesNotExist as exc:
        raise PermissionDenied(_("You do not have access to this record.")) from exc
    if record.undone_at:
        raise ValidationError(_("This merge was already undone."))
    survivor = Customer.objects.select_for_update().get(pk=record.survivor_id)
    merged = Customer.objects.select_for_update().get(pk=record.merged_id)
    if merged.merged_into_id != survivor.pk or merged.deleted_at is None:
        raise ValidationError(_("The merged customer was changed since; the merge cannot be undone."))
    if survivor.deleted_at is not None:
        raise ValidationError(_("The kept customer was deleted or merged since; undo that first."))
    now = timezone.now()
    kept: list[str] = []
    restored: dict[str, Any] = {}
    for name, (old, new) in record.taken.items():
        if name == "external_id":
            continue
        if field_values(survivor, [name])[name] == new:
            field = concrete_field(Customer, name)
            setattr(survivor, field.attname, field.to_python(old) if old is not None else None)
            restored[name] = [new, old]
        else:
            kept.append(name)  # changed by someone since the merge: theirs stays
    if "external_id" in record.taken:
        old, new = record.taken["external_id"]
        Customer.objects.filter(pk=merged.pk).update(external_id=None)
        survivor.external_id = old
        merged.external_id = new
        restored["external_id"] = [new, old]
    _refresh_search_keys(survivor)
    survivor.save()

    owned = {o.label: o for o in customer_owned_moving()}
    for label, ids in record.moved.items():
        if label.startswith("tags_") or label not in owned:
            continue
        o = owned[label]
        manager = o.model._base_manager
        back = list(manager.filter(pk__in=ids, **{o.field: survivor.pk}).values_list("pk", flat=True))
        manager.filter(pk__in=back).update(**{o.field: merged.pk})
        change_records_bulk(user=actor, instances=manager.filter(pk__in=back), action=ChangeAction.UPDATE,
                            changes={o.field: [survivor.pk, merged.pk]}, customer_attr=f"{o.field}_id",
                            note=gettext_noop("Merge undone"))
    through = Customer.tags.through
    through.objects.filter(customer_id=survivor.pk, tag_id__in=record.moved.get("tags_added", [])).delete()
    through.objects.bulk_create(
        [through(customer_id=merged.pk, tag_id=t) for t in record.moved.get("tags_merged", [])], ignore_conflicts=True
    )

    merged.deleted_at = None
    merged.merged_into = None
    _refresh_search_keys(merged)
    merged.save(update_fields=["deleted_at", "merged_into", "external_id", "name_pinyin", "name_initials",
                               "phone_digits", "city_pinyin", "updated_at"])
    record.undone_at, record.undone_by = now, actor
    record.save(update_fields=["undone_at", "undone_by"])
    change_record(user=actor, instance=survivor, action=ChangeAction.UPDATE, customer_id=survivor.pk,
                  changes={**restored, "merged_customer": [merged.pk, None]}, note=gettext_noop("Merge undone"))
    change_record(user=actor, instance=merged, action=ChangeAction.RESTORE, customer_id=merged.pk,
                  changes={"deleted_at": [str(record.at), None], "merged_into": [survivor.pk, None]},
                  note=_("Merge undone") + (f" ({', '.join(kept)})" if kept else ""))
    record.kept_fields = kept
    return record
