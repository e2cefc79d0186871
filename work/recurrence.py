"""Recurrence of tasks: the usual rules, as pure functions of dates (no database, no clock).

A rule repeats every `interval` days, weeks or months from the first occurrence, and ends after
`count` occurrences in all or on the last one not after `until` (either, both or neither).
Monthly repeats keep the series' day of the month (`anchor_day`, the first occurrence's day) and
fall back to the last day of a shorter month: a series on 31 January is due on 28 (or 29) February,
31 March, 30 April … — the 31st comes back whenever the month has one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

NONE, DAILY, WEEKLY, MONTHLY = "none", "daily", "weekly", "monthly"


@dataclass(frozen=True)
class Rule:
    """How a task repeats. `count` counts every occurrence of the series, the first one included."""

    frequency: str = NONE
    interval: int = 1
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.frequency not in (NONE, DAILY, WEEKLY, MONTHLY):
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if self.interval < 1:
            raise ValueError("the interval must be at least 1")
        if self.count is not None and self.count < 1:
            raise ValueError("the count must be at least 1")

    @property
    def repeats(self) -> bool:
        return self.frequency != NONE


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """`day` moved by `months` months onto `anchor_day` (default: its own day), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def next_occurrence(due: date, rule: Rule, *, occurrence: int = 1, anchor_day: int | None = None) -> date | None:
    """The due date of the occurrence after the one due on `due` (the `occurrence`-th of its series),
    or None when the series ends there (no repeat, `count` reached, or past `until`)."""
    if not rule.repeats:
        return None
    if rule.count is not None and occurrence >= rule.count:
        return None
    if rule.frequency == DAILY:
        following = due + timedelta(days=rule.interval)
    elif rule.frequency == WEEKLY:
        following = due + timedelta(weeks=rule.interval)
    else:
        following = add_months(due, rule.interval, anchor_day or due.day)
    if rule.until is not None and following > rule.until:
        return None
    return following


def occurrences_between(
    due: date, rule: Rule, start: date, end: date, *, occurrence: int = 1, anchor_day: int | None = None
) -> Iterator[tuple[int, date]]:
    """(number, due date) of the occurrences from the one due on `due` (number `occurrence`) on
    that fall in [start, end], both ends included — the expansion a calendar shows."""
    current: date | None = due
    number = occurrence
    while current is not None and current <= end:
        if current >= start:
            yield number, current
        current = next_occurrence(current, rule, occurrence=number, anchor_day=anchor_day)
        number += 1
