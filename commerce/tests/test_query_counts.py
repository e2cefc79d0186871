"""Exact query counts (query_counts.json, core.testing.assert_query_baseline) of the commerce pages
and API lists not measured elsewhere: each is measured with a few rows and with many, under one
name, so that a query per row fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from commerce import services
from commerce.models import CustomerCost, Product
from core.testing import assert_query_baseline
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db


def test_product_list_page(client_for, sales_a, make_product):
    client = client_for(sales_a)
    for total in (2, 25):
        while Product.objects.count() < total:
            make_product()
        response = assert_query_baseline("commerce.products.list", lambda: client.get(reverse("commerce:product_list")))
        assert response.status_code == 200 and len(response.context["page"].items) == total


def test_product_api_list_and_read(sales_a, make_product):
    api = ApiClient(sales_a)
    for total in (2, 25):
        while Product.objects.count() < total:
            product = make_product()
        body = assert_query_baseline("api.products.list", lambda: api.get("/products", limit=100)).json()
        assert len(body["items"]) == total
    response = assert_query_baseline("api.products.detail", lambda: api.get(f"/products/{product.pk}"))
    assert response.status_code == 200


def test_order_api_read(customer_a, sales_a, make_product):
    api = ApiClient(sales_a)
    for n in (1, 12):
        lines = [{"product": make_product(), "quantity": Decimal("1")} for _ in range(n)]
        order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=lines)
        body = assert_query_baseline("api.orders.detail", lambda o=order: api.get(f"/orders/{o.pk}")).json()
        assert len(body["lines"]) == n


def test_cost_api_list_and_read(customer_a, sales_a):
    api = ApiClient(sales_a)
    for total in (2, 25):
        while CustomerCost.objects.count() < total:
            cost = services.cost_create(actor=sales_a, customer_id=customer_a.pk,
                                        data={"kind": "service", "amount": Decimal("8.80")})
        body = assert_query_baseline("api.costs.list", lambda: api.get("/costs", limit=100)).json()
        assert len(body["items"]) == total
        body = assert_query_baseline("api.costs.list.customer",
                                     lambda: api.get("/costs", customer=customer_a.pk, limit=100)).json()
        assert len(body["items"]) == total
    assert assert_query_baseline("api.costs.detail", lambda: api.get(f"/costs/{cost.pk}")).status_code == 200
