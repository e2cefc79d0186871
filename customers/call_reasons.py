"""More reasons to call a customer, contributed by apps below the call list (insights).

The call list ranks customers by their scores and gives each the reason its scoring chose; other apps
know other reasons (the wealth desk: a household's insurance gaps). They cannot be imported by
insights' lower neighbours, and insights may not be imported by them, so they register a *source*
here and the call list asks every source once per page:

    source(user, customer_ids: Sequence[int]) -> dict[int, list[str]]

returns, for the customers of the page that have any, their reasons as lines in the current language
(masked as `user`'s role sees the figures they name, core.masking),
in a fixed number of queries (one page: one query per source, whatever the page size). The caller has
already scoped the page to what the user may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core import registry

SOURCES = "call_reason_sources"

ReasonSource = Callable[[Any, Sequence[int]], dict[int, list[str]]]


def add_reason_source(source: ReasonSource) -> None:
    """Register a source (once; from an AppConfig.ready() or a part's register())."""
    registry.add(SOURCES, source)


def more_reasons(user: Any, customer_ids: Sequence[int]) -> dict[int, list[str]]:
    """Every source's reasons for these customers, merged in registration order."""
    out: dict[int, list[str]] = {}
    if not customer_ids:
        return out
    for source in registry.get_all(SOURCES):
        for customer_id, lines in source(user, customer_ids).items():
            out.setdefault(customer_id, []).extend(lines)
    return out
