"""ABC value tiers, boundary by boundary (docs/segmentation.md): profit = margin − costs to serve in
the window; sorted by profit desc, ties by id; A while the cumulative profit BEFORE the customer is
below 50 % of the total positive profit, B below 80 %, C after; no positive profit → C."""

from __future__ import annotations

from decimal import Decimal

import pytest

from segmentation.services import segments_refresh
from segmentation.tests.history import AS_OF, History

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def tiers(h: History, customers) -> list[str]:  # noqa: ANN001
    return [h.segment(c).abc_tier for c in customers]


@pytest.mark.parametrize(("margins", "expected"), [
    # profits 40, 30, 20, 10 (total 100): before them 0, 40, 70, 90 → A (0 < 50), A (40 < 50), B (70 < 80), C
    pytest.param(["40", "30", "20", "10"], ["A", "A", "B", "C"], id="the customer who crosses half is still A"),
    # profits 50, 30, 20: before them 0, 50 (= 50 %, not below → B), 80 (= 80 %, not below → C)
    pytest.param(["50", "30", "20"], ["A", "B", "C"], id="exactly half before is B and exactly 80 % is C"),
    # 0.10 + 0.20 = 0.30 exactly: before the third customer 0.30 of 0.60 = 50 % → B, not A by a rounding error
    pytest.param(["0.30", "0.20", "0.10"], ["A", "B", "C"], id="cents are exact"),
])
def test_tier_boundaries(h, margins, expected):
    customers = h.customers(len(margins))
    for c, margin in zip(customers, margins, strict=True):
        h.orders(c, -5, margin=margin)
    segments_refresh(as_of=AS_OF)
    assert tiers(h, customers) == expected
    assert [h.segment(c).profit_rank for c in customers] == list(range(1, len(margins) + 1))


def test_ties_in_profit_are_ordered_by_customer_id(h):
    # four customers with 25 each: before them 0, 25, 50, 75 → A, A, B, B — by ascending id
    customers = h.customers(4)
    for c in reversed(customers):  # inserted in reverse so that insertion order cannot explain the result
        h.orders(c, -5, margin="25")
    segments_refresh(as_of=AS_OF)
    assert tiers(h, customers) == ["A", "A", "B", "B"]
    assert [h.segment(c).profit_rank for c in customers] == [1, 2, 3, 4]


def test_zero_and_negative_profit_are_c_and_only_negative_is_loss_making(h):
    good, zero, loss, none = h.customers(4)
    h.orders(good, -5, margin="100")
    h.orders(zero, -5, margin="30")
    h.cost(zero, -3, "30")
    h.orders(loss, -5, margin="10")
    h.cost(loss, -3, "10.01")
    segments_refresh(as_of=AS_OF)
    assert tiers(h, [good, zero, loss, none]) == ["A", "C", "C", "C"]
    assert [h.segment(c).loss_making for c in (good, zero, loss, none)] == [False, False, True, False]
    assert h.segment(loss).profit == Decimal("-0.01")
    assert h.segment(zero).cost_to_serve == Decimal("30.00")


def test_window_is_365_days_for_margin_and_costs(h):
    inside, outside = h.customers(2)
    h.orders(inside, -364, margin="10")  # as_of − 365 < d: in
    h.orders(outside, -365, margin="10")  # d = as_of − 365: out
    h.cost(inside, -365, "4")  # out
    h.cost(inside, 0, "3")  # in (the as-of day itself)
    segments_refresh(as_of=AS_OF)
    assert h.segment(inside).profit == Decimal("7.00")
    assert h.segment(outside).profit == Decimal("0.00")
    assert h.segment(outside).abc_tier == "C"


def test_only_paid_orders_count(h):
    c = h.customer()
    h.orders(c, -5, margin="10")
    for status in ("placed", "cancelled", "refunded"):
        h.orders(c, -5, margin="1000", status=status)
    segments_refresh(as_of=AS_OF)
    assert h.segment(c).margin == Decimal("10.00")
    assert h.segment(c).frequency == 1
