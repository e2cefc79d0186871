"""Reads of data governance: duplicate candidates (set-based, in SQL), the merge comparison, merges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from core.models import concrete_field
from customers.models import Customer
from customers.owned import customer_owned_moving
from customers.selectors import mask_customer
from governance.models import CustomerMerge, MatchKey, NotDuplicate
from governance.services import MAX_PER_KEY, MERGE_FIELDS

# Points per kind of evidence; a pair's score is their sum (at most 100).
WEIGHTS = {"phone": 60, "email": 50, "name": 40, "fuzzy": 25}


@dataclass
class Candidate:
    first: Customer
    second: Customer
    score: int
    reasons: list[str]


def duplicate_candidates(*, user: User, limit: int = 100, min_score: int = 25) -> list[Candidate]:
    """Pairs of customers the user may change that share a phone, an e-mail or a (similar) name in the
    same city, best first. One self-join of the key table on its (kind, value) index, keys shared by
    more than MAX_PER_KEY customers left out; pairs marked "not a duplicate" left out.

    The scope is joined (a primary-key probe per key row), not tested with `customer_id IN (scope)`:
    SQLite then walked the key index once per (shared key, customer in scope) — 74 s for 20,000
    customers, against 0.3 s joined (docs/governance.md)."""
    # One column named pk (the join below refers to it by that name).
    scope_sql, scope_params = Customer.objects.restrict(user, "change").values("pk").query.sql_with_params()
    keys, nd = MatchKey._meta.db_table, NotDuplicate._meta.db_table
    score = (
        f"{WEIGHTS['phone']} * MAX(CASE WHEN a.kind = 'phone' THEN 1 ELSE 0 END)"
        f" + {WEIGHTS['email']} * MAX(CASE WHEN a.kind = 'email' THEN 1 ELSE 0 END)"
        f" + CASE WHEN MAX(CASE WHEN a.kind = 'name' THEN 1 ELSE 0 END) = 1 THEN {WEIGHTS['name']}"
        f" WHEN MAX(CASE WHEN a.kind = 'fuzzy' THEN 1 ELSE 0 END) = 1 THEN {WEIGHTS['fuzzy']} ELSE 0 END"
    )
    sql = f"""
        SELECT a.customer_id, b.customer_id, {score} AS score,
               MAX(CASE WHEN a.kind = 'phone' THEN 1 ELSE 0 END),
               MAX(CASE WHEN a.kind = 'email' THEN 1 ELSE 0 END),
               MAX(CASE WHEN a.kind = 'name' THEN 1 ELSE 0 END),
               MAX(CASE WHEN a.kind = 'fuzzy' THEN 1 ELSE 0 END)
        FROM ({scope_sql}) scope_a
        JOIN {keys} a ON a.customer_id = scope_a.pk
        JOIN (SELECT kind, value FROM {keys} GROUP BY kind, value HAVING COUNT(*) BETWEEN 2 AND %s) shared
          ON shared.kind = a.kind AND shared.value = a.value
        JOIN {keys} b ON b.kind = a.kind AND b.value = a.value AND b.customer_id > a.customer_id
        JOIN ({scope_sql}) scope_b ON scope_b.pk = b.customer_id
        LEFT JOIN {nd} nd ON nd.first_id = a.customer_id AND nd.second_id = b.customer_id
        WHERE nd.id IS NULL
        GROUP BY a.customer_id, b.customer_id
        HAVING {score} >= %s
        ORDER BY score DESC, a.customer_id, b.customer_id
        LIMIT %s
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scope_params, MAX_PER_KEY, *scope_params, min_score, limit])
        rows = cursor.fetchall()
    ids = {r[0] for r in rows} | {r[1] for r in rows}
    customers = {c.pk: mask_customer(user, c) for c in Customer.objects.filter(pk__in=ids).select_related("owner")}
    out = []
    for a, b, total, phone, email, name, fuzzy in rows:
        reasons = [k for k, flag in (("phone", phone), ("email", email), ("name", name)) if flag]
        if fuzzy and not name:
            reasons.append("fuzzy")
        out.append(Candidate(first=customers[a], second=customers[b], score=min(int(total), 100), reasons=reasons))
    return out


@dataclass
class FieldChoice:
    name: str
    label: str
    survivor: Any
    merged: Any
    differs: bool
    take: bool  # preselected: the survivor's value is empty, the merged customer's is not


@dataclass
class MergePreview:
    survivor: Customer
    merged: Customer
    fields: list[FieldChoice]
    moving: list[tuple[str, int]] = field(default_factory=list)  # (what, how many) of the merged customer's


def _shown(customer: Customer, name: str) -> Any:
    f = concrete_field(Customer, name)
    value = getattr(customer, name)
    if f.choices and value:
        return getattr(customer, f"get_{name}_display")()
    return value


def merge_preview(*, user: User, survivor_id: int, merged_id: int) -> MergePreview:
    """Both cards field by field, and what would move. Customer.DoesNotExist outside the user's scope."""
    survivor = Customer.objects.restrict(user, "change").select_related("owner").get(pk=survivor_id)
    merged = Customer.objects.restrict(user, "change").select_related("owner").get(pk=merged_id)
    survivor, merged = mask_customer(user, survivor), mask_customer(user, merged)
    rows = []
    for name in MERGE_FIELDS:
        a, b = getattr(survivor, name), getattr(merged, name)
        if a in (None, "") and b in (None, ""):
            continue
        f = concrete_field(Customer, name)
        rows.append(FieldChoice(
            name=name, label=str(f.verbose_name), survivor=_shown(survivor, name), merged=_shown(merged, name),
            differs=a != b, take=a in (None, "") and b not in (None, ""),
        ))
    moving = []
    for owned in customer_owned_moving():
        n = owned.model._base_manager.filter(**{owned.field: merged.pk}).count()
        if n:
            moving.append((str(owned.model._meta.verbose_name_plural), n))
    tags = merged.tags.count()
    if tags:
        moving.append((str(Customer._meta.get_field("tags").verbose_name), tags))
    return MergePreview(survivor=survivor, merged=merged, fields=rows, moving=moving)


def merge_list(*, user: User, limit: int = 100) -> QuerySet[CustomerMerge]:
    """Merges of customers the user may see (administrators: all), newest first."""
    qs = CustomerMerge.objects.restrict(user, "view").select_related("survivor", "merged", "actor", "undone_by")
    return qs.order_by("-at", "-id")[:limit]
