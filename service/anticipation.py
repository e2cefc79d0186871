"""Anticipation (预见): the kinds of recent failure that flag a customer before they complain again.

Contract: a part of the service desk (or a higher app) registers a `FailureSource` from its
`register()`; `customers(now)` returns a queryset of customer ids (`values("customer_id")` or
`values_list("customer_id", flat=True)`, unscoped: the caller intersects it with what the viewer may
see) with a failure of that kind as of `now` — e.g. an open or recent complaint, a cancelled or refunded
order, an overdue service request. The complaints part owns the flag built from these sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import registry

REGISTRY_NAME = "service.failure_sources"


@dataclass(frozen=True)
class FailureSource:
    key: str
    label: Any  # a lazy translation: what the flag says ("open complaint")
    customers: Callable[[datetime], Any]


def register_failure_source(source: FailureSource) -> None:
    registry.add(REGISTRY_NAME, source)


def failure_sources() -> list[FailureSource]:
    return registry.get_all(REGISTRY_NAME)
