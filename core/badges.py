"""Badges next to a customer's name in lists (the customer list, the call list, …), contributed by
higher apps so that the lists in lower apps never import them.

Contract: `registry.add("customer_badges", fn)` with `fn(user, customer_ids) -> {customer_id: [Badge]}`
— the badges of the listed customers the user may see, in a fixed number of queries (one, typically,
on a stored table: a list shows 50 rows of a million customers). `customer_badges(user, ids)` merges
the contributors; a list view calls it once for its page and the template shows `badges|get:id`
(or the row's `badges` attribute set by the view).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from core import registry

REGISTRY_NAME = "customer_badges"


@dataclass(frozen=True)
class Badge:
    text: str
    hint: str = ""  # the title attribute: what the badge means for this customer
    css: str = ""  # ok / warn / bad (kehu.css badge classes)


def customer_badges(user: Any, customer_ids: Collection[int]) -> dict[int, list[Badge]]:
    """Every contributor's badges of the customers, merged (no query when there are none)."""
    out: dict[int, list[Badge]] = {}
    ids = list(customer_ids)
    if not ids:
        return out
    for contributor in registry.get_all(REGISTRY_NAME):
        for cid, badges in contributor(user, ids).items():
            out.setdefault(cid, []).extend(badges)
    return out


def attach_badges(user: Any, rows: list[Any], id_attr: str = "pk") -> list[Any]:
    """Set `row.badges` on each row (a model instance or object) of a list page; returns the rows."""
    found = customer_badges(user, [getattr(r, id_attr) for r in rows])
    for row in rows:
        row.badges = found.get(getattr(row, id_attr), [])
    return rows
