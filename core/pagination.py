"""Keyset (cursor) pagination: pages cost the same at row 10 and row 10,000,000 (no OFFSET).

The ordering must end with a unique column (the primary key) and use non-null columns.
A cursor is an opaque token holding the boundary row's sort values and the direction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
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


def keyset_encode(values: list[Any], backwards: bool) -> str:
    """The opaque cursor of a page boundary: the ordering's values of the row, and the direction."""
    raw = json.dumps({"v": values, "b": backwards}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def keyset_decode(cursor: str) -> tuple[list[Any], bool]:
    """The values and direction of a cursor made by keyset_encode (ValidationError when it is not one)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        return list(data["v"]), bool(data["b"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("The page link is invalid or out of date."), code="invalid_cursor") from exc


def keyset_after(ordering: list[str], values: list[Any]) -> Q:
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


def keyset_flip(ordering: list[str]) -> list[str]:
    """The ordering read backwards (for the previous page)."""
    return [o[1:] if o.startswith("-") else f"-{o}" for o in ordering]


def _get(obj: Any, name: str) -> Any:
    # Rows are model instances or, for lists read with values(), dicts.
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _values(obj: Any, ordering: list[str]) -> list[Any]:
    out = []
    for o in ordering:
        value = _get(obj, o.lstrip("-"))
        out.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return out


def _kept(queryset: QuerySet, walk: list[str], keep: Callable[[Any], bool], wanted: int) -> list[Any]:
    """The first `wanted` rows of `queryset` (ordered by `walk`) that `keep` accepts, read in chunks
    of 2, 8, 32 … times `wanted` rows, each starting after the last row read.

    Why not a WHERE clause: for a condition it cannot estimate (the first character of a name), the
    PostgreSQL planner guesses that few rows match, reads the whole index range and sorts it; a
    plain range with ORDER BY and LIMIT is walked in the index and stops early on both databases."""
    out: list[Any] = []
    part, limit = queryset, 2 * wanted
    while True:
        batch = list(part[:limit])
        out.extend(row for row in batch if keep(row))
        if len(out) >= wanted or len(batch) < limit:
            return out[:wanted]
        part = queryset.filter(keyset_after(walk, _values(batch[-1], walk)))
        limit *= 4


def keyset_page(queryset: QuerySet, *, ordering: list[str], cursor: str | None = None, size: int = 50) -> KeysetPage:
    """One page of `queryset` in `ordering`, starting after (or before) `cursor`. The queryset may
    yield model instances or dicts (values()), which then must hold the ordering's columns."""
    return keyset_page_merged([queryset], ordering=ordering, cursor=cursor, size=size)


def keyset_page_merged(
    querysets: Sequence[QuerySet], *, ordering: list[str], cursor: str | None = None, size: int = 50,
    keep: Callable[[Any], bool] | None = None,
) -> KeysetPage:
    """One page of the union of `querysets` (disjoint sets of rows) in `ordering`: each is read
    from the cursor for at most size + 1 rows, and the rows are merged in Python.

    For a condition the database cannot walk in the sort's index as one range (a name starting with
    王 is a row in one of a few pinyin ranges), each part walks its own range and stops early. With
    several querysets every column of `ordering` must sort the same way (all ascending or all
    descending), and the database must compare the columns as Python does (byte order).

    `keep` is a condition tested in Python on each row read: the querysets are then read in growing
    chunks along the ordering until size + 1 rows are kept (see _kept)."""
    if not ordering or ordering[-1].lstrip("-") not in ("id", "pk"):
        raise ValueError("keyset ordering must end with the primary key")
    if len(querysets) > 1 and len({o.startswith("-") for o in ordering}) > 1:
        raise ValueError("merged keyset pages need one direction for every column")
    backwards = False
    after: Q | None = None
    if cursor:
        values, backwards = keyset_decode(cursor)
        if len(values) != len(ordering):
            raise ValidationError(_("The page link is invalid or out of date."), code="invalid_cursor")
        after = keyset_after(keyset_flip(ordering) if backwards else ordering, values)
    walk = keyset_flip(ordering) if backwards else ordering
    rows: list[Any] = []
    for qs in querysets:
        if after is not None:
            qs = qs.filter(after)
        qs = qs.order_by(*walk)
        rows.extend(qs[: size + 1] if keep is None else _kept(qs, walk, keep, size + 1))
    if len(querysets) > 1:
        names = [o.lstrip("-") for o in walk]
        rows.sort(key=lambda row: tuple(_get(row, n) for n in names), reverse=walk[0].startswith("-"))
    return keyset_page_of(rows, ordering=ordering, size=size, backwards=backwards, from_cursor=cursor is not None)


def keyset_page_of(
    rows: list[Any], *, ordering: list[str], size: int, backwards: bool, from_cursor: bool
) -> KeysetPage:
    """The page made of `rows` as read along the walk (`ordering`, flipped when `backwards`), at
    most size + 1 of them (one more than the page tells that more lie ahead): trimmed, put back in
    `ordering`'s direction, with its cursors. For callers that read the rows themselves."""
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(items=rows, ordering=ordering)
    if rows:
        # Going forward: more rows ahead if we over-fetched; rows behind if we came from a cursor.
        # Going backward: the cursor row lies ahead; more rows behind if we over-fetched.
        has_next = backwards or more
        has_previous = (more if backwards else from_cursor)
        if has_next:
            page.next_cursor = keyset_encode(_values(rows[-1], ordering), False)
        if has_previous:
            page.previous_cursor = keyset_encode(_values(rows[0], ordering), True)
    return page
