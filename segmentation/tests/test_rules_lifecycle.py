"""Lifecycle (closeness): stages from the whole history, marks, the loyal rule's periods, lost after
365 days, won back, non-customer after 730 days lost; transitions stored with date, from, to, cause."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from segmentation.models import LifecycleTransition
from segmentation.services import lifecycle_mark, lifecycle_mark_clear, segments_refresh
from segmentation.tests.history import AS_OF, History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def stage(h: History, c) -> str:  # noqa: ANN001
    return h.segment(c).lifecycle_stage


def transitions(c) -> list[tuple]:  # noqa: ANN001
    return list(LifecycleTransition.objects.filter(customer=c).order_by("on", "id")
                .values_list("on", "from_stage", "to_stage", "cause"))


def test_stages_by_number_of_orders(h):
    none, one, two = h.customers(3)
    h.orders(one, -10)
    h.orders(two, -10, -10)  # two orders on the same day: repeat (orders, not days, count)
    segments_refresh(as_of=AS_OF)
    assert [stage(h, c) for c in (none, one, two)] == ["potential", "first_time", "repeat"]
    assert h.segment(two).orders_total == 2
    assert [h.segment(c).loyalty for c in (none, one, two)] == ["potential", "new", "old"]


def test_marks_target_and_non_customer_apply_to_customers_without_orders(h, sales_a):
    target, non, buyer = h.customers(3)
    lifecycle_mark(actor=sales_a, customer_id=target.pk, kind="target", marked_on=day(-20))
    lifecycle_mark(actor=sales_a, customer_id=non.pk, kind="non_customer", marked_on=day(-15))
    lifecycle_mark(actor=sales_a, customer_id=buyer.pk, kind="target", marked_on=day(-30))
    h.orders(buyer, -5)
    segments_refresh(as_of=AS_OF)
    assert [stage(h, c) for c in (target, non, buyer)] == ["target", "non_customer", "first_time"]
    assert transitions(target) == [(day(-20), "", "target", "marked_target")]
    assert transitions(non) == [(day(-15), "", "non_customer", "marked_non_customer")]
    assert h.segment(target).lifecycle_since == day(-20)
    # a mark dated after the as-of day does not count yet
    segments_refresh(as_of=day(-21))  # going back in time: classes recomputed, no transition recorded
    assert stage(h, target) == "potential"
    assert len(transitions(target)) == 1


@pytest.mark.parametrize(("x", "loyal"), [
    (-272, True),   # period 2 → purchases in periods 0, 1, 2
    (-363, True),   # period 3 (as_of − 364 < d ≤ as_of − 273)
    (-364, False),  # outside the four periods → only periods 0 and 1
])
def test_loyal_rule_periods_far_boundary(h, x, loyal):
    c = h.customer()
    h.orders(c, -5, -6, -100, x)
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == ("loyal" if loyal else "repeat")
    assert h.segment(c).loyalty == ("loyal" if loyal else "old")


@pytest.mark.parametrize(("x", "loyal"), [(-90, False), (-91, True)])
def test_loyal_rule_period_0_ends_at_91_days(h, x, loyal):
    # −90 is still period 0 (as_of − 91 < d), −91 is period 1
    c = h.customer()
    h.orders(c, -5, -6, -200, x)
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == ("loyal" if loyal else "repeat")


def test_loyal_needs_four_orders(h):
    c = h.customer()
    h.orders(c, -5, -100, -200)  # three periods, three orders
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == "repeat"


@pytest.mark.parametrize(("last", "expected"), [(-365, "first_time"), (-366, "lost")])
def test_lost_after_365_days_without_an_order(h, last, expected):
    c = h.customer()
    h.orders(c, last)
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == expected
    if expected == "lost":
        # lost on the 366th day after the last order (= the as-of day here)
        assert transitions(c) == [(AS_OF, "", "lost", "no_purchase")]
        assert h.segment(c).loyalty == "new"


@pytest.mark.parametrize(("last", "expected"), [(-1096, "lost"), (-1097, "non_customer")])
def test_lost_for_more_than_730_days_becomes_non_customer(h, last, expected):
    c = h.customer()
    h.orders(c, last, last)
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == expected
    lost_on = day(last + 366)
    if expected == "non_customer":
        assert transitions(c) == [(lost_on + timedelta(days=731), "", "non_customer", "lost_expired")]
        assert h.segment(c).loyalty == "potential"


def test_won_back_after_a_loss_is_repeat_with_its_history(h):
    c = h.customer()
    h.orders(c, -800)
    segments_refresh(as_of=day(-800))
    segments_refresh(as_of=day(-300))  # lost since −800 + 366 = −434
    assert stage(h, c) == "lost"
    h.orders(c, -20)  # the purchase that wins them back
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == "repeat"
    assert transitions(c) == [
        (day(-800), "", "first_time", "first_purchase"),
        (day(-434), "first_time", "lost", "no_purchase"),
        (day(-20), "lost", "repeat", "won_back"),
    ]
    assert h.segment(c).lifecycle_since == day(-20)


def test_nightly_refreshes_record_each_change_once_on_its_day(h):
    c = h.customer()
    segments_refresh(as_of=day(-30))
    h.orders(c, -29)
    segments_refresh(as_of=day(-29))
    segments_refresh(as_of=day(-29))  # idempotent: nothing new
    h.orders(c, -10)
    segments_refresh(as_of=day(-9))  # a gap of 20 days: dated by the purchase, not by the refresh
    segments_refresh(as_of=AS_OF)
    created = c.created_at.astimezone(History.zone()).date()
    first = transitions(c)[0]
    assert first[1:] == ("", "potential", "new_customer")
    assert first[0] == min(created, day(-30))
    assert transitions(c)[1:] == [
        (day(-29), "potential", "first_time", "first_purchase"),
        (day(-10), "first_time", "repeat", "second_purchase"),
    ]


def test_marked_churned_is_lost_from_the_mark_and_won_back_by_a_purchase(h, sales_a):
    c = h.customer()
    h.orders(c, -100, -90)
    lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="churned", marked_on=day(-50), churn_reason="price")
    segments_refresh(as_of=day(-40))
    assert stage(h, c) == "lost"
    assert transitions(c)[-1] == (day(-50), "", "lost", "marked_churned")
    assert h.segment(c).lifecycle_since == day(-50)
    h.orders(c, -30)
    segments_refresh(as_of=day(-30))
    assert stage(h, c) == "repeat"
    assert transitions(c)[-1] == (day(-30), "lost", "repeat", "won_back")
    # churn marked more than 730 days ago without a new order → non-customer
    other = h.customer()
    h.orders(other, -1000)
    lifecycle_mark(actor=sales_a, customer_id=other.pk, kind="churned", marked_on=day(-731), churn_reason="service")
    segments_refresh(as_of=AS_OF)
    assert stage(h, other) == "non_customer"
    assert transitions(other)[-1] == (AS_OF, "", "non_customer", "lost_expired")


def test_clearing_a_mark_returns_to_the_computed_stage(h, sales_a):
    c = h.customer()
    lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="target", marked_on=day(-20))
    segments_refresh(as_of=day(-10))
    lifecycle_mark_clear(actor=sales_a, customer_id=c.pk, cleared_on=day(-5))
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == "potential"
    assert transitions(c)[-1] == (AS_OF, "target", "potential", "mark_cleared")


def test_loyal_lapses_to_repeat(h):
    c = h.customer()
    h.orders(c, -300, -200, -100, -99)
    segments_refresh(as_of=day(-90))
    assert stage(h, c) == "loyal"
    segments_refresh(as_of=AS_OF)  # −300 is in period 3, −200 in 2, −100/−99 in 1: still loyal
    assert stage(h, c) == "loyal"
    segments_refresh(as_of=day(70))  # −300 is now outside the four periods: two periods left
    assert stage(h, c) == "repeat"
    assert transitions(c)[-1] == (day(70), "loyal", "repeat", "loyal_lapsed")


def test_a_refunded_order_takes_the_stage_back(h):
    c = h.customer()
    (order,) = h.orders(c, -10)
    segments_refresh(as_of=AS_OF)
    order.status = "refunded"
    order.save(update_fields=["status"])
    segments_refresh(as_of=AS_OF)
    assert stage(h, c) == "potential"
    assert transitions(c)[-1] == (AS_OF, "first_time", "potential", "orders_changed")


def test_an_order_counts_on_its_shanghai_day(h):
    c, late, early, edge = h.customers(4)
    h.orders(c, 0, at=time(23, 30))  # 15:30 UTC on the as-of day: counts
    h.orders(late, 1, at=time(0, 30))  # 00:30 the next day Shanghai = 16:30 UTC on the as-of day: not yet
    h.orders(early, -364, at=time(0, 30))  # 16:30 UTC on −365, but day −364 in Shanghai: in the window
    h.orders(edge, -365, at=time(23, 30))  # day −365 in Shanghai: outside the window
    segments_refresh(as_of=AS_OF)
    assert h.segment(c).frequency == 1 and h.segment(c).recency_days == 0
    assert h.segment(late).orders_total == 0
    assert h.segment(early).frequency == 1 and h.segment(early).recency_days == 364
    assert h.segment(early).first_order_on == day(-364)
    assert h.segment(edge).frequency == 0 and h.segment(edge).orders_total == 1


def test_first_refresh_finds_the_purchase_that_won_them_back(h):
    c, steady = h.customers(2)
    h.orders(c, -900, -800, -30, -20)  # a gap of 770 days: lost, then won back on −30
    h.orders(steady, -500, -300, -100)  # gaps under 365 days: never lost
    segments_refresh(as_of=AS_OF)
    assert transitions(c) == [(day(-30), "", "repeat", "won_back")]
    assert h.segment(c).lifecycle_since == day(-30)
    assert transitions(steady) == [(day(-300), "", "repeat", "second_purchase")]
