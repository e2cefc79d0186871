"""The customer journey in a real browser (headless Debian Chromium): log in, create a customer with
a Chinese name, find it by pinyin initials in the header search, open the card, and read the page
in both languages."""

import re

import pytest

from core.browser import browser_login
from core.testing import PASSWORD
from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_find_by_initials_and_switch_language(page, live_server, sales_a):
    browser_login(page, live_server.url, sales_a.username, PASSWORD)

    page.goto(f"{live_server.url}/customers/add/")
    page.select_option("select[name=kind]", "person")
    page.fill("input[name=name]", "欧阳雨桐")
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=email]", "yutong@example.cn")
    page.click("form:has(input[name=name]) button[type=submit].primary")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="欧阳雨桐")
    assert customer.owner == sales_a and customer.name_initials == "oyyt"

    page.goto(f"{live_server.url}/")
    page.fill("#global-search", "oyyt")
    hit = page.locator("#search-results a", has_text="欧阳雨桐")
    hit.wait_for()
    hit.click()
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    assert page.locator("h1").inner_text().startswith("欧阳雨桐")
    assert "yutong@example.cn" in page.content()

    # The browser asks for Chinese: the card reads in Chinese.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav.mainnav").inner_text().count("客户") >= 1
    # Switch to English with the header button; the same card now reads in English and it sticks.
    page.click("form.langswitch button[value=en]")
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Customers" in page.locator("nav.mainnav").inner_text()
    assert "Basic data" in page.content()
    sales_a.refresh_from_db()
    assert sales_a.language == "en"
    page.goto(f"{live_server.url}/customers/")
    assert page.locator("html").get_attribute("lang") == "en"
    # And back to Chinese.
    page.click("form.langswitch button[value=zh-hans]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "基础资料" in page.content() or "客户" in page.locator("nav.mainnav").inner_text()
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
