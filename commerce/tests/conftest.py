"""Fixtures of the commerce tests: a small catalogue made through the services."""

from decimal import Decimal

import pytest

from commerce import services


@pytest.fixture
def make_product(manager_a):
    seq = iter(range(1, 10_000))

    def make(price: str = "100.00", unit_cost: str = "60.00", **data):
        n = next(seq)
        data = {"code": f"P{n:04d}", "name": f"产品{n}", "category": "基金", "price": Decimal(price),
                "unit_cost": Decimal(unit_cost), **data}
        return services.product_create(actor=manager_a, data=data)

    return make


@pytest.fixture
def product(make_product):
    return make_product(price="19.99", unit_cost="7.35", name="货币基金A", code="MMF-A")


@pytest.fixture
def make_order(sales_a, product):
    def make(customer, actor=None, lines=None, **data):
        return services.order_create(
            actor=actor or sales_a, customer_id=customer.pk, data=data,
            lines=lines or [{"product": product, "quantity": Decimal("2")}],
            status=data.pop("status", "placed") if "status" in data else "placed",
        )

    return make
