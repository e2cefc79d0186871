"""When two calendar slots conflict: pure functions, no database (exhaustively tested).

Slots are half-open intervals [start, end) of aware instants: one that ends at 11:00 and one that
starts at 11:00 touch and do not conflict. An all-day slot occupies whole days in the zone of the
person whose calendar it is in: from that day's midnight to the midnight after its last day, so the
same all-day appointment covers different instants for attendees in different zones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any


@dataclass(frozen=True)
class Slot:
    """One appointment as a calendar slot: instants, or days when `all_day`."""

    starts_at: datetime
    ends_at: datetime
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None  # the last day, included


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight beginning `day` in `zone` (aware)."""
    return datetime.combine(day, time.min).replace(tzinfo=zone)


def occupied(slot: Slot, zone: tzinfo) -> tuple[datetime, datetime]:
    """The half-open interval of instants `slot` occupies in the calendar of someone in `zone`."""
    if slot.all_day and slot.start_date is not None:
        last = slot.end_date or slot.start_date
        return day_start(slot.start_date, zone), day_start(last + timedelta(days=1), zone)
    return slot.starts_at, slot.ends_at


def intervals_overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open intervals overlap when each starts before the other ends (touching is not overlap)."""
    return a[0] < b[1] and b[0] < a[1]


def slots_conflict(a: Slot, b: Slot, zone: tzinfo) -> bool:
    """Whether two slots of the same person's calendar (who lives in `zone`) overlap."""
    return intervals_overlap(occupied(a, zone), occupied(b, zone))


def conflicting(slot: Slot, others: Iterable[tuple[Any, Slot]], zone: tzinfo) -> Iterator[Any]:
    """The keys of `others` ((key, slot) pairs) whose slot overlaps `slot` in `zone`."""
    mine = occupied(slot, zone)
    for key, other in others:
        if intervals_overlap(mine, occupied(other, zone)):
            yield key
