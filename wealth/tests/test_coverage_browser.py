"""The household coverage in a real browser: add a policy from the household page for the child,
see the dependant's gap disappear, record an income and see the life-cover gap, in Chinese and English."""

import pytest

from core.browser import browser_login
from core.testing import PASSWORD
from customers.services import family_member_create
from wealth.models.coverage import InsurancePolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_policy_and_an_income_from_the_household_page(page, live_server, customer_a, sales_a):
    child = family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                 data={"name": "张小明", "relation": "child", "age": 6})
    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/wealth/customers/{customer_a.pk}/coverage/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "张小明是被抚养/赡养人，没有任何保障" in page.locator("ul.coverage-gaps").inner_text()

    page.click("text=新建保单")
    page.fill("input[name=insurer]", "平安人寿")
    page.select_option("select[name=policy_type]", "medical")
    page.select_option("select[name=insured_member]", str(child.pk))
    page.fill("input[name=sum_insured]", "200000")
    page.fill("input[name=premium]", "600")
    page.click("form.cardform button[type=submit].primary")
    page.wait_for_url(f"**/wealth/customers/{customer_a.pk}/coverage/")
    assert InsurancePolicy.objects.get(insured_member=child).insurer == "平安人寿"
    assert page.locator("ul.coverage-gaps").count() == 0
    assert "医疗险" in page.locator("table.coverage").inner_text()

    page.fill("input[name=annual_income]", "300000")
    page.click("text=保存收入")
    page.wait_for_load_state()
    assert "寿险保额 0.00 CNY，低于年收入的 5 倍（1,500,000.00 CNY）" in page.locator("ul.coverage-gaps").inner_text()
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    gaps = page.locator("ul.coverage-gaps").inner_text()
    assert "张伟: life cover 0.00 CNY, below 5× income (1,500,000.00 CNY)" in gaps
