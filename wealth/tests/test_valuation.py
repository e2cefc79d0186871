from datetime import date
from decimal import Decimal

import pytest

from wealth.fx import rate_table_on
from wealth.models import FxRate
from wealth.valuation import MissingRate, Position, RateTable, summarize

D = Decimal


def test_direct_inverse_and_cross_rates():
    table = RateTable({("USD", "CNY"): D("7.2"), ("CNY", "HKD"): D("1.08")})
    assert table.convert(D("100"), "USD", "CNY") == D("720.0")
    assert table.convert(D("720"), "CNY", "USD") == D("100")
    assert table.convert(D("100"), "USD", "HKD") == D("777.600")
    with pytest.raises(MissingRate):
        table.convert(D("1"), "EUR", "CNY")


def test_liabilities_count_against_net_worth_and_not_in_allocation():
    table = RateTable({("USD", "CNY"): D("7")})
    summary = summarize(
        [
            Position("deposit", D("300"), "CNY", "R1"),
            Position("fund", D("100"), "USD", "R4"),  # 700 CNY
            Position("loan", D("250"), "CNY"),
        ],
        currency="CNY",
        rates=table,
    )
    assert (summary.assets, summary.liabilities, summary.net_worth) == (D("1000.00"), D("250.00"), D("750.00"))
    assert summary.allocation == {"deposit": D("0.3"), "fund": D("0.7")}
    assert summary.risk_mix == {"R1": D("0.3"), "R4": D("0.7")}
    assert summary.by_class["loan"] == D("250.00")


def test_empty_portfolio():
    summary = summarize([], currency="CNY", rates=RateTable({}))
    assert (summary.assets, summary.net_worth, summary.allocation) == (D("0.00"), D("0.00"), {})


@pytest.mark.django_db
def test_rate_table_takes_the_latest_rate_valid_on_the_day():
    FxRate.objects.create(base="USD", quote="CNY", rate=D("7.0"), valid_from=date(2026, 1, 1))
    FxRate.objects.create(base="USD", quote="CNY", rate=D("7.3"), valid_from=date(2026, 6, 1))
    FxRate.objects.create(base="EUR", quote="CNY", rate=D("7.9"), valid_from=date(2026, 3, 1))
    assert rate_table_on(date(2026, 5, 31)).rates == {("USD", "CNY"): D("7.0"), ("EUR", "CNY"): D("7.9")}
    assert rate_table_on(date(2026, 6, 1)).rate("USD", "CNY") == D("7.3")
    assert rate_table_on(date(2025, 12, 31)).rates == {}
