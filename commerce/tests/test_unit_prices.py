"""Unit prices and unit costs keep four decimals (a component at ¥0.0350 a piece), typed with trailing
zeros or not (9.7700 is 9.77), at every door: services, the order and product forms, the API and
imports. Amounts computed from them stay at two decimals, rounded half-up (docs/orders.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.services import token_create
from audit.models import ObjectChange
from commerce import services
from commerce.models import Order, OrderLine, Product
from core.decimals import price_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def component(manager_a):
    return services.product_create(actor=manager_a, data={
        "code": "R-10K", "name": "贴片电阻 10kΩ", "category": "元器件", "price": Decimal("0.0350"),
        "unit_cost": Decimal("0.0200"), "unit": "个"})


def _client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_services_keep_four_decimals_and_round_amounts_half_up(component, customer_a, sales_a, manager_a):
    component.refresh_from_db()
    assert (component.price, component.unit_cost) == (Decimal("0.0350"), Decimal("0.0200"))
    order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=[
        {"product": component, "quantity": Decimal("7")},  # 7 × 0.035 = 0.245 → 0.25 (half-up)
        {"product": component, "quantity": Decimal("1000"), "unit_price": Decimal("9.770000")},  # 9,770.00
    ])
    lines = list(OrderLine.objects.filter(order=order).order_by("position"))
    assert [(line.unit_price, line.revenue, line.cost) for line in lines] == [
        (Decimal("0.0350"), Decimal("0.25"), Decimal("0.14")),
        (Decimal("9.7700"), Decimal("9770.00"), Decimal("20.00")),
    ]
    order.refresh_from_db()
    assert order.revenue == Decimal("9770.25")
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            services.product_update(actor=manager_a, product_id=component.pk, data={"price": Decimal("0.03501")})
        assert "no more than 4 decimal places" in exc.value.message_dict["price"][0]


def test_an_unchanged_price_typed_otherwise_is_no_change(component, manager_a):
    services.product_update(actor=manager_a, product_id=component.pk,
                            data={"price": Decimal("0.035"), "unit_cost": Decimal("0.02000000")})
    assert not ObjectChange.objects.filter(object_type="commerce.product", action="update").exists()
    services.product_update(actor=manager_a, product_id=component.pk, data={"price": Decimal("0.0400")})
    change = ObjectChange.objects.get(object_type="commerce.product", action="update")
    assert change.changes == {"price": ["0.035", "0.04"]}


def test_order_and_product_forms_take_four_decimals(component, customer_a, sales_a, manager_a):
    answer = _client(manager_a).post(reverse("commerce:product_edit", args=[component.pk]), {
        "code": "R-10K", "name": "贴片电阻 10kΩ", "category": "元器件", "price": "0.0360", "unit_cost": "0.02",
        "currency": "CNY", "active": "on"})
    assert answer.status_code == 302, answer.context["form"].errors
    component.refresh_from_db()
    assert component.price == Decimal("0.0360")

    client = _client(sales_a)
    data = {"ordered_at": "2025-03-05T10:00", "status": "placed", "currency": "CNY",
            "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-product": str(component.pk), "lines-0-quantity": "100",
            "lines-0-unit_price": "0.0350", "lines-1-product": str(component.pk), "lines-1-quantity": "1",
            "lines-1-unit_price": "9.770000"}
    answer = client.post(reverse("commerce:order_add", args=[customer_a.pk]), data)
    assert answer.status_code == 302, answer.context["formset"].errors
    order = Order.objects.get(customer=customer_a)
    assert [line.unit_price for line in order.lines.order_by("position")] == [Decimal("0.0350"), Decimal("9.7700")]
    assert order.revenue == Decimal("13.27")

    page = client.get(reverse("commerce:order_detail", args=[order.pk])).content.decode()
    assert ">0.035<" in page and ">9.77<" in page  # not rounded to 0.04 on the page
    edit = client.get(reverse("commerce:order_edit", args=[order.pk])).content.decode()
    assert 'value="0.035"' in edit and 'step="0.0001"' in edit

    data["lines-0-unit_price"] = "0.03501"
    answer = client.post(reverse("commerce:order_add", args=[customer_a.pk]), data)
    assert answer.status_code == 400
    assert "no more than 4 decimal places" in answer.content.decode()


def test_api_takes_four_decimals_and_writes_prices_with_the_places_they_have(customer_a, sales_a, manager_a):
    def api(user):
        _, secret = token_create(user=user, name="prices")
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    client = Client()
    made = client.post("/api/v1/products", {"code": "C-1", "name": "电容", "category": "元器件", "price": "0.0350",
                                            "unit_cost": "9.7700"}, content_type="application/json", **api(manager_a))
    assert made.status_code == 201, made.json()
    assert (made.json()["price"], made.json()["unit_cost"]) == ("0.035", "9.77")
    product = Product.objects.get(code="C-1")
    order = client.post("/api/v1/orders", {"customer": customer_a.pk, "lines": [
        {"product": product.pk, "quantity": "3", "unit_price": "0.0350"},
        {"product": product.pk, "quantity": "1", "unit_price": "12.500000"},
    ]}, content_type="application/json", **api(sales_a))
    assert order.status_code == 201, order.json()
    assert [(line["unit_price"], line["revenue"]) for line in order.json()["lines"]] == [
        ("0.035", "0.11"), ("12.50", "12.50")]
    refused = client.post("/api/v1/orders", {"customer": customer_a.pk, "lines": [
        {"product": product.pk, "quantity": "1", "unit_price": "0.03501"}]},
        content_type="application/json", **api(sales_a))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "unit_price"


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("12"), "12.00"), (Decimal("9.7700"), "9.77"), (Decimal("0.0350"), "0.035"),
    (Decimal("1234.5"), "1,234.50"), (Decimal("0.0001"), "0.0001"), (None, ""),
])
def test_price_text(value, text):
    assert price_text(value) == text
