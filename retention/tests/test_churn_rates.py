"""Churn-rate arithmetic and the cohort table on a hand-built history (churn window 365 days):

- A: bought 2024-01-10 and 2024-03-15, never again → lost 2025-03-16 (the 366th day after the last purchase).
- B: bought 2024-02-01, then 2025-02-10 → lost 2025-02-01, won back 2025-02-10: lost and back in one month
  (and bought again 2025-12-01).
- C: bought 2023-01-05 and 2024-03-01 → lost 2024-01-06, won back 2024-03-01; marked churned (price) 2024-06-01
  → lost a second time.
- D: bought every month from 2023-06 to 2026-06: never lost.
- E: first purchase 2025-04-02, marked churned 2025-04-20 → lost in the month they became active.
"""

from __future__ import annotations

from datetime import date

import pytest

from retention.models import ChurnEvent
from retention.selectors_churn import churn_breakdown, churn_rates, churn_scope, cohort_fits, cohort_table
from retention.services_churn import churn_refresh
from segmentation.services import lifecycle_mark
from segmentation.tests.history import History

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 30)


def month(year: int, m: int) -> int:
    return year * 12 + m - 1


@pytest.fixture
def world(sales_a):  # noqa: ANN001
    h = History(sales_a)
    a, b, c, d, e = h.customers(5)
    h.orders(a, date(2024, 1, 10), date(2024, 3, 15), margin="30")
    h.orders(b, date(2024, 2, 1), date(2025, 2, 10), date(2025, 12, 1))
    h.orders(c, date(2023, 1, 5), date(2024, 3, 1))
    h.orders(d, *[date(2023 + (m // 12), m % 12 + 1, 15) for m in range(5, 42)])
    h.orders(e, date(2025, 4, 2))
    lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="churned", marked_on=date(2024, 6, 1), churn_reason="price")
    lifecycle_mark(actor=sales_a, customer_id=e.pk, kind="churned", marked_on=date(2025, 4, 20),
                   churn_reason="service")
    churn_refresh(as_of=AS_OF)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def _by_label(figures):  # noqa: ANN001, ANN202
    return {f.label: f for f in figures}


def test_losses_are_the_lifecycle_rule(world):
    events = {(e.customer_id, e.lost_on): e for e in ChurnEvent.objects.all()}
    a, b, c, e = world["a"], world["b"], world["c"], world["e"]
    assert set(events) == {(a.pk, date(2025, 3, 16)), (b.pk, date(2025, 2, 1)), (c.pk, date(2024, 1, 6)),
                           (c.pk, date(2024, 6, 1)), (e.pk, date(2025, 4, 20))}
    assert events[(b.pk, date(2025, 2, 1))].returned_on == date(2025, 2, 10)
    assert events[(c.pk, date(2024, 1, 6))].returned_on == date(2024, 3, 1)
    marked = events[(c.pk, date(2024, 6, 1))]
    assert marked.marked and marked.reason == "price" and marked.returned_on is None
    assert events[(c.pk, date(2024, 1, 6))].reason == "" and not events[(c.pk, date(2024, 1, 6))].marked
    assert events[(a.pk, date(2025, 3, 16))].stage_before == "repeat"
    assert events[(e.pk, date(2025, 4, 20))].stage_before == "first_time"
    # The margin of the twelve months up to the last purchase: both of A's orders.
    assert events[(a.pk, date(2025, 3, 16))].margin_12m == 60


def test_monthly_rates(world, admin_user):
    months = _by_label(churn_rates(scope=churn_scope(admin_user), period="month"))
    # January 2024: C and D active at the start (A first bought during the month); C lost.
    assert (months["2024-01"].active_start, months["2024-01"].lost, months["2024-01"].rate) == (2, 1, 0.5)
    # June 2024: A, B, C (back since March) and D active; C lost the second time — a customer lost twice counts
    # once in each period in which a loss happened.
    assert (months["2024-06"].active_start, months["2024-06"].lost_counted) == (4, 1)
    # February 2025: A, B, D active; B lost and won back within the month: counted as lost, and shown as returned.
    feb = months["2025-02"]
    assert (feb.active_start, feb.lost, feb.lost_counted, feb.returned_same) == (3, 1, 1, 1)
    assert feb.rate == pytest.approx(1 / 3)
    # March 2025: B is active again (won back in February), so A, B, D; A lost.
    assert (months["2025-03"].active_start, months["2025-03"].lost) == (3, 1)
    # April 2025: E became active and was lost in the month: a loss, but not in the rate.
    apr = months["2025-04"]
    assert (apr.active_start, apr.lost, apr.lost_counted, apr.rate) == (2, 1, 0, 0.0)
    assert months["2025-05"].active_start == 2  # B and D


def test_quarterly_rates(world, admin_user):
    quarters = _by_label(churn_rates(scope=churn_scope(admin_user), period="quarter"))
    q1 = quarters["2025 Q1"]
    assert (q1.active_start, q1.lost, q1.lost_counted, q1.returned_same) == (3, 2, 2, 1)
    assert q1.rate == pytest.approx(2 / 3)
    q1_2024 = quarters["2024 Q1"]
    assert (q1_2024.active_start, q1_2024.lost, q1_2024.returned_same) == (2, 1, 1)
    q2 = quarters["2025 Q2"]  # E joined and left inside the quarter
    assert (q2.active_start, q2.lost, q2.lost_counted) == (2, 1, 0)


def test_breakdown_by_reason_and_owner(world, admin_user, sales_a):
    scope = churn_scope(admin_user)
    by_reason, at = churn_breakdown(scope=scope, period="month", dimension="reason", at=month(2024, 6))
    assert at == month(2024, 6)
    assert [(r["key"], r["figures"].lost) for r in by_reason.rows] == [("price", 1)]
    by_reason, _at = churn_breakdown(scope=scope, period="quarter", dimension="reason", at=month(2025, 0 + 1))
    assert {r["key"]: r["figures"].lost for r in by_reason.rows} == {"": 2}
    assert not by_reason.with_rate
    by_owner, _at = churn_breakdown(scope=scope, period="month", dimension="owner", at=month(2025, 2))
    assert [(r["key"], r["figures"].rate) for r in by_owner.rows] == [(str(sales_a.pk), pytest.approx(1 / 3))]


def test_scoped_viewers_see_their_team_only(world, sales_a, sales_b):
    mine = _by_label(churn_rates(scope=churn_scope(sales_a), period="month"))
    assert mine["2025-02"].lost == 1
    assert churn_rates(scope=churn_scope(sales_b), period="month") == []
    counted, _at = churn_breakdown(scope=churn_scope(sales_b), period="month", dimension="reason",
                                   at=month(2024, 6))
    assert counted.rows == []


def test_cohort_table(world):
    rows = {r.label: r for r in cohort_table(months=48)}
    a_cohort = rows["2024-01"]  # A only
    assert a_cohort.size == 1
    assert a_cohort.active[13] == 1.0 and a_cohort.active[14] == 0.0  # end of Feb 2025 / end of Mar 2025
    c_cohort = rows["2023-01"]  # C: lost in Jan 2024, back in Mar 2024, lost in Jun 2024
    assert c_cohort.active[11] == 1.0 and c_cohort.active[12] == 0.0 and c_cohort.active[14] == 1.0
    assert c_cohort.active[16] == 1.0 and c_cohort.active[17] == 0.0
    # Only ended months: the refresh is as of June 2026, so the last column of the 2026-05 cohort is May.
    assert "2026-06" not in rows
    assert len(rows["2023-06"].active) == 36  # June 2023 … May 2026


def test_cohort_fits_say_when_too_young(world):
    fits = {f.year: f for f in cohort_fits()}
    assert fits[2023].never_lost == [2, 1, 1] and fits[2023].fit is None  # C lost within a year; 2 whole years
    assert "too young" in fits[2023].note
    assert fits[2024].never_lost == [2, 1]  # B lost in its 12th month after the first; A only in its 14th
    assert fits[2025].never_lost == [1]  # E: no whole year yet


def test_refresh_is_idempotent_and_keeps_what_it_recorded(world, admin_user):
    first = list(ChurnEvent.objects.order_by("customer_id", "lost_on").values())
    ChurnEvent.objects.filter(customer=world["a"]).update(abc_before="A")  # recorded at an earlier refresh
    churn_refresh(as_of=AS_OF)
    again = list(ChurnEvent.objects.order_by("customer_id", "lost_on").values("customer_id", "lost_on", "abc_before"))
    assert len(again) == len(first)
    assert next(r for r in again if r["customer_id"] == world["a"].pk)["abc_before"] == "A"
