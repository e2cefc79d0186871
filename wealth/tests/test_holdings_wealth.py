"""A customer's wealth through the selector: conversion into the reporting currency with the stored
rates of the day, liabilities against net worth, a missing rate reported, deleted holdings left out."""

from datetime import date
from decimal import Decimal

import pytest

from customers.services import customer_update
from wealth import services_holdings as services
from wealth.selectors_holdings import customer_wealth, maturities_due, wealth_view
from wealth.valuation import MissingRate

D = Decimal
pytestmark = pytest.mark.django_db


def test_totals_in_the_reporting_currency_with_the_rate_of_the_day(customer_a, make_holding, make_rate):
    make_rate("USD", "CNY", "7.00", date(2024, 1, 1))
    make_rate("USD", "CNY", "7.20", date(2024, 6, 1))
    make_holding(customer_a, asset_class="deposit", amount=D("300000"), risk_level="R1")
    make_holding(customer_a, asset_class="fund", amount=D("10000"), currency="USD", risk_level="R4")
    make_holding(customer_a, asset_class="loan", product_name="房贷", amount=D("50000"))

    spring = customer_wealth(customer=customer_a, on=date(2024, 3, 1))
    assert (spring.currency, spring.assets, spring.liabilities, spring.net_worth) == (
        "CNY", D("370000.00"), D("50000.00"), D("320000.00"))
    summer = customer_wealth(customer=customer_a, on=date(2024, 7, 1))
    assert summer.assets == D("372000.00") and summer.by_class["fund"] == D("72000.00")
    assert summer.allocation["fund"] == D("72000") / D("372000")
    assert "loan" not in summer.allocation and summer.by_class["loan"] == D("50000.00")


def test_a_customer_reporting_in_another_currency_inverts_and_crosses_rates(customer_a, sales_a, make_holding,
                                                                            make_rate):
    customer_update(actor=sales_a, customer_id=customer_a.pk, data={"assets_currency": "USD"})
    customer_a.refresh_from_db()
    make_rate("USD", "CNY", "7.00")
    make_rate("CNY", "HKD", "1.10")
    make_holding(customer_a, amount=D("7000"))  # CNY → USD inverted: 1000
    make_holding(customer_a, amount=D("770"), currency="HKD")  # HKD → CNY → USD: 100
    make_holding(customer_a, asset_class="loan", amount=D("50"), currency="USD")
    summary = customer_wealth(customer=customer_a, on=date(2024, 2, 1))
    assert (summary.currency, summary.assets, summary.liabilities, summary.net_worth) == (
        "USD", D("1100.00"), D("50.00"), D("1050.00"))


def test_a_missing_rate_is_raised_never_a_silent_zero(customer_a, make_holding, make_rate):
    make_holding(customer_a, amount=D("100"))
    make_holding(customer_a, amount=D("100"), currency="EUR")
    with pytest.raises(MissingRate) as raised:
        customer_wealth(customer=customer_a)
    assert (raised.value.base, raised.value.quote) == ("EUR", "CNY")
    view = wealth_view(customer=customer_a, holdings=list(customer_a.holdings.all()))
    assert view.summary is None and view.missing.base == "EUR"
    # A rate valid only from tomorrow does not help today's totals.
    make_rate("EUR", "CNY", "7.8", date(2999, 1, 1))
    with pytest.raises(MissingRate):
        customer_wealth(customer=customer_a, on=date(2024, 1, 1))
    assert customer_wealth(customer=customer_a, on=date(2999, 1, 2)).assets == D("880.00")


def test_deleted_holdings_leave_the_totals(customer_a, sales_a, make_holding):
    kept = make_holding(customer_a, amount=D("100"))
    gone = make_holding(customer_a, amount=D("900"))
    services.holding_delete(actor=sales_a, holding_id=gone.pk)
    assert customer_wealth(customer=customer_a).assets == kept.amount


def test_no_holdings_no_wealth(customer_a):
    summary = customer_wealth(customer=customer_a)
    assert (summary.assets, summary.liabilities, summary.net_worth, summary.allocation) == (0, 0, 0, {})


def test_maturities_of_the_users_own_customers_in_the_next_30_days(customer_a, customer_b, sales_a, manager_a,
                                                                  make_holding):
    today = date(2025, 3, 1)
    soon = make_holding(customer_a, product_name="理财A", matures_on=date(2025, 3, 20))
    make_holding(customer_a, product_name="理财B", matures_on=date(2025, 4, 15))  # beyond 30 days
    make_holding(customer_a, product_name="房贷", asset_class="loan", matures_on=date(2025, 3, 5))  # a liability
    make_holding(customer_a, product_name="过期", matures_on=date(2025, 2, 27))  # past
    first = make_holding(customer_a, product_name="理财C", matures_on=date(2025, 3, 1))
    make_holding(customer_b, actor=customer_b.owner, product_name="别人的", matures_on=date(2025, 3, 10))
    assert maturities_due(user=sales_a, today=today) == [first, soon]
    # The manager sees customer_a but does not own it: the home page is the owner's desk.
    assert maturities_due(user=manager_a, today=today) == []
