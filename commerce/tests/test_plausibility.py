"""Implausible orders and products: an order dated years ahead is refused, product codes are unique
ignoring case, a unit cost above the price is saved with a warning — on the pages, in the API and
(dataio/tests/test_import_plausibility.py) in imports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from commerce import services
from commerce.models import Order, Product
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db


def test_an_order_more_than_a_day_ahead_is_refused(customer_a, sales_a, make_order):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        make_order(customer_a, ordered_at=timezone.now() + timedelta(days=365 * 3))
    assert "more than a day in the future" in exc.value.message_dict["ordered_at"][0]
    assert not Order.objects.exists()
    # A few hours ahead (another time zone, a sale booked for tomorrow morning) is fine.
    assert make_order(customer_a, ordered_at=timezone.now() + timedelta(hours=20)).pk


def test_the_order_form_and_the_api_refuse_it(client_for, customer_a, sales_a, product):
    ahead = (timezone.localtime() + timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M")
    data = {"ordered_at": ahead, "status": "placed", "channel": "", "region": "", "location": "",
            "salesperson": sales_a.pk, "currency": "CNY", "external_id": "", "note": "",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-product": product.pk, "lines-0-quantity": "1"}
    response = client_for(sales_a).post(reverse("commerce:order_add", args=[customer_a.pk]), data,
                                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "订单日期" in response.content.decode() and "年份" in response.content.decode()
    response = ApiClient(sales_a).post("/orders", {
        "customer": customer_a.pk, "ordered_at": "2099-01-01T09:00:00+08:00",
        "lines": [{"product": product.pk, "quantity": "1"}],
    })
    assert response.status_code == 400 and "more than a day in the future" in response.content.decode()
    assert not Order.objects.exists()


def test_product_codes_are_unique_ignoring_case(manager_a, make_product, client_for):
    make_product(code="MMF-A")
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        make_product(code="mmf-a")
    assert "already has the code “MMF-A”" in exc.value.message_dict["code"][0]
    assert "whatever the case" in exc.value.message_dict["code"][0]
    response = client_for(manager_a).post(reverse("commerce:product_add"), {
        "code": "Mmf-A", "name": "x", "category": "基金", "price": "1", "unit_cost": "1", "currency": "CNY",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 400) and "whatever the case" in response.content.decode()
    response = ApiClient(manager_a).post("/products", {"code": "mmf-A", "name": "x", "category": "基金",
                                                       "price": "1", "unit_cost": "1"})
    assert response.status_code == 400 and "whatever the case" in response.content.decode()
    assert Product.objects.count() == 1
    # Its own code in another case is a change of the code, not a clash.
    product = Product.objects.get()
    services.product_update(actor=manager_a, product_id=product.pk, data={"code": "mmf-a"})


def test_unit_cost_above_price_is_saved_with_a_warning(manager_a, client_for):
    client = client_for(manager_a)
    response = client.post(reverse("commerce:product_add"), {
        "code": "LOSS-1", "name": "亏本产品", "category": "基金", "price": "10", "unit_cost": "12", "currency": "CNY",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("above the list price" in m for m in shown), shown
    assert Product.objects.get().unit_cost == Decimal("12.00")
    body = ApiClient(manager_a).post("/products", {"code": "LOSS-2", "name": "x", "category": "基金",
                                                   "price": "10", "unit_cost": "12"}).json()
    assert body["warnings"] and "above the list price" in body["warnings"][0]
    body = ApiClient(manager_a).post("/products", {"code": "OK-1", "name": "x", "category": "基金",
                                                   "price": "12", "unit_cost": "10"}).json()
    assert body["warnings"] == []


def test_prices_and_costs_with_more_digits_than_stored_are_refused(manager_a, customer_a):
    # SQLite keeps a decimal as a float: more than core.decimals.SAFE_DIGITS digits cannot be read back.
    data = {"code": "BIG-1", "name": "x", "category": "基金", "price": Decimal("99999999999999.99"),
            "unit_cost": Decimal("1"), "currency": "CNY"}
    with pytest.raises(ValidationError) as exc_info:
        services.product_create(actor=manager_a, data=data)
    assert "price" in exc_info.value.message_dict
    assert services.product_create(actor=manager_a, data={**data, "price": Decimal("99999999999.9999")}).pk
    with pytest.raises(ValidationError) as exc_info:
        services.cost_create(actor=manager_a, customer_id=customer_a.pk, data={
            "kind": "service", "amount": Decimal("99999999999999.99"), "currency": "CNY",
            "incurred_on": timezone.localdate()})
    assert "amount" in exc_info.value.message_dict
