"""Service agreements in a real browser (headless Chromium): the owner adds one from the customer's
card with an SLA it grants, sees it flagged as expiring on the card and in the list, in Chinese and
in English, and the SLA it grants is what service.sla counts with."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.browser import browser_login
from core.testing import PASSWORD
from service import sla
from service.models import ServiceAgreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_an_agreement_from_the_card_and_see_it_flagged(page, live_server, sales_a, customer_a):
    today = timezone.localdate()
    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer_a.pk}/")
    page.locator(".panel-service_agreements").wait_for()
    page.click(".panel-service_agreements a.button")
    page.fill("input[name=number]", "SA-浏览器-1")
    page.select_option("select[name=level]", "premium")
    page.fill("input[name=starts_on]", (today - timedelta(days=200)).isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=12)).isoformat())
    page.fill("input[name=complaint_critical_ack]", "15")
    page.fill("input[name=complaint_critical_resolve]", "120")
    page.click("form.cardform button[type=submit].primary")
    page.wait_for_url(re.compile(rf"/customers/{customer_a.pk}/"))

    agreement = ServiceAgreement.objects.get(number="SA-浏览器-1")
    assert agreement.sla == {"complaint": {"critical": [15, 120]}}
    panel = page.locator(".panel-service_agreements")
    panel.locator(".agreement-expiring").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "即将到期" in panel.inner_text()

    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/service/agreements/?status=expiring")
    row = page.locator("#agreements tr", has_text="SA-浏览器-1")
    assert "Expiring soon" in row.inner_text()
    row.locator("a").first.click()
    page.locator("#agreement-expiring").wait_for()
    assert "time to renew it" in page.locator("#agreement-expiring").inner_text()

    sla.invalidate()
    received = timezone.now()
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="critical", received_at=received)
    assert sla.business_minutes_between(start=received, end=got.acknowledge_by) == 15
