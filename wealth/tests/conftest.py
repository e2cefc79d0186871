"""Fixtures of the wealth tests: holdings and FX rates made through the services."""

from datetime import date
from decimal import Decimal

import pytest

from wealth import services_holdings as services


@pytest.fixture
def make_holding(sales_a):
    def make(customer, actor=None, **data):
        data = {"asset_class": "deposit", "product_name": "定期存款", "amount": Decimal("1000.00"), "currency": "CNY",
                **data}
        return services.holding_create(actor=actor or sales_a, customer_id=customer.pk, data=data)

    return make


@pytest.fixture
def make_rate(admin_user):
    def make(base, quote, rate, valid_from=date(2024, 1, 1)):
        return services.fx_rate_create(actor=admin_user, data={"base": base, "quote": quote, "rate": Decimal(rate),
                                                               "valid_from": valid_from})

    return make
