"""work.conflicts: half-open overlap at every edge, all-day slots as whole days of the person's zone,
checked exhaustively against a minute-by-minute reference."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from work.conflicts import (
    Slot,
    conflicting,
    first_overlap,
    intervals_overlap,
    occupied,
    occurrences,
    slots_conflict,
    span,
)

SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
BASE = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


def at(hour: float, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(2026, 3, 2, tzinfo=zone) + timedelta(hours=hour)


def timed(start: float, end: float, zone: ZoneInfo = SHANGHAI) -> Slot:
    return Slot(starts_at=at(start, zone), ends_at=at(end, zone))


def all_day(first: date, last: date | None = None) -> Slot:
    # The stored instants do not matter for an all-day slot: the dates and the person's zone decide.
    return Slot(starts_at=BASE, ends_at=BASE + timedelta(minutes=1), all_day=True, start_date=first, end_date=last)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ((10, 11), (11, 12), False),    # touching: one ends when the other starts
    ((11, 12), (10, 11), False),    # touching, the other way round
    ((10, 12), (10.5, 11), True),   # contained
    ((10.5, 11), (10, 12), True),   # containing
    ((10, 11), (10, 11), True),     # the same slot
    ((10, 11), (10.5, 12), True),   # overlapping the end
    ((10.5, 12), (10, 11), True),   # overlapping the start
    ((10, 11), (12, 13), False),    # apart
    ((10, 10.01), (10, 10.01), True),  # one minute long each, same minute
])
def test_timed_slots(a, b, expected):
    assert slots_conflict(timed(*a), timed(*b), SHANGHAI) is expected
    assert slots_conflict(timed(*b), timed(*a), SHANGHAI) is expected  # symmetric


def test_exhaustively_against_minute_sets():
    """Every pair of slots with quarter-hour ends between 9:00 and 11:00: overlap iff they share a minute."""
    points = [9 + q / 4 for q in range(9)]
    for (s1, e1), (s2, e2) in itertools.product(itertools.combinations(points, 2), repeat=2):
        minutes_a = set(range(int(s1 * 60), int(e1 * 60)))
        minutes_b = set(range(int(s2 * 60), int(e2 * 60)))
        assert slots_conflict(timed(s1, e1), timed(s2, e2), SHANGHAI) is bool(minutes_a & minutes_b), (s1, e1, s2, e2)


def test_all_day_occupies_the_whole_day_in_the_persons_zone():
    day = date(2026, 3, 2)
    assert occupied(all_day(day), SHANGHAI) == (datetime(2026, 3, 2, tzinfo=SHANGHAI),
                                                datetime(2026, 3, 3, tzinfo=SHANGHAI))
    assert slots_conflict(all_day(day), timed(0, 0.25), SHANGHAI)        # the first minutes
    assert slots_conflict(all_day(day), timed(23.75, 24), SHANGHAI)      # the last minutes
    assert not slots_conflict(all_day(day), timed(24, 25), SHANGHAI)     # the next day touches only
    assert not slots_conflict(all_day(day), timed(-1, 0), SHANGHAI)      # the evening before touches only
    assert slots_conflict(all_day(day), timed(-1, 0.1), SHANGHAI)        # over midnight into it


def test_all_day_ranges_and_adjacent_days():
    d = date(2026, 3, 2)
    assert slots_conflict(all_day(d, d + timedelta(days=2)), all_day(d + timedelta(days=2)), SHANGHAI)
    assert not slots_conflict(all_day(d), all_day(d + timedelta(days=1)), SHANGHAI)
    assert slots_conflict(all_day(d, d + timedelta(days=2)), timed(30, 31), SHANGHAI)  # the next day's 6:00


def test_other_zone():
    """A slot written in Berlin time is the same instants: 10:00–11:00 Berlin is 17:00–18:00 Shanghai (CET)."""
    assert slots_conflict(timed(10, 11, BERLIN), timed(17.5, 18, SHANGHAI), SHANGHAI)
    assert not slots_conflict(timed(10, 11, BERLIN), timed(18, 19, SHANGHAI), SHANGHAI)  # touching across zones
    # An all-day slot follows the zone of whose calendar it is in: Berlin's 2 March ends at 07:00 on 3 March
    # in Shanghai.
    berlin_day_end = datetime(2026, 3, 3, 7, tzinfo=SHANGHAI)
    late = Slot(starts_at=berlin_day_end - timedelta(hours=1), ends_at=berlin_day_end)
    after = Slot(starts_at=berlin_day_end, ends_at=berlin_day_end + timedelta(hours=1))
    assert slots_conflict(all_day(date(2026, 3, 2)), late, BERLIN)
    assert not slots_conflict(all_day(date(2026, 3, 2)), after, BERLIN)
    assert not slots_conflict(all_day(date(2026, 3, 2)), late, SHANGHAI)  # in Shanghai that is 3 March


def test_conflicting_keys_and_utc_instants():
    mine = timed(10, 11)
    utc_slot = Slot(starts_at=datetime(2026, 3, 2, 2, 59, tzinfo=UTC), ends_at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    others = [("a", timed(9, 10)), ("b", timed(10.5, 10.75)), ("c", utc_slot)]
    assert list(conflicting(mine, others, SHANGHAI)) == ["b", "c"]  # 02:59 UTC is 10:59 in Shanghai
    assert intervals_overlap((at(1), at(2)), (at(1.5), at(3)))


# --- recurring slots --------------------------------------------------------------------------------

def weekly(start: float, end: float, until: date, zone: ZoneInfo = SHANGHAI, rule: str = "weekly") -> Slot:
    return Slot(starts_at=at(start, zone), ends_at=at(end, zone), recurrence=rule, until=until)


def test_occurrences_expand_until_the_last_day():
    slot = weekly(9, 10, date(2026, 3, 23))  # Mondays 2, 9, 16, 23 March
    starts = [s.date() for s, _e in occurrences(slot, SHANGHAI)]
    assert starts == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    daily = weekly(9, 10, date(2026, 3, 4), rule="daily")
    assert len(list(occurrences(daily, SHANGHAI))) == 3
    window = list(occurrences(slot, SHANGHAI, at(24 * 8), at(24 * 15)))  # 10–16 March
    assert [s.date() for s, _e in window] == [date(2026, 3, 16)]
    assert span(slot, SHANGHAI) == (at(9), datetime(2026, 3, 23, 10, tzinfo=SHANGHAI))


def test_recurrence_keeps_the_wall_clock_across_daylight_saving():
    """Berlin moves its clocks on 29 March 2026: the weekly 09:00 stays 09:00 local, one hour earlier in UTC."""
    slot = weekly(9, 10, date(2026, 4, 6), zone=BERLIN)
    times = [(s.astimezone(BERLIN).hour, s.astimezone(UTC).hour) for s, _e in occurrences(slot, BERLIN)]
    assert times == [(9, 8)] * 4 + [(9, 7)] * 2


def test_recurring_conflicts():
    series = weekly(10, 11, date(2026, 3, 30))
    assert slots_conflict(series, timed(24 * 14 + 10.5, 24 * 14 + 12), SHANGHAI)      # the third Monday
    assert not slots_conflict(series, timed(24 * 14 + 11, 24 * 14 + 12), SHANGHAI)    # touching it
    assert not slots_conflict(series, timed(24 * 15 + 10, 24 * 15 + 11), SHANGHAI)    # a Tuesday
    assert not slots_conflict(series, timed(24 * 35 + 10, 24 * 35 + 11), SHANGHAI)    # after the last one
    hit = first_overlap(timed(24 * 7 + 9, 24 * 21 + 9), series, SHANGHAI)            # 9 to 23 March
    assert hit == (at(24 * 7 + 10), at(24 * 7 + 11))
    # Two series: Mondays vs. a daily one starting on Wednesday that meets the second Monday.
    daily = weekly(10.5, 11.5, date(2026, 3, 10), rule="daily")
    assert slots_conflict(series, Slot(starts_at=at(24 * 2 + 10.5), ends_at=at(24 * 2 + 11.5), recurrence="daily",
                                       until=date(2026, 3, 10)), SHANGHAI)
    assert slots_conflict(daily, series, SHANGHAI)
    assert not slots_conflict(series, Slot(starts_at=at(24 * 2 + 10.5), ends_at=at(24 * 2 + 11.5),
                                           recurrence="daily", until=date(2026, 3, 8)), SHANGHAI)
    all_day_weekly = Slot(starts_at=BASE, ends_at=BASE, all_day=True, start_date=date(2026, 3, 3),
                          end_date=date(2026, 3, 3), recurrence="weekly", until=date(2026, 3, 31))
    assert slots_conflict(all_day_weekly, timed(24 * 22 + 23, 24 * 22 + 23.5), SHANGHAI)  # Tuesday 24 March
    assert not slots_conflict(all_day_weekly, timed(24 * 22 + 24, 24 * 22 + 25), SHANGHAI)


def test_recurring_exhaustively_against_expanded_pairs():
    """A weekly series against every quarter-hour slot of its third week: a conflict iff that slot
    overlaps the third occurrence."""
    series = weekly(10, 11, date(2026, 3, 30))
    points = [24 * 14 + 9 + q / 4 for q in range(13)]
    for s1, e1 in itertools.combinations(points, 2):
        expected = intervals_overlap((at(s1), at(e1)), (at(24 * 14 + 10), at(24 * 14 + 11)))
        assert slots_conflict(series, timed(s1, e1), SHANGHAI) is expected, (s1, e1)
        assert slots_conflict(timed(s1, e1), series, SHANGHAI) is expected, (s1, e1)
