"""Business time: arithmetic over a working calendar (pure: no queries, no settings).

A `BusinessCalendar` says which days are working days and which hours of such a day are working
hours, in one time zone (the business zone: a deadline is "three working hours" in the office's
clock, whatever zone the input datetime carries):

- a day is a working day when it is a make-up working day (调休: a weekend day worked instead of a
  holiday), or when its weekday is a working weekday and it is not a public holiday;
- a working day's working time is its `periods` — e.g. 09:00–12:00 and 13:00–18:00 (a lunch break
  between them) — taken as wall-clock times of that day in the zone.

`add_minutes(start, n)` is the instant n working minutes after `start` (a start outside working
hours counts from the next working time; a deadline that ends exactly at the end of a period stays
there, 18:00, rather than jumping to the next morning's 09:00), and `minutes_between(start, end)`
the working minutes between two instants (0 when end <= start); for any start and n >= 0,
`minutes_between(start, add_minutes(start, n)) == n`. Seconds are kept: 10:00:30 plus 60 minutes is
11:00:30; `minutes_between` rounds down to whole minutes.

Wall-clock periods mean that in a zone with daylight-saving time a period that spans the change
counts its wall-clock length (offices change their clocks outside working hours, so this does not
arise in practice; kehu's business zone, Asia/Shanghai, has no DST).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far a search for the next working time may go before the calendar is declared to have none
# (a calendar without working weekdays, or a holiday list that covers everything).
MAX_SEARCH_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time to count in."""


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and hours in one zone (see the module). `weekdays` are Python weekdays (Monday
    0 … Sunday 6); `periods` are (start, end) wall-clock times, in order, not overlapping."""

    zone: ZoneInfo
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    periods: tuple[tuple[time, time], ...] = ((time(9), time(18)),)
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)  # make-up working days (调休)

    def __post_init__(self) -> None:
        previous_end = -1
        for start, end in self.periods:
            if not _seconds(start) < _seconds(end):
                raise ValueError(f"working period {start}–{end} ends before it starts")
            if _seconds(start) < previous_end:
                raise ValueError("working periods must be in order and must not overlap")
            previous_end = _seconds(end)
        if not self.weekdays <= set(range(7)):
            raise ValueError(f"no such weekdays: {sorted(self.weekdays - set(range(7)))}")

    @classmethod
    def build(cls, *, zone: ZoneInfo, weekdays: Iterable[int], periods: Iterable[tuple[time, time]],
              days_off: Iterable[date] = (), days_on: Iterable[date] = ()) -> BusinessCalendar:
        return cls(zone=zone, weekdays=frozenset(weekdays), periods=tuple(periods),
                   holidays=frozenset(days_off), working_days=frozenset(days_on))

    # --- days -------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    @property
    def minutes_per_day(self) -> int:
        return sum(_seconds(end) - _seconds(start) for start, end in self.periods) // 60

    def _has_working_time(self) -> bool:
        return bool(self.periods) and (bool(self.weekdays) or bool(self.working_days))

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("business time needs an aware datetime")
        # Wall-clock arithmetic below: work on naive local times, give back aware ones.
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone)

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [(datetime.combine(day, start), datetime.combine(day, end)) for start, end in self.periods]

    # --- arithmetic -------------------------------------------------------------------------------

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant `minutes` working minutes after `start` (aware; in the calendar's zone)."""
        if minutes < 0:
            raise ValueError("business minutes to add must be 0 or more")
        if not self._has_working_time():
            raise NoWorkingTime("the working calendar has no working time")
        local = self._local(start)
        left = timedelta(minutes=minutes)
        day = local.date()
        for _ in range(MAX_SEARCH_DAYS + minutes // max(self.minutes_per_day, 1) * 7 // 5 + 7):
            for period_start, period_end in self._day_periods(day):
                if period_end <= local:
                    continue
                begin = max(period_start, local)
                available = period_end - begin
                if left <= available:
                    # Zero left and a start before the period: the clock starts when work does.
                    return self._aware(begin + left)
                left -= available
            day += timedelta(days=1)
        raise NoWorkingTime("no working time found within the search horizon of the working calendar")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Working minutes from `start` to `end` (whole minutes, rounded down; 0 when end <= start)."""
        if end <= start:
            return 0
        low, high = self._local(start), self._local(end)
        total = timedelta()
        day = low.date()
        while day <= high.date():
            for period_start, period_end in self._day_periods(day):
                begin, finish = max(period_start, low), min(period_end, high)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return int(total.total_seconds() // 60)

    def next_working_time(self, moment: datetime) -> datetime:
        """`moment` itself when it is working time, else the start of the next working period."""
        return self.add_minutes(moment, 0)
