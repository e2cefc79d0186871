"""The commerce API: products (catalogue permissions), orders with lines (amounts computed,
scoping 404, audit source "api"), status changes, costs, cursor pages and query counts."""


import pytest

from audit.models import ObjectChange
from commerce.models import CustomerCost, Order
from core.testing import assert_query_baseline
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db


def test_order_crud_through_the_api(customer_a, sales_a, product):
    api = ApiClient(sales_a)
    response = api.post("/orders", {
        "customer": customer_a.pk, "channel": "online", "region": "华北", "ordered_at": "2026-02-03T09:00:00+08:00",
        "lines": [{"product": product.pk, "quantity": "3", "discount": "0.15"},
                  {"product": product.pk, "quantity": "1", "unit_price": "25.00"}],
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["revenue"], body["cost"], body["margin"]) == ("75.97", "29.40", "46.57")
    assert [line["product_code"] for line in body["lines"]] == ["MMF-A", "MMF-A"]
    assert body["status"] == "placed" and body["customer"] == customer_a.pk and body["salesperson"] == sales_a.pk
    order_id = body["id"]
    assert ObjectChange.objects.get(object_type="commerce.order", action="create").source == "api"

    response = api.patch(f"/orders/{order_id}", {"note": "加急", "lines": [{"product": product.pk, "quantity": 2}]})
    assert response.status_code == 200 and response.json()["revenue"] == "39.98"
    response = api.post(f"/orders/{order_id}/status", {"status": "paid"})
    assert response.json()["status"] == "paid"
    response = api.post(f"/orders/{order_id}/status", {"status": "placed"})
    assert response.status_code == 400
    response = api.patch(f"/orders/{order_id}", {"lines": [{"product": product.pk, "quantity": 9}]})
    assert response.status_code == 400 and response.json()["detail"][0]["loc"] == ["body", "lines"]
    assert api.delete(f"/orders/{order_id}").status_code == 403  # sales may not delete


def test_revenue_cannot_be_set_and_bad_lines_are_422(customer_a, sales_a, product):
    api = ApiClient(sales_a)
    response = api.post("/orders", {"customer": customer_a.pk, "revenue": "1000000",
                                    "lines": [{"product": product.pk, "quantity": 1}]})
    assert response.status_code == 422
    response = api.post("/orders", {"customer": customer_a.pk, "lines": []})
    assert response.status_code == 422
    response = api.post("/orders", {"customer": customer_a.pk, "lines": [{"product": 999999, "quantity": 1}]})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_team_b_gets_404_for_team_a_orders_and_cannot_create_them(customer_a, sales_b, make_order, product):
    order = make_order(customer_a)
    api = ApiClient(sales_b)
    assert api.get(f"/orders/{order.pk}").status_code == 404
    assert api.patch(f"/orders/{order.pk}", {"note": "x"}).status_code == 404
    assert api.post(f"/orders/{order.pk}/status", {"status": "paid"}).status_code == 404
    assert api.get("/orders").json()["items"] == []
    response = api.post("/orders", {"customer": customer_a.pk, "lines": [{"product": product.pk, "quantity": 1}]})
    assert response.status_code == 400 and response.json()["detail"][0]["loc"] == ["body", "customer"]
    response = api.post("/costs", {"customer": customer_a.pk, "kind": "service", "amount": "1.00"})
    assert response.status_code == 400
    assert Order.objects.count() == 1 and not CustomerCost.objects.exists()


def test_order_list_pages_filters_and_query_count(customer_a, sales_a, make_order):
    for i in range(25):
        make_order(customer_a, channel="online" if i % 5 == 0 else "branch")
    api = ApiClient(sales_a)
    seen = []
    cursor = None
    while True:
        # Every page, the first and those after a cursor, in the same queries.
        body = assert_query_baseline(
            "api.orders.list", lambda c=cursor: api.get("/orders", limit=10, **({"cursor": c} if c else {}))).json()
        seen += [o["id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 25 == len(set(seen))
    assert len(api.get("/orders", channel="online").json()["items"]) == 5
    assert api.get("/orders", cursor="forged").status_code == 400


def test_products_through_the_api(sales_a, manager_a, product):
    assert [p["code"] for p in ApiClient(sales_a).get("/products").json()["items"]] == ["MMF-A"]
    assert ApiClient(sales_a).post("/products", {"code": "X1", "name": "X", "category": "基金", "price": "1",
                                                 "unit_cost": "1"}).status_code == 403
    api = ApiClient(manager_a)
    response = api.post("/products", {"code": "BOND-3Y", "name": "三年期国债", "category": "债券", "price": "100.00",
                                      "unit_cost": "99.20", "unit": "份"})
    assert response.status_code == 201 and response.json()["price"] == "100.00"
    assert api.patch(f"/products/{product.pk}", {"active": False}).json()["active"] is False
    assert api.delete(f"/products/{product.pk}").status_code == 204
    assert api.get(f"/products/{product.pk}").status_code == 404


def test_costs_through_the_api(customer_a, sales_a, make_order):
    order = make_order(customer_a)
    api = ApiClient(sales_a)
    response = api.post("/costs", {"customer": customer_a.pk, "kind": "bad_debt", "amount": "500.00",
                                   "incurred_on": "2026-01-15", "order": order.pk})
    assert response.status_code == 201 and response.json()["order"] == order.pk
    cost_id = response.json()["id"]
    assert api.patch(f"/costs/{cost_id}", {"amount": "450.00"}).json()["amount"] == "450.00"
    assert [c["id"] for c in api.get("/costs", customer=customer_a.pk).json()["items"]] == [cost_id]
    assert api.delete(f"/costs/{cost_id}").status_code == 204
    change = ObjectChange.objects.filter(object_type="commerce.customercost", action="update").get()
    assert change.changes == {"amount": ["500.00", "450.00"]} and change.source == "api"
