"""The card's Segments panel: each scheme's class with why, manual classes with a change link,
"not computed yet" before a refresh; lifecycle marks set from the card; fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from core.testing import assert_query_baseline
from segmentation.manual import scheme_assign
from segmentation.models import LifecycleMark
from segmentation.selectors import card_panels, customer_segments
from segmentation.tests.segment_data import segment, write_segments

pytestmark = pytest.mark.django_db


def test_panel_before_any_refresh(sales_a, customer_a, client_for):
    # The card loads its analytics panels as one fragment (customers.views, "part=panels").
    response = client_for(sales_a).get(reverse("customers:customer_detail", args=[customer_a.pk]) + "?part=panels")
    body = response.content.decode()
    assert response.status_code == 200
    assert "panel-segments" in body
    assert customer_segments(user=sales_a, customer_id=customer_a.pk)["computed"] == []


def test_panel_says_why(sales_a, analyst, customer_a, make_customer, client_for):
    others = [make_customer(sales_a) for _ in range(3)]
    write_segments([
        segment(customer_a, abc_tier="A", profit=182300, profit_rank=1, r_score=5, f_score=4, m_score=3,
                recency_days=12, frequency=7, monetary=250000, rfm_segment="loyal", lifecycle_stage="repeat",
                lifecycle_since=date(2026, 3, 2), orders_total=7, loyalty="old"),
        *[segment(c, profit=10, profit_rank=i + 2) for i, c in enumerate(others)],
    ])
    scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="relationship_level", class_key="partner",
                  note="年度框架协议")
    with translation.override("en"):
        data = assert_query_baseline("segmentation.card_panel",
                                     lambda: customer_segments(user=sales_a, customer_id=customer_a.pk))
    by_scheme = {r["scheme"]: r for r in data["computed"] + data["others"]}
    assert by_scheme["abc"]["why"] == "A: profit CNY 182,300, top 25%"
    assert by_scheme["rfm"]["why"].startswith("RFM 5-4-3:") and by_scheme["rfm"]["action"]
    assert by_scheme["lifecycle"]["why"].startswith("Repeat buyer since 2026-03-02")
    assert by_scheme["relationship_level"]["class_name"] == "Partner"
    assert by_scheme["relationship_level"]["change_url"]
    assert by_scheme["purchase_relationship"]["class_name"] == "Not set"
    assert "org_relationship_class" not in by_scheme  # a person: organisations only
    # The analyst sees but may not change: no change links.
    seen = customer_segments(user=analyst, customer_id=customer_a.pk)
    assert not any(r["change_url"] for r in seen["others"]) and not seen["mark_url"]
    panels = reverse("customers:customer_detail", args=[customer_a.pk]) + "?part=panels"
    assert "年度框架协议" in client_for(sales_a).get(panels).content.decode()


def test_no_panel_for_a_customer_out_of_scope(sales_b, customer_a):
    assert card_panels(sales_b, customer_a.pk) == []


def test_manual_class_page(sales_a, sales_b, customer_a, client_for):
    url = reverse("segmentation:customer_scheme", args=[customer_a.pk, "relationship_level"])
    client = client_for(sales_a)
    assert client.get(url).status_code == 200
    response = client.post(url, {"class_key": "preferred", "note": "优先供应商"})
    assert response.status_code == 302
    assert client.post(url, {"class_key": "nope"}).status_code == 200  # the form shows the error
    page = client.get(url)
    assert [a.scheme_class.key for a, _name in page.context["history"]] == ["preferred"]
    assert client_for(sales_b).get(url).status_code == 404
    org_only = reverse("segmentation:customer_scheme", args=[customer_a.pk, "org_relationship_class"])
    assert client_for(sales_a).get(org_only).status_code == 404


def test_lifecycle_mark_from_the_card(sales_a, service_a, analyst, customer_a, client_for):
    url = reverse("segmentation:customer_lifecycle", args=[customer_a.pk])
    client = client_for(sales_a)
    missing_reason = client.post(url, {"kind": "churned", "marked_on": "2026-01-05", "churn_reason": ""})
    assert missing_reason.status_code == 200 and missing_reason.context["form"].errors
    assert client.post(url, {"kind": "churned", "marked_on": "2026-01-05", "churn_reason": "price"}).status_code == 302
    mark = LifecycleMark.objects.get()
    assert (mark.kind, mark.churn_reason, mark.marked_by) == ("churned", "price", sales_a)
    assert client.post(url, {"kind": "clear", "marked_on": "2026-01-06"}).status_code == 302
    mark.refresh_from_db()
    assert mark.cleared_on == date(2026, 1, 6)
    assert client_for(analyst).post(url, {"kind": "target", "marked_on": "2026-01-07"}).status_code == 403
