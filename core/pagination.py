"""Keyset (cursor) pagination: pages cost the same at row 10 and row 10,000,000 (no OFFSET).

The ordering must end with a unique column (the primary key) and use non-null columns.
A cursor is an opaque token holding the boundary row's sort values and the direction.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    ordering: list[str] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _encode(values: list[Any], backwards: bool) -> str:
    raw = json.dumps({"v": values, "b": backwards}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[list[Any], bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        return list(data["v"]), bool(data["b"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("The page link is invalid or out of date."), code="invalid_cursor") from exc


def _after(ordering: list[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (lexicographic, per-column direction)."""
    q = Q()
    for i in range(len(ordering) - 1, -1, -1):
        name = ordering[i].lstrip("-")
        op = "lt" if ordering[i].startswith("-") else "gt"
        strict = Q(**{f"{name}__{op}": values[i]})
        q = strict if i == len(ordering) - 1 else strict | (Q(**{name: values[i]}) & q)
    if len(ordering) > 1:
        # The same rows, plus a plain bound on the first column: both databases start the index
        # range there. With the OR form alone they walk the index from the top, so a page 10,000
        # rows deep read 10,000 index entries first.
        first = ordering[0].lstrip("-")
        q = Q(**{f"{first}__{'lte' if ordering[0].startswith('-') else 'gte'}": values[0]}) & q
    return q


def _flip(ordering: list[str]) -> list[str]:
    return [o[1:] if o.startswith("-") else f"-{o}" for o in ordering]


def _values(obj: Any, ordering: list[str]) -> list[Any]:
    out = []
    for o in ordering:
        value = getattr(obj, o.lstrip("-"))
        out.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return out


def keyset_page(queryset: QuerySet, *, ordering: list[str], cursor: str | None = None, size: int = 50) -> KeysetPage:
    """One page of `queryset` in `ordering`, starting after (or before) `cursor`."""
    if not ordering or ordering[-1].lstrip("-") not in ("id", "pk"):
        raise ValueError("keyset ordering must end with the primary key")
    backwards = False
    qs = queryset
    if cursor:
        values, backwards = _decode(cursor)
        if len(values) != len(ordering):
            raise ValidationError(_("The page link is invalid or out of date."), code="invalid_cursor")
        qs = qs.filter(_after(_flip(ordering) if backwards else ordering, values))
    qs = qs.order_by(*(_flip(ordering) if backwards else ordering))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(items=rows, ordering=ordering)
    if rows:
        # Going forward: more rows ahead if we over-fetched; rows behind if we came from a cursor.
        # Going backward: the cursor row lies ahead; more rows behind if we over-fetched.
        has_next = backwards or more
        has_previous = (more if backwards else cursor is not None)
        if has_next:
            page.next_cursor = _encode(_values(rows[-1], ordering), False)
        if has_previous:
            page.previous_cursor = _encode(_values(rows[0], ordering), True)
    return page
