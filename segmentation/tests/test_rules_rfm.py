"""RFM: over the customers with an order in the window, rank r = 1 + customers strictly worse,
score = 1 + floor(5·(r−1)/n), ties share a score; the named segment from the R×F grid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from segmentation.services import segments_refresh
from segmentation.tests.history import AS_OF, History

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def scores(h: History, customers, attr: str) -> list[int | None]:  # noqa: ANN001
    return [getattr(h.segment(c), attr) for c in customers]


@pytest.mark.parametrize(("n", "expected"), [
    (1, [1]),
    (2, [1, 3]),
    (5, [1, 2, 3, 4, 5]),
    (7, [1, 1, 2, 3, 3, 4, 5]),  # 1 + floor(5·(r−1)/7) for r = 1 … 7
])
def test_score_formula(h, n, expected):
    customers = h.customers(n)
    for i, c in enumerate(customers):
        # customer i: worst to best in every measure (recency n−i days, i+1 orders, revenue rising)
        h.orders(c, -(n - i) * 10, *[-1 - (n - i) * 10] * i, revenue=str(100 * (i + 1)))
    segments_refresh(as_of=AS_OF)
    assert scores(h, customers, "r_score") == expected
    assert scores(h, customers, "f_score") == expected
    # M: customer i has i+1 orders of 100·(i+1) each, still rising
    assert scores(h, customers, "m_score") == expected


def test_ties_share_a_score(h):
    customers = h.customers(5)
    # recency 30, 10, 10, 10, 5 days: the three at 10 days have 1 worse customer → r = 2 → score 2
    for c, days in zip(customers, [30, 10, 10, 10, 5], strict=True):
        h.orders(c, -days)
    segments_refresh(as_of=AS_OF)
    assert scores(h, customers, "r_score") == [1, 2, 2, 2, 5]
    assert scores(h, customers, "recency_days") == [30, 10, 10, 10, 5]
    # everyone one order of 100: all tie, r = 1 → score 1
    assert scores(h, customers, "f_score") == [1] * 5
    assert scores(h, customers, "m_score") == [1] * 5


def test_customers_without_an_order_in_the_window_have_no_scores(h):
    recent, old, never = h.customers(3)
    h.orders(recent, -3)
    h.orders(old, -365)
    segments_refresh(as_of=AS_OF)
    assert h.segment(recent).rfm_segment != "no_recent_purchase"
    for c in (old, never):
        s = h.segment(c)
        assert (s.rfm_segment, s.r_score, s.f_score, s.m_score, s.recency_days) == (
            "no_recent_purchase", None, None, None, None)
    # one customer in the population: n = 1 → scores 1, R1 F1 → hibernating
    assert (h.segment(recent).r_score, h.segment(recent).rfm_segment) == (1, "hibernating")
    assert h.segment(recent).monetary == Decimal("100.00")


# The grid of the issue, written out cell by cell: GRID[r][f].
GRID = {
    1: {1: "hibernating", 2: "hibernating", 3: "at_risk", 4: "at_risk", 5: "cant_lose"},
    2: {1: "hibernating", 2: "hibernating", 3: "at_risk", 4: "at_risk", 5: "cant_lose"},
    3: {1: "about_to_sleep", 2: "about_to_sleep", 3: "need_attention", 4: "loyal", 5: "loyal"},
    4: {1: "promising", 2: "potential_loyalist", 3: "potential_loyalist", 4: "loyal", 5: "loyal"},
    5: {1: "new", 2: "potential_loyalist", 3: "potential_loyalist", 4: "champions", 5: "champions"},
}


def test_every_cell_of_the_grid(h):
    # 25 customers, five per recency value and five per order count: with n = 25 each group of
    # five ties, the g-th group from the worst has 5·g worse customers → score g + 1.
    customers = h.customers(25)
    cell = {}
    for index, c in enumerate(customers):
        r, f = index // 5 + 1, index % 5 + 1
        last = -(60 - 10 * r)  # R1: 50 days … R5: 10 days
        h.orders(c, last, *[last - 1] * (f - 1))  # f orders, the latest `last` days ago
        cell[c.pk] = (r, f)
    segments_refresh(as_of=AS_OF)
    for c in customers:
        s = h.segment(c)
        r, f = cell[c.pk]
        assert (s.r_score, s.f_score) == (r, f)
        assert s.rfm_segment == GRID[r][f], (r, f)
