"""Scheme pages: the numbers on a small fixed dataset, scoped to the viewer, in a fixed number of
queries; class members; rule scheme and manager pages' permissions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.testing import assert_query_baseline
from segmentation.manual import scheme_assign
from segmentation.models import CustomerSegment, LifecycleTransition, Scheme, SchemeClass
from segmentation.selectors import abc_pareto, lifecycle_flows, rfm_grid, scheme_get, scheme_stats
from segmentation.tests.segment_data import customers, segment, write_segments

pytestmark = pytest.mark.django_db

PROFITS = [1000, 500, 200, 100, 50, 30, 20, 0, -10, -40]
TIERS = ["A", "B", "B", "C", "C", "C", "C", "C", "C", "C"]


@pytest.fixture
def dataset(sales_a, sales_b):
    """Ten customers of team A with known profits and classes; one of team B who must never count."""
    mine = customers(sales_a, 10)
    (theirs,) = customers(sales_b, 1, name="乙队大客户")
    rows = []
    for c, profit, tier in zip(mine, PROFITS, TIERS, strict=True):
        rows.append(segment(c, profit=profit, revenue=abs(profit) * 10, abc_tier=tier, loss_making=profit < 0,
                            profit_rank=PROFITS.index(profit) + 2))
    # R/F scores for three customers: (5, 5) champions twice, (1, 1) hibernating once.
    rows[0].update(r_score=5, f_score=5, m_score=5, rfm_segment="champions", recency_days=3, frequency=9)
    rows[1].update(r_score=5, f_score=5, m_score=4, rfm_segment="champions", recency_days=5, frequency=8)
    rows[2].update(r_score=1, f_score=1, m_score=1, rfm_segment="hibernating", recency_days=300, frequency=1)
    rows.append(segment(theirs, profit=99999, revenue=999990, abc_tier="A", profit_rank=1, r_score=5, f_score=5,
                        m_score=5, rfm_segment="champions"))
    write_segments(rows)
    LifecycleTransition.objects.bulk_create([
        LifecycleTransition(customer=mine[0], on=date(2026, 3, 1), from_stage="", to_stage="first_time", cause="x"),
        LifecycleTransition(customer=mine[0], on=date(2026, 4, 1), from_stage="first_time", to_stage="repeat",
                            cause="x"),
        LifecycleTransition(customer=mine[1], on=date(2026, 4, 2), from_stage="first_time", to_stage="repeat",
                            cause="x"),
        LifecycleTransition(customer=mine[1], on=date(2025, 1, 1), from_stage="", to_stage="first_time", cause="x"),
        LifecycleTransition(customer=theirs, on=date(2026, 4, 3), from_stage="first_time", to_stage="repeat",
                            cause="x"),
    ])
    return mine, theirs


def test_abc_numbers_are_scoped_to_the_viewer(sales_a, dataset):
    stats = scheme_stats(user=sales_a, scheme=scheme_get("abc"))
    rows = {r.key: r for r in stats.rows}
    assert stats.total == 10 and stats.profit == Decimal(1850)
    assert (rows["A"].count, rows["B"].count, rows["C"].count) == (1, 2, 7)
    assert rows["A"].profit == Decimal(1000) and rows["B"].profit == Decimal(700)
    assert rows["A"].customer_share == pytest.approx(0.1)
    assert rows["A"].profit_share == pytest.approx(1000 / 1850)
    assert rows["A"].reference == (Decimal("0.05"), Decimal("0.50"))
    assert stats.extra["loss_making"] == 2 and stats.extra["loss"] == Decimal(-50)


def test_pareto_curve(sales_a, dataset):
    points = abc_pareto(user=sales_a, total=10)
    assert points[0] == (0.0, 0.0)
    assert points[1] == pytest.approx((0.1, 1000 / 1900))
    assert points[3] == pytest.approx((0.3, 1700 / 1900))
    # The whale curve peaks above the end: the loss-making customers give profit back.
    assert max(y for _x, y in points) == pytest.approx(1.0)
    assert points[-1] == pytest.approx((1.0, 1850 / 1900))


def test_rfm_grid_and_lifecycle_flows(sales_a, dataset):
    with translation.override("en"):  # labels follow the active language; earlier tests may leave another
        grid = rfm_grid(user=sales_a)
    assert grid[0][4] == {"r": 5, "f": 5, "count": 2, "segment": "champions", "label": "Champions"}
    assert grid[4][0]["count"] == 1 and grid[4][0]["segment"] == "hibernating"
    assert grid[2][3]["count"] == 0 and grid[2][3]["segment"] == "loyal"  # empty cells still coloured
    flows = lifecycle_flows(user=sales_a, start=date(2026, 1, 1), end=date(2026, 6, 30))
    stages = [k for k, _label in flows.stages]
    assert flows.total == 3
    assert flows.matrix[0][stages.index("first_time")] == 1  # first row: entering the first stage
    assert flows.matrix[1 + stages.index("first_time")][stages.index("repeat")] == 2  # not team B's


def test_manual_scheme_counts_not_set(sales_a, dataset):
    mine, _theirs = dataset
    for c in mine[:2]:
        scheme_assign(actor=sales_a, customer_id=c.pk, scheme_key="relationship_level", class_key="partner")
    stats = scheme_stats(user=sales_a, scheme=scheme_get("relationship_level"))
    rows = {r.key: r.count for r in stats.rows}
    assert rows["partner"] == 2 and rows["not_set"] == 8 and stats.total == 10


@pytest.mark.parametrize("key", ["abc", "rfm", "lifecycle", "loyalty", "relationship_level"])
def test_scheme_pages_render_in_a_fixed_number_of_queries(key, sales_a, dataset, client_for):
    client = client_for(sales_a)
    response = assert_query_baseline(f"segmentation.schemes.detail.{key}",
                                     lambda: client.get(reverse("segmentation:scheme_detail", args=[key])))
    assert response.status_code == 200
    assert "乙队大客户" not in response.content.decode()
    assert response.context["stats"].total == 10


def test_the_abc_page_shows_the_textbook_reference(sales_a, dataset, client_for):
    body = client_for(sales_a).get(reverse("segmentation:scheme_detail", args=["abc"])).content.decode()
    assert "scheme-chart-data" in body and "≈ 5%" in body and "≈ 50%" in body


def test_class_members_page(sales_a, sales_b, dataset, client_for):
    client = client_for(sales_a)
    response = assert_query_baseline("segmentation.class_members",
                                     lambda: client.get(reverse("segmentation:class_members", args=["abc", "C"])))
    assert response.status_code == 200 and len(response.context["page"].items) == 7
    assert client.get(reverse("segmentation:class_members", args=["abc", "Z"])).status_code == 404
    theirs = client_for(sales_b).get(reverse("segmentation:class_members", args=["abc", "A"]))
    assert [c.name for c in theirs.context["page"].items] == ["乙队大客户"]


def test_overview_and_unknown_scheme(sales_a, client_for):
    client = client_for(sales_a)
    assert assert_query_baseline("segmentation.overview",
                                 lambda: client.get(reverse("segmentation:overview"))).status_code == 200
    assert client.get(reverse("segmentation:scheme_detail", args=["nope"])).status_code == 404


def test_only_admins_and_managers_define_schemes_and_managers(sales_a, manager_a, client_for):
    cls = SchemeClass.objects.get(scheme__key="abc", key="A")
    client = client_for(sales_a)
    assert client.get(reverse("segmentation:rule_scheme_add")).status_code == 403
    assert client.post(reverse("segmentation:scheme_managers", args=["abc"]),
                       {f"manager-{cls.pk}": sales_a.pk}).status_code == 403
    client = client_for(manager_a)
    assert client.post(reverse("segmentation:scheme_managers", args=["abc"]),
                       {f"manager-{cls.pk}": sales_a.pk}).status_code == 302
    cls.refresh_from_db()
    assert cls.manager == sales_a


def test_rule_scheme_pages(manager_a, sales_a, dataset, client_for):
    from segmentation.saved import saved_segment_create

    seg = saved_segment_create(actor=manager_a, name="A tier", rules=[{"field": "abc_tier", "op": "eq", "value": "A"}])
    client = client_for(manager_a)
    response = client.post(reverse("segmentation:rule_scheme_add"), {
        "name": "Key accounts", "catch_all_name": "Others",
        "class-0-id": "", "class-0-order": "1", "class-0-name": "Top", "class-0-segment": str(seg.pk),
        "class-1-id": "", "class-1-order": "2", "class-1-name": "", "class-1-segment": "",
    })
    assert response.status_code == 302, response.context["form"].errors
    scheme = Scheme.objects.get(kind="rules")
    page = client.get(response["Location"])
    rows = {r.name: r.count for r in page.context["stats"].rows}
    assert rows == {"Top": 1, "Others": 9}
    assert client.get(reverse("segmentation:rule_scheme_edit", args=[scheme.key])).status_code == 200
    assert client.post(reverse("segmentation:rule_scheme_delete", args=[scheme.key])).status_code == 302
    assert not Scheme.objects.filter(kind="rules").exists()


def test_pareto_points_lie_on_the_exact_curve_of_the_viewers_customers(sales_a, sales_b):
    """More customers than points: buckets of the stored rank; each point must be exact for the
    viewer's own customers even when the ranks interleave with another team's."""
    import random

    from django.core.cache import cache

    cache.clear()
    rng = random.Random(7)
    mine, theirs = customers(sales_a, 250), customers(sales_b, 100)
    everyone = mine + theirs
    profits = {c.pk: rng.randint(-300, 5000) for c in everyone}
    order = sorted(everyone, key=lambda c: (-profits[c.pk], c.pk))
    write_segments([segment(c, profit=profits[c.pk], profit_rank=i + 1) for i, c in enumerate(order)])
    points = abc_pareto(user=sales_a, total=250)
    mine_sorted = [profits[c.pk] for c in order if c.owner_id == sales_a.pk]
    positive = sum(p for p in mine_sorted if p > 0)
    exact = {round(k / 250, 9): sum(mine_sorted[:k]) / positive for k in range(251)}
    assert len(points) > 50
    for x, y in points:
        assert y == pytest.approx(exact[round(x, 9)])
    assert points[-1][0] == pytest.approx(1.0)


def test_lifecycle_chart_is_stage_sizes_in_lifecycle_order_with_lost(sales_a, dataset, client_for):
    mine, _theirs = dataset
    stages = ["potential", "first_time", "first_time", "repeat", "lost", "lost", "lost", "loyal", "target", "target"]
    for c, stage in zip(mine, stages, strict=True):
        CustomerSegment.objects.filter(customer=c).update(lifecycle_stage=stage)
    client = client_for(sales_a)
    response = client.get(reverse("segmentation:scheme_detail", args=["lifecycle"]), HTTP_ACCEPT_LANGUAGE="en")
    chart = response.context["chart"]
    assert chart["kind"] == "lifecycle" and "funnel" not in chart
    bars = dict(zip(chart["stages"]["labels"], chart["stages"]["values"], strict=True))
    # Every stage of the scheme, as many customers as it holds (an empty one is an empty bar), lost too.
    assert bars == {"Non-customer": 0, "Potential": 1, "Target": 2, "First-time buyer": 2, "Repeat buyer": 1,
                    "Loyal": 1, "Lost": 3}
    assert list(bars) == ["Non-customer", "Potential", "Target", "First-time buyer", "Repeat buyer", "Loyal",
                          "Lost"]
    assert len(chart["stages"]["colors"]) == 7
