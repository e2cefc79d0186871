"""The holdings pages and API: the card's Wealth tab (totals, allocation chart, rows, a missing rate
told), the home page's maturities, the wealth API, the FX rates page and API (administrators write,
everyone reads), with exact query counts that do not grow with the number of holdings."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.testing import assert_query_baseline, logged_in
from customers.tests.test_api import ApiClient
from wealth.models import FxRate

pytestmark = pytest.mark.django_db
D = Decimal


def _chart(html: str) -> dict:
    start = html.index('<script id="wealth-allocation-data" type="application/json">')
    return json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])


def test_the_wealth_tab_shows_totals_allocation_and_rows(customer_a, sales_a, make_holding, make_rate):
    make_rate("USD", "CNY", "7")
    for n in range(3):
        make_holding(customer_a, product_name=f"存款{n}", amount=D("1000"))
    make_holding(customer_a, asset_class="fund", product_name="美元基金<b>", amount=D("1000"), currency="USD")
    make_holding(customer_a, asset_class="loan", product_name="房贷", amount=D("2500"))
    client = logged_in(sales_a, "en")
    url = f"/customers/{customer_a.pk}/?tab=wealth"
    response = assert_query_baseline("wealth.holdings_tab", lambda: client.get(url))
    html = response.content.decode()
    assert 'aria-selected="true">Wealth' in html
    assert "10,000.00 CNY" in html and "2,500.00 CNY" in html and "7,500.00 CNY" in html  # assets, loan, net worth
    assert "美元基金&lt;b&gt;" in html and "美元基金<b>" not in html  # escaped
    assert _chart(html)["data"] == [{"name": "Fund", "value": 7000.0}, {"name": "Deposit", "value": 3000.0}]
    assert html.count('class="holding-') == 5 and "/wealth/holdings/" in html
    # More holdings, the same queries.
    for n in range(10):
        make_holding(customer_a, product_name=f"更多{n}", amount=D("1"))
    assert_query_baseline("wealth.holdings_tab", lambda: client.get(url))


def test_a_missing_rate_is_told_on_the_tab_and_by_the_api(customer_a, sales_a, make_holding):
    make_holding(customer_a, amount=D("10"), currency="GBP")
    html = logged_in(sales_a, "en").get(f"/customers/{customer_a.pk}/?tab=wealth").content.decode()
    assert "no FX rate converts GBP into CNY" in html and "Net worth" not in html
    response = ApiClient(sales_a).get(f"/customers/{customer_a.pk}/wealth")
    assert response.status_code == 409 and "GBP" in response.json()["detail"]


def test_the_wealth_api(customer_a, customer_b, sales_a, make_holding, make_rate):
    make_rate("USD", "CNY", "7.00", date(2024, 1, 1))
    make_rate("USD", "CNY", "8.00", date(2024, 6, 1))
    make_holding(customer_a, amount=D("300"), risk_level="R1")
    make_holding(customer_a, asset_class="fund", amount=D("100"), currency="USD", risk_level="R4")
    make_holding(customer_a, asset_class="loan", amount=D("250"))
    api = ApiClient(sales_a)
    body = assert_query_baseline("wealth.api_wealth",
                                 lambda: api.get(f"/customers/{customer_a.pk}/wealth", on="2024-03-01")).json()
    assert body == {
        "customer": customer_a.pk, "currency": "CNY", "on": "2024-03-01", "masked": False,
        "assets": "1000.00", "liabilities": "250.00", "net_worth": "750.00",
        "by_class": [{"asset_class": "fund", "amount": "700.00", "share": "0.7000", "liability": False},
                     {"asset_class": "deposit", "amount": "300.00", "share": "0.3000", "liability": False},
                     {"asset_class": "loan", "amount": "250.00", "share": None, "liability": True}],
        "risk_mix": {"R1": "0.3000", "R4": "0.7000"},
    }
    assert api.get(f"/customers/{customer_a.pk}/wealth", on="2024-07-01").json()["assets"] == "1100.00"
    assert api.get(f"/customers/{customer_b.pk}/wealth").status_code == 404
    listed = assert_query_baseline("wealth.api_holdings", lambda: api.get("/holdings", customer=customer_a.pk)).json()
    assert len(listed["items"]) == 3


def test_the_home_page_lists_the_owners_maturities(customer_a, sales_a, manager_a, make_holding):
    today = timezone.localdate()
    make_holding(customer_a, product_name="到期理财", asset_class="wealth_product", amount=D("88000"),
                 matures_on=today + timedelta(days=3))
    make_holding(customer_a, product_name="远期理财", matures_on=today + timedelta(days=90))
    def panel(user):
        html = logged_in(user, "en").get("/").content.decode()
        if "panel-maturities" not in html:
            return ""
        return html.split("panel-maturities", 1)[1].split("</section>", 1)[0]

    mine = panel(sales_a)
    assert "Maturities in the next 30 days" in mine and "到期理财" in mine and "88,000.00" in mine
    assert "远期理财" not in mine
    # The manager sees the customer but does not own it: the panel is the owner's desk.
    assert "到期理财" not in panel(manager_a)


def test_fx_rates_administrators_write_everyone_reads(admin_user, sales_a, manager_a):
    admin = logged_in(admin_user, "en")
    response = admin.post("/wealth/fx-rates/", {"base": "USD", "quote": "CNY", "rate": "7.1",
                                                "valid_from": "2025-01-01"})
    assert response.status_code == 302
    rate = FxRate.objects.get()
    assert rate.rate == D("7.1") and rate.created_by == admin_user
    # The same pair and day again, and a pair of one currency: explained, nothing saved.
    again = admin.post("/wealth/fx-rates/", {"base": "USD", "quote": "CNY", "rate": "7.2", "valid_from": "2025-01-01"})
    assert again.status_code == 422 and "is recorded already" in again.content.decode()
    same = admin.post("/wealth/fx-rates/", {"base": "USD", "quote": "USD", "rate": "1", "valid_from": "2025-01-02"})
    assert same.status_code == 422 and "Choose two different currencies." in same.content.decode()
    assert FxRate.objects.count() == 1
    for user in (sales_a, manager_a):
        client = logged_in(user, "en")
        page = assert_query_baseline("wealth.fx_rates_page", lambda client=client: client.get("/wealth/fx-rates/"))
        assert "7.1" in page.content.decode() and "Add a rate" not in page.content.decode()
        assert client.post("/wealth/fx-rates/", {"base": "EUR", "quote": "CNY", "rate": "7",
                                                 "valid_from": "2025-01-01"}).status_code == 403
        assert client.post(f"/wealth/fx-rates/{rate.pk}/delete/").status_code == 403
    api = ApiClient(sales_a)
    assert api.get("/fx-rates").json()["items"][0]["rate"] == "7.10000000"
    assert api.post("/fx-rates", {"base": "EUR", "quote": "CNY", "rate": "7", "valid_from": "2025-01-01"}
                    ).status_code == 403
    created = ApiClient(admin_user).post("/fx-rates", {"base": "EUR", "quote": "CNY", "rate": "7.8",
                                                       "valid_from": "2025-01-01"})
    assert created.status_code == 201 and D(created.json()["rate"]) == D("7.8")
    admin.post(f"/wealth/fx-rates/{rate.pk}/delete/")
    assert not FxRate.objects.filter(pk=rate.pk).exists()


def test_the_holdings_export_is_scoped_and_recorded(customer_a, customer_b, sales_a, make_holding):
    from audit.models import AccessLog

    make_holding(customer_a, product_name="我的存款")
    make_holding(customer_b, actor=customer_b.owner, product_name="别人的存款")
    response = logged_in(sales_a, "en").get("/data/export/holdings/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()
    assert "我的存款" in body and "别人的存款" not in body and "1000.00" in body
    assert AccessLog.objects.filter(user=sales_a, detail__kind="holdings").exists()
