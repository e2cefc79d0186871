"""The usual recurrence rules (work.recurrence): pure functions of dates."""

from datetime import date

import pytest

from work.recurrence import DAILY, MONTHLY, NONE, WEEKLY, Rule, add_months, next_occurrence, occurrences_between


def series(start: date, rule: Rule, n: int) -> list[date]:
    days, current, number = [start], start, 1
    while len(days) < n:
        current = next_occurrence(current, rule, occurrence=number, anchor_day=start.day)
        if current is None:
            break
        days.append(current)
        number += 1
    return days


def test_no_repeat_has_no_next():
    assert next_occurrence(date(2026, 3, 1), Rule(NONE)) is None


def test_daily_and_weekly_with_interval():
    assert series(date(2026, 12, 30), Rule(DAILY, interval=2), 3) == [date(2026, 12, 30), date(2027, 1, 1),
                                                                       date(2027, 1, 3)]
    assert series(date(2026, 2, 24), Rule(WEEKLY), 3) == [date(2026, 2, 24), date(2026, 3, 3), date(2026, 3, 10)]
    assert series(date(2026, 1, 1), Rule(WEEKLY, interval=3), 2) == [date(2026, 1, 1), date(2026, 1, 22)]


def test_monthly_on_the_31st_falls_back_to_shorter_months_and_returns():
    assert series(date(2026, 1, 31), Rule(MONTHLY), 5) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def test_monthly_in_a_leap_year_and_across_the_year_end():
    assert series(date(2027, 12, 31), Rule(MONTHLY, interval=2), 3) == [
        date(2027, 12, 31), date(2028, 2, 29), date(2028, 4, 30)]
    assert series(date(2028, 2, 29), Rule(MONTHLY, interval=12), 3) == [
        date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28)]
    assert add_months(date(2028, 2, 29), 48) == date(2032, 2, 29)


def test_monthly_on_the_29th_keeps_its_day_after_february():
    assert series(date(2026, 1, 29), Rule(MONTHLY), 3) == [date(2026, 1, 29), date(2026, 2, 28), date(2026, 3, 29)]


def test_count_counts_every_occurrence_including_the_first():
    assert series(date(2026, 5, 1), Rule(DAILY, count=3), 10) == [date(2026, 5, 1), date(2026, 5, 2),
                                                                   date(2026, 5, 3)]
    assert next_occurrence(date(2026, 5, 1), Rule(DAILY, count=1)) is None


def test_until_is_the_last_day_allowed_inclusive():
    rule = Rule(WEEKLY, until=date(2026, 5, 15))
    assert series(date(2026, 5, 1), rule, 10) == [date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 15)]
    assert series(date(2026, 5, 1), Rule(WEEKLY, until=date(2026, 5, 14)), 10)[-1] == date(2026, 5, 8)


def test_count_and_until_whichever_ends_first():
    assert len(series(date(2026, 5, 1), Rule(DAILY, count=10, until=date(2026, 5, 4)), 20)) == 4
    assert len(series(date(2026, 5, 1), Rule(DAILY, count=2, until=date(2026, 5, 4)), 20)) == 2


def test_expansion_in_a_range_numbers_the_occurrences():
    rule = Rule(MONTHLY, count=6)
    got = list(occurrences_between(date(2026, 1, 31), rule, date(2026, 2, 1), date(2026, 4, 30), anchor_day=31))
    assert got == [(2, date(2026, 2, 28)), (3, date(2026, 3, 31)), (4, date(2026, 4, 30))]
    # A series continued from its 5th occurrence ends after the 6th.
    assert list(occurrences_between(date(2026, 5, 31), rule, date(2026, 1, 1), date(2027, 1, 1), occurrence=5,
                                    anchor_day=31)) == [(5, date(2026, 5, 31)), (6, date(2026, 6, 30))]
    assert list(occurrences_between(date(2026, 1, 1), Rule(NONE), date(2026, 1, 2), date(2026, 2, 1))) == []


@pytest.mark.parametrize("bad", [{"frequency": "yearly"}, {"frequency": DAILY, "interval": 0},
                                 {"frequency": DAILY, "count": 0}])
def test_rule_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        Rule(**bad)
