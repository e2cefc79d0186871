"""The Wealth tab in a real browser (headless Chromium): add a holding through the form, see the
totals, and the allocation pie drawn by ECharts with the computed data (read back from the chart)."""

from decimal import Decimal

import pytest

from core.browser import browser_login
from core.testing import PASSWORD
from wealth import services_holdings as services
from wealth.models import Holding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_holding_and_see_the_allocation_pie(page, live_server, sales_a, customer_a):
    services.holding_create(actor=sales_a, customer_id=customer_a.pk, data={
        "asset_class": "deposit", "product_name": "三年定期", "amount": Decimal("300000")})
    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer_a.pk}/?tab=wealth")
    page.click("a.button.primary[href*='/wealth/holdings/new/']")
    page.select_option("select[name=asset_class]", "fund")
    page.fill("input[name=product_name]", "沪深300指数基金")
    page.fill("input[name=amount]", "100000")
    page.click("form.cardform button[type=submit].primary")
    page.wait_for_url(f"**/customers/{customer_a.pk}/?tab=wealth")
    assert Holding.objects.filter(product_name="沪深300指数基金", amount=Decimal("100000")).exists()
    assert "400,000.00 CNY" in page.locator(".wealth-totals").inner_text()
    page.wait_for_function("() => window.echarts && echarts.getInstanceByDom(document.getElementById("
                           "'wealth-allocation-chart'))")
    data = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('wealth-allocation-chart'))"
                         ".getOption().series[0].data.map(d => [d.name, d.value])")
    assert sorted(data) == sorted([["存款", 300000], ["基金", 100000]])
    assert page.locator("#wealth-allocation-chart canvas").count() == 1
