"""An asset review in a real browser (headless Chromium): open the customer, start a review from
the card's panel, and read both charts' options back from ECharts — the pie's classes and amounts
and one bar per review — in Chinese and in English, with a screenshot of each."""

import os
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.browser import browser_login
from core.testing import PASSWORD
from wealth.models import AssetReview, Holding
from wealth.services_reviews import review_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = """() => ["review-allocation-chart", "review-history-chart"].map(id => {
  const chart = window.echarts.getInstanceByDom(document.getElementById(id));
  return chart ? chart.getOption().series[0].data : null;
})"""


def test_start_a_review_and_read_both_charts(page, live_server, sales_a, customer_a):
    for cls, amount in (("deposit", "300000"), ("fund", "100000"), ("loan", "50000")):
        Holding.objects.create(customer=customer_a, asset_class=cls, product_name=f"{cls} 1", amount=D(amount),
                               currency="CNY", risk_level="R2" if cls != "loan" else "")
    review_start(actor=sales_a, customer_id=customer_a.pk, reviewed_on=timezone.localdate() - timedelta(days=90))
    Holding.objects.filter(asset_class="fund").update(amount=D("150000"))

    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer_a.pk}/")
    page.locator(".panel-asset-reviews button", has_text="开始回顾").click()
    page.wait_for_url(re.compile(r"/wealth/reviews/\d+/"))
    review = AssetReview.objects.order_by("-pk").first()
    page.wait_for_function("() => window.echarts && window.echarts.getInstanceByDom("
                           "document.getElementById('review-history-chart'))")
    pie, bars = page.evaluate(CHARTS)
    assert sorted((d["name"], d["value"]) for d in pie) == [("基金", 150000), ("存款", 300000)]
    assert [b["value"] for b in bars] == [400000, 450000]
    folder = os.environ.get("KEHU_SCREENSHOTS", "")
    if folder:
        page.screenshot(path=f"{folder}/review-zh-hans.png", full_page=True)
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    page.wait_for_function("() => window.echarts && window.echarts.getInstanceByDom("
                           "document.getElementById('review-allocation-chart'))")
    pie, bars = page.evaluate(CHARTS)
    assert sorted(d["name"] for d in pie) == ["Deposit", "Fund"] and len(bars) == 2
    assert "Holdings and changes since the previous review" in page.content()
    if folder:
        page.screenshot(path=f"{folder}/review-en.png", full_page=True)
    assert review.lines.count() == 3
    if folder:
        # The sheet to hand to the customer (the customer's language: Chinese by default), printed.
        page.goto(f"{live_server.url}/wealth/reviews/{review.pk}/sheet/")
        page.emulate_media(media="print")
        page.screenshot(path=f"{folder}/review-sheet-print.png", full_page=True)
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/customers/{customer_a.pk}/")
        page.locator(".panel-asset-reviews").wait_for()
        page.screenshot(path=f"{folder}/card-en.png", full_page=True)
        page.goto(f"{live_server.url}/")
        page.screenshot(path=f"{folder}/home-en.png", full_page=True)
