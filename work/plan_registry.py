"""What the higher apps contribute to the plan (营销过程管理), without work importing them.

work sits below commerce, interactions, segmentation and insights (docs/architecture), so those apps
register here from their AppConfig.ready(); work's own parts (tasks, calendar) may register too.
Registering a key again replaces the earlier registration (ready() may run more than once in tests).

Time: every `start`/`end` below is a pair of dates in the business time zone (settings.TIME_ZONE /
KEHU_TIME_ZONE), both days included; `period_bounds` turns them into the half-open UTC-aware
interval a query filters a timestamp by.

Contracts
---------

Daily log sources — `add_log_source(key, label, entries)`:
    `entries(*, user_ids, start, end) -> list[LogEntry]`: what the users did on those days (one kind
    of activity: orders taken, interactions, tasks done, appointments …), for all of them in a few
    set-based queries (never one per user or per day). Entries are returned unscoped: the plan masks
    every entry about a customer the viewer may not see (no name, no link: "a customer you may not
    see") and keeps `customer_id` only internally. `contact` says the entry is a contact with its
    customer (a weekly plan's customer counts as contacted by such an entry).

Plan metrics — `add_metric(PlanMetric(...))`:
    `actual(user_ids, start, end) -> dict[user_id, Decimal]`: the measured value of each user over
    the days, by ONE aggregate query grouped by user (users without activity may be left out: 0).
    Never typed in. `unit` is COUNT or AMOUNT. A team's actual is the sum over its members.

State change providers — `add_state_changes(key, changes)`:
    `changes(*, owner_ids, start, end) -> list[StateChange]`: the changes of state (lifecycle
    transitions, segment changes …) of the customers the users own, dated in the days. Unscoped,
    masked by the plan as above.

Plan suggestions — `add_suggestions(key, suggest)`:
    `suggest(*, user, owner_id, limit) -> list[Suggestion]`: customers of `owner_id` worth contacting
    this week, best first, only customers `user` may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

COUNT = "count"
AMOUNT = "amount"


def business_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the business time zone: filter timestamps with __gte/__lt."""
    zone = business_zone()
    return (datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone))


@dataclass(frozen=True)
class LogEntry:
    """One thing that happened in a salesperson's day."""

    user_id: int
    at: datetime
    kind: str  # the source's key
    label: str  # what happened, in the active language (may name the customer)
    customer_id: int | None = None
    url: str = ""
    contact: bool = False


@dataclass(frozen=True)
class LogSource:
    key: str
    label: Any
    entries: Callable[..., list[LogEntry]]


@dataclass(frozen=True)
class PlanMetric:
    key: str
    label: Any
    unit: str  # COUNT or AMOUNT
    actual: Callable[[Sequence[int], date, date], dict[int, Decimal]]
    order: int = 100


@dataclass(frozen=True)
class StateChange:
    customer_id: int
    owner_id: int
    on: date
    what: str  # e.g. "Lifecycle stage: Lost → Repeat buyer (won back by a purchase)", in the active language


@dataclass(frozen=True)
class Suggestion:
    customer_id: int
    customer_name: str
    reason: str


_sources: dict[str, LogSource] = {}
_metrics: dict[str, PlanMetric] = {}
_state_changes: dict[str, Callable[..., list[StateChange]]] = {}
_suggestions: dict[str, Callable[..., list[Suggestion]]] = {}


def add_log_source(key: str, label: Any, entries: Callable[..., list[LogEntry]]) -> None:
    _sources[key] = LogSource(key, label, entries)


def log_sources() -> list[LogSource]:
    return list(_sources.values())


def add_metric(metric: PlanMetric) -> None:
    if metric.unit not in (COUNT, AMOUNT):
        raise ValueError(f"unit must be {COUNT!r} or {AMOUNT!r}, not {metric.unit!r}")
    _metrics[metric.key] = metric


def metrics() -> list[PlanMetric]:
    return sorted(_metrics.values(), key=lambda m: (m.order, m.key))


def metric(key: str) -> PlanMetric | None:
    return _metrics.get(key)


def add_state_changes(key: str, changes: Callable[..., list[StateChange]]) -> None:
    _state_changes[key] = changes


def state_change_providers() -> list[Callable[..., list[StateChange]]]:
    return list(_state_changes.values())


def add_suggestions(key: str, suggest: Callable[..., list[Suggestion]]) -> None:
    _suggestions[key] = suggest


def suggestion_providers() -> list[Callable[..., list[Suggestion]]]:
    return list(_suggestions.values())
