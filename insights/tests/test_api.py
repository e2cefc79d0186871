"""The insights API: a customer's scores (404 outside the caller's scope), the call list (scoped,
cursor paged, bounded queries), the latest run (diagnostics for roles that see every customer)."""

import pytest

from core.testing import assert_query_baseline
from customers.tests.test_api import ApiClient
from insights.tests.scoring_data import customers_bulk, scores_stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(sales_a, sales_b):
    a = customers_bulk(sales_a, 12, "甲")
    b = customers_bulk(sales_b, 3, "乙")
    run = scores_stored(b + a)
    return {"a": a, "b": b, "run": run}


def test_customer_scores_are_404_outside_the_scope(sales_a, sales_b, scored, make_customer):
    api = ApiClient(sales_a)
    customer = scored["a"][0]
    response = api.get(f"/customers/{customer.pk}/scores")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["customer"] == customer.pk and body["clv"] == pytest.approx(1003.0)
    assert body["as_of"] == "2026-06-30" and body["run"] == scored["run"].pk
    assert body["reason"] == "Bought every 30 days, silent for 45 days"
    assert body["next_products"][0]["name"] == "稳健理财A"
    zh = ApiClient(sales_a, language="zh-hans").get(f"/customers/{customer.pk}/scores").json()
    assert zh["reason"] == "每 30 天购买一次，已 45 天未购买"
    # Team B's customer: not found, the same answer as an id that does not exist.
    assert ApiClient(sales_b).get(f"/customers/{customer.pk}/scores").status_code == 404
    assert api.get("/customers/999999/scores").status_code == 404
    # Visible but never scored (no paid order): also 404.
    unscored = make_customer(sales_a)
    assert api.get(f"/customers/{unscored.pk}/scores").status_code == 404


def test_call_list_is_scoped_paged_and_counted(sales_a, sales_b, scored):
    api = ApiClient(sales_a)
    seen = []
    cursor = None
    for _ in range(4):
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        response = assert_query_baseline("api.call_list", lambda p=params: api.get("/call-list", **p))
        assert response.status_code == 200, response.json()
        body = response.json()
        seen += [item["customer"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [c.pk for c in scored["a"]]  # best call score first, all 12, none of team B
    only_b = ApiClient(sales_b).get("/call-list").json()
    assert sorted(item["customer"] for item in only_b["items"]) == sorted(c.pk for c in scored["b"])
    assert api.get("/call-list", cursor="forged").status_code == 400
    assert api.get("/call-list", owner=sales_b.pk).json()["items"] == []


def test_latest_run_diagnostics_follow_the_value_page(sales_a, analyst, scored):
    body = ApiClient(analyst).get("/score-runs/latest").json()
    assert body["id"] == scored["run"].pk and body["bgnbd"]["r"] == 0.24 and body["holdout"]["groups"]
    limited = ApiClient(sales_a).get("/score-runs/latest").json()
    assert limited["id"] == scored["run"].pk and limited["bgnbd"] == {} and limited["holdout"] == {}


def test_latest_run_before_any_run_is_404(sales_a):
    assert ApiClient(sales_a).get("/score-runs/latest").status_code == 404
