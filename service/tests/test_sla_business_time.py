"""Business-time arithmetic (service/business_time.py): nights, weekends, lunch, holidays, make-up
working days, exact edges, another zone's input."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.business_time import BusinessCalendar, NoWorkingTime

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")

# 2026: Jan 1–3 New Year holiday, Jan 4 (Sunday) worked; Feb 15–23 Spring Festival, Feb 14 and 28 worked.
HOLIDAYS = {date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)} | {date(2026, 2, d) for d in range(15, 24)}
MAKE_UP = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28)}

PLAIN = BusinessCalendar(zone=SH)  # Mon–Fri 09:00–18:00
LUNCH = BusinessCalendar(zone=SH, periods=((time(9), time(12)), (time(13), time(18))))
CHINA = BusinessCalendar.build(zone=SH, weekdays=range(5), periods=LUNCH.periods, days_off=HOLIDAYS, days_on=MAKE_UP)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


# 2026-03-02 is a Monday; 2026-03-06 a Friday.
@pytest.mark.parametrize(("cal", "start", "minutes", "expected"), [
    (PLAIN, sh(2026, 3, 2, 10), 60, sh(2026, 3, 2, 11)),                 # inside the day
    (PLAIN, sh(2026, 3, 2, 17), 60, sh(2026, 3, 2, 18)),                 # ends exactly at closing: stays
    (PLAIN, sh(2026, 3, 2, 17), 61, sh(2026, 3, 3, 9, 1)),               # one minute into the next morning
    (PLAIN, sh(2026, 3, 2, 17, 30), 120, sh(2026, 3, 3, 10, 30)),        # across the night
    (PLAIN, sh(2026, 3, 2, 20), 60, sh(2026, 3, 3, 10)),                 # received in the evening
    (PLAIN, sh(2026, 3, 2, 3), 60, sh(2026, 3, 2, 10)),                  # received before opening
    (PLAIN, sh(2026, 3, 2, 9), 0, sh(2026, 3, 2, 9)),                    # nothing to add at opening
    (PLAIN, sh(2026, 3, 2, 7), 0, sh(2026, 3, 2, 9)),                    # zero before opening: opening
    (PLAIN, sh(2026, 3, 2, 18), 0, sh(2026, 3, 3, 9)),                   # zero at closing: next opening
    (PLAIN, sh(2026, 3, 2, 18), 1, sh(2026, 3, 3, 9, 1)),                # exact closing edge
    (PLAIN, sh(2026, 3, 6, 17), 120, sh(2026, 3, 9, 10)),                # Friday → Monday
    (PLAIN, sh(2026, 3, 7, 12), 60, sh(2026, 3, 9, 10)),                 # received on Saturday
    (PLAIN, sh(2026, 3, 8, 23, 59), 540, sh(2026, 3, 9, 18)),            # one whole day from Sunday night
    (PLAIN, sh(2026, 3, 2, 9), 540 * 5, sh(2026, 3, 6, 18)),             # a working week
    (PLAIN, sh(2026, 3, 2, 9), 540 * 5 + 1, sh(2026, 3, 9, 9, 1)),       # …and a minute
    (PLAIN, sh(2026, 3, 2, 10, 0, 30), 60, sh(2026, 3, 2, 11, 0, 30)),   # seconds kept
    (LUNCH, sh(2026, 3, 2, 11), 120, sh(2026, 3, 2, 14)),                # across lunch
    (LUNCH, sh(2026, 3, 2, 11), 60, sh(2026, 3, 2, 12)),                 # ends at lunch: stays at 12:00
    (LUNCH, sh(2026, 3, 2, 12, 30), 30, sh(2026, 3, 2, 13, 30)),         # received at lunch
    (LUNCH, sh(2026, 3, 2, 9), 480, sh(2026, 3, 2, 18)),                 # an 8-hour day
    (CHINA, sh(2025, 12, 31, 17), 120, sh(2026, 1, 4, 10)),              # New Year: Sunday Jan 4 is worked
    (CHINA, sh(2026, 1, 1, 10), 30, sh(2026, 1, 4, 9, 30)),              # received on the holiday
    (CHINA, sh(2026, 1, 4, 17, 30), 60, sh(2026, 1, 5, 9, 30)),          # make-up day → Monday
    (CHINA, sh(2026, 2, 13, 17), 120, sh(2026, 2, 14, 10)),              # Fri → make-up Saturday Feb 14
    (CHINA, sh(2026, 2, 14, 17), 120, sh(2026, 2, 24, 10)),              # over the whole Spring Festival
    (CHINA, sh(2026, 2, 27, 17, 30), 60, sh(2026, 2, 28, 9, 30)),        # Fri → make-up Saturday Feb 28
    (CHINA, sh(2026, 3, 6, 17), 120, sh(2026, 3, 9, 10)),                # an ordinary weekend still off
])
def test_add_minutes(cal: BusinessCalendar, start: datetime, minutes: int, expected: datetime) -> None:
    got = cal.add_minutes(start, minutes)
    assert got == expected
    assert got.tzinfo is not None
    # The inverse: exactly `minutes` working minutes lie between the start and the result.
    assert cal.minutes_between(start, got) == minutes


@pytest.mark.parametrize(("cal", "start", "end", "expected"), [
    (PLAIN, sh(2026, 3, 2, 10), sh(2026, 3, 2, 10), 0),
    (PLAIN, sh(2026, 3, 2, 11), sh(2026, 3, 2, 10), 0),                  # end before start
    (PLAIN, sh(2026, 3, 2, 10), sh(2026, 3, 2, 10, 0, 59), 0),           # under a minute rounds down
    (PLAIN, sh(2026, 3, 2, 10), sh(2026, 3, 2, 10, 1, 59), 1),
    (PLAIN, sh(2026, 3, 2, 8), sh(2026, 3, 2, 20), 540),                 # the whole day, outside hours cut
    (PLAIN, sh(2026, 3, 2, 19), sh(2026, 3, 3, 8), 0),                   # the night
    (PLAIN, sh(2026, 3, 6, 18), sh(2026, 3, 9, 9), 0),                   # the weekend
    (PLAIN, sh(2026, 3, 6, 17), sh(2026, 3, 9, 10), 120),
    (PLAIN, sh(2026, 3, 2, 0), sh(2026, 3, 30, 0), 540 * 20),            # four weeks
    (LUNCH, sh(2026, 3, 2, 11, 30), sh(2026, 3, 2, 13, 30), 60),         # lunch not counted
    (LUNCH, sh(2026, 3, 2, 12), sh(2026, 3, 2, 13), 0),
    (CHINA, sh(2026, 1, 1, 0), sh(2026, 1, 4, 0), 0),                    # New Year holiday
    (CHINA, sh(2026, 1, 3, 0), sh(2026, 1, 5, 0), 480),                  # …the make-up Sunday counts
    (CHINA, sh(2026, 2, 13, 0), sh(2026, 3, 1, 0), 480 * 7),             # 13, make-up 14, 24–27, make-up 28
    (CHINA, sh(2026, 2, 16, 10), sh(2026, 2, 16, 11), 0),                # a Monday in the festival
])
def test_minutes_between(cal: BusinessCalendar, start: datetime, end: datetime, expected: int) -> None:
    assert cal.minutes_between(start, end) == expected


def test_utc_input_counts_in_the_business_zone() -> None:
    # 2026-03-02 01:00 UTC is 09:00 in Shanghai: the working day has just begun there.
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert PLAIN.add_minutes(start, 60) == sh(2026, 3, 2, 10)
    assert PLAIN.add_minutes(start, 60) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    # 2026-03-06 (Friday) 12:00 UTC is 20:00 in Shanghai: after closing, so Monday morning.
    assert PLAIN.add_minutes(datetime(2026, 3, 6, 12, tzinfo=UTC), 30) == sh(2026, 3, 9, 9, 30)
    # Sunday 23:00 UTC is Monday 07:00 in Shanghai.
    assert PLAIN.minutes_between(datetime(2026, 3, 8, 23, tzinfo=UTC), sh(2026, 3, 9, 10)) == 60


def test_another_business_zone_with_dst() -> None:
    # New York changes clocks on 2026-03-08 (Sunday 02:00): working hours stay 09:00–18:00 local.
    cal = BusinessCalendar(zone=NY)
    friday = datetime(2026, 3, 6, 17, tzinfo=NY)  # UTC-5
    got = cal.add_minutes(friday, 120)
    assert got == datetime(2026, 3, 9, 10, tzinfo=NY)  # UTC-4 by then
    assert got.astimezone(UTC) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert cal.minutes_between(friday, got) == 120


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        PLAIN.add_minutes(datetime(2026, 3, 2, 10), 10)  # noqa: DTZ001


def test_negative_minutes_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        PLAIN.add_minutes(sh(2026, 3, 2, 10), -1)


def test_calendar_without_working_time() -> None:
    with pytest.raises(NoWorkingTime):
        BusinessCalendar(zone=SH, weekdays=frozenset()).add_minutes(sh(2026, 3, 2), 10)
    # …except on its make-up days.
    only = BusinessCalendar(zone=SH, weekdays=frozenset(), working_days=frozenset({date(2026, 3, 4)}))
    assert only.add_minutes(sh(2026, 3, 2), 10) == sh(2026, 3, 4, 9, 10)
    # Every day a holiday within the horizon.
    days = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(4 * 366))
    with pytest.raises(NoWorkingTime):
        BusinessCalendar(zone=SH, holidays=days).add_minutes(sh(2026, 1, 1), 10)


def test_invalid_periods_refused() -> None:
    with pytest.raises(ValueError, match="ends before"):
        BusinessCalendar(zone=SH, periods=((time(18), time(9)),))
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(zone=SH, periods=((time(9), time(13)), (time(12), time(18))))


def test_is_working_day_and_minutes_per_day() -> None:
    assert CHINA.is_working_day(date(2026, 1, 4))       # Sunday, make-up
    assert not CHINA.is_working_day(date(2026, 1, 2))   # Friday, holiday
    assert not CHINA.is_working_day(date(2026, 3, 7))   # Saturday
    assert CHINA.is_working_day(date(2026, 3, 9))
    assert LUNCH.minutes_per_day == 480
    assert PLAIN.minutes_per_day == 540


def test_long_additions_stay_consistent() -> None:
    start = sh(2026, 1, 30, 15, 17)
    for minutes in (0, 1, 59, 480, 481, 2400, 9600, 20000):
        end = CHINA.add_minutes(start, minutes)
        assert CHINA.minutes_between(start, end) == minutes
