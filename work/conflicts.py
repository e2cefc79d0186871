"""When two calendar slots conflict: pure functions, no database (exhaustively tested).

Slots are half-open intervals [start, end) of aware instants: one that ends at 11:00 and one that
starts at 11:00 touch and do not conflict. An all-day slot occupies whole days in the zone of the
person whose calendar it is in: from that day's midnight to the midnight after its last day, so the
same all-day appointment covers different instants for attendees in different zones.

A recurring slot (daily, weekly or monthly, until a last day, included) repeats at the same
wall-clock time of its own zone (`Slot.zone`, the zone it was planned in; else the person's) —
09:00 stays 09:00 across a daylight-saving change — and conflicts when any of its occurrences
overlaps any occurrence of the other. A monthly slot keeps its first day of the month and falls back
to the last day of a shorter month (the 31st → 30 April, 28 or 29 February), as tasks do
(work.recurrence.add_months).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from work.recurrence import add_months


@dataclass(frozen=True)
class Slot:
    """One appointment as a calendar slot: instants, or days when `all_day`."""

    starts_at: datetime
    ends_at: datetime
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None  # the last day, included
    recurrence: str = ""  # "", "daily", "weekly" or "monthly"
    until: date | None = None  # the last day an occurrence may start on (recurring slots)
    zone: tzinfo | None = None  # whose wall clock a timed recurring slot keeps (None: the person's)


STEPS = {"daily": 1, "weekly": 7, "monthly": 28}  # days between occurrences (monthly: at least)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight beginning `day` in `zone` (aware)."""
    return datetime.combine(day, time.min).replace(tzinfo=zone)


def occupied(slot: Slot, zone: tzinfo) -> tuple[datetime, datetime]:
    """The half-open interval of instants `slot` occupies in the calendar of someone in `zone`."""
    if slot.all_day and slot.start_date is not None:
        last = slot.end_date or slot.start_date
        return day_start(slot.start_date, zone), day_start(last + timedelta(days=1), zone)
    return slot.starts_at, slot.ends_at


def occurrences(slot: Slot, zone: tzinfo, start: datetime | None = None,
                end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """The intervals `slot` occupies in `zone`, in time order, those overlapping [start, end) when
    given. A slot that does not recur has one."""
    first_start, first_end = occupied(slot, zone)
    step = STEPS.get(slot.recurrence)
    if step is None or slot.until is None:
        if (start is None or first_end > start) and (end is None or first_start < end):
            yield first_start, first_end
        return
    # An all-day slot's days are the person's; a timed one keeps the wall clock of its own zone.
    wall = zone if slot.all_day else (slot.zone or zone)
    local = first_start.astimezone(wall)
    duration = first_end - first_start
    days = first_end.astimezone(zone).date() - local.date()  # an all-day slot's length in days
    skip = 0
    if start is not None and start - duration > first_start:
        skip = max(0, (start - duration - first_start).days // (31 if step == 28 else step) - 1)
    k = skip
    while True:
        # Aware arithmetic keeps the wall clock of `wall`: the same local time on each day.
        if step == 28:
            moved = add_months(local.date(), k, local.day)
            begin = local.replace(year=moved.year, month=moved.month, day=moved.day)
        else:
            begin = local + timedelta(days=k * step)
        if begin.date() > slot.until or (end is not None and begin >= end):
            return
        finish = day_start(begin.date() + days, zone) if slot.all_day else begin + duration
        if start is None or finish > start:
            yield begin, finish
        k += 1


def span(slot: Slot, zone: tzinfo) -> tuple[datetime, datetime]:
    """From the first occurrence's start to the last one's end (the candidate query's interval)."""
    first_start, first_end = occupied(slot, zone)
    if slot.recurrence not in STEPS or slot.until is None:
        return first_start, first_end
    # The occurrences of the last step before the last day (an all-day one may run past it): the last
    # of them ends the span. (A step is at most 31 days: a month.)
    longest_step = 31 if slot.recurrence == "monthly" else STEPS[slot.recurrence]
    tail = list(occurrences(slot, zone, start=day_start(slot.until, zone) - timedelta(days=longest_step + 1)))
    return first_start, (tail[-1][1] if tail else first_end)


def first_overlap(a: Slot, b: Slot, zone: tzinfo) -> tuple[datetime, datetime] | None:
    """The first occurrence of `b` that overlaps an occurrence of `a` in `zone`, or None."""
    a_span, b_span = span(a, zone), span(b, zone)
    if not intervals_overlap(a_span, b_span):
        return None
    window = (max(a_span[0], b_span[0]), min(a_span[1], b_span[1]))
    mine = list(occurrences(a, zone, *window))
    i = 0
    for other in occurrences(b, zone, *window):
        while i < len(mine) and mine[i][1] <= other[0]:
            i += 1  # occurrences of `a` that end before this one of `b` starts overlap no later one either
        if i < len(mine) and intervals_overlap(mine[i], other):
            return other
    return None


def intervals_overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open intervals overlap when each starts before the other ends (touching is not overlap)."""
    return a[0] < b[1] and b[0] < a[1]


def slots_conflict(a: Slot, b: Slot, zone: tzinfo) -> bool:
    """Whether two slots of the same person's calendar (who lives in `zone`) overlap."""
    if a.recurrence in STEPS or b.recurrence in STEPS:
        return first_overlap(a, b, zone) is not None
    return intervals_overlap(occupied(a, zone), occupied(b, zone))


def conflicting(slot: Slot, others: Iterable[tuple[Any, Slot]], zone: tzinfo) -> Iterator[Any]:
    """The keys of `others` ((key, slot) pairs) whose slot overlaps `slot` in `zone`."""
    for key, other in others:
        if slots_conflict(slot, other, zone):
            yield key
