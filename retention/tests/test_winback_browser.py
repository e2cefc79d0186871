"""Win-back in a real browser (headless Chromium), in Chinese and in English: mark a customer lost
with a reason, run a win-back campaign, record a purchase, and see the customer counted as won
back. The nightly jobs (segments refresh, attribution) and the background worker run in-process."""

import re
import struct
from decimal import Decimal

import pytest

from commerce.services import order_create, product_create
from core.browser import browser_login
from core.testing import PASSWORD
from retention.models import LossRecord, WinbackAttempt, WinbackCampaign, WinbackScript
from retention.services_winback import campaign_execute, winback_attribute
from retention.tests.winback_data import days_ago, paid_orders, refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, path):
    """A full-page screenshot, checked to be a real drawing: a PNG of a page's size whose compressed
    pixels are far larger than a blank page's (the chart's canvas is drawn)."""
    data = page.screenshot(path=str(path), full_page=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 400
    assert len(data) > 30_000, len(data)


def _scripts_seeded() -> None:
    """A live-server test starts from a database an earlier one flushed, without the rows the
    migrations seed: put the win-back scripts back as migration 0002 writes them."""
    from importlib import import_module

    from django.apps import apps

    if not WinbackScript.objects.exists():
        import_module("retention.migrations.0002_winback").seed_scripts(apps, None)


def test_mark_lost_win_back_and_count_as_won_back(page, live_server, make_customer, sales_a, manager_a, tmp_path):
    _scripts_seeded()
    customer = make_customer(sales_a, name="欧阳雨桐", email="ouyang@example.cn")
    paid_orders(customer, 200, 100)
    refresh()  # the nightly refresh: a repeat buyer

    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/retention/winback/customers/{customer.pk}/lost/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.select_option("select[name=reason]", "price")
    page.fill("textarea[name=note]", "对方报价低 10%")
    page.fill("input[name=competitor]", "华泰贸易")
    page.fill("input[name=marked_on]", days_ago(10).isoformat())
    page.click("form.stacked button[type=submit].primary")
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/"))
    loss = LossRecord.objects.get(customer=customer)
    assert (loss.mark.churn_reason, loss.competitor, loss.lost_on) == ("price", "华泰贸易", days_ago(10))
    page.goto("about:blank")  # nothing polls the live server while the test writes (SQLite locks)
    refresh()  # the nightly refresh records the loss

    page.goto(f"{live_server.url}/retention/winback/campaigns/new/")
    page.fill("input[name=name]", "价格流失挽回")
    page.check("input[name=reasons][value=price]")
    page.check("input[name=by_email]")
    page.click("form.stacked button[type=submit].primary")
    page.wait_for_url(re.compile(r"/retention/winback/campaigns/\d+/$"))
    assert page.locator("#progress").count() == 1  # queued: the progress box polls
    campaign = WinbackCampaign.objects.get(name="价格流失挽回")
    url = page.url
    page.goto("about:blank")  # stop the progress box's polling while the worker writes
    campaign_execute(campaign_id=campaign.pk)  # the background worker
    page.goto(url)
    assert page.locator("#attempts", has_text="欧阳雨桐").count() == 1
    assert WinbackAttempt.objects.filter(campaign=campaign, customer=customer, status="sent").count() == 2

    # The customer buys again; the nightly jobs see the win-back and credit the campaign.
    product = product_create(actor=manager_a, data={"code": "WB-1", "name": "理财A", "category": "fund",
                                                    "price": Decimal("100"), "unit_cost": Decimal("60")})
    order_create(actor=sales_a, customer_id=customer.pk, status="paid", data={}, lines=[{"product": product,
                                                                                          "quantity": 1}])
    refresh()
    assert winback_attribute() == 1

    page.goto(f"{live_server.url}/retention/winback/?days=90")
    assert page.locator("#winback-rate").inner_text() == "100.0 %"
    assert page.locator("#campaigns", has_text="价格流失挽回").count() == 1
    page.locator("#winback-rates-chart canvas").wait_for()
    _shot(page, tmp_path / "winback-zh.png")
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#winback-rate").inner_text() == "100.0 %"
    assert "1 won back of 1 attempted" in page.content()
    assert "1 in 4 lost customers won back (25 %)" in page.content()
    row = page.locator("#rates-by-reason tbody tr", has_text="Price")
    assert "100.0 %" in row.inner_text()
    page.locator("#winback-rates-chart canvas").wait_for()
    _shot(page, tmp_path / "winback-en.png")
    page.goto(f"{live_server.url}/retention/winback/campaigns/{campaign.pk}/")
    assert page.locator("#attempts .badge.ok", has_text="Won back").count() == 1  # the latest attempt
    _shot(page, tmp_path / "campaign-en.png")
    assert set(WinbackAttempt.objects.filter(outcome="won_back").values_list("won_back_on", flat=True)) == {
        days_ago(0)}
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
