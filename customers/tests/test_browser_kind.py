"""The customer form in a real browser: choosing the type shows that type's blocks and relabels the
phone (a person's mobile 手机, an organisation's landline 电话) without a reload."""

import pytest

from core.browser import browser_login
from core.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_type_switch_relabels_the_phone_and_hides_the_other_blocks(page, live_server, sales_a):
    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/customers/add/")
    label = page.locator('label[for="id_phone"]')
    assert page.is_hidden("fieldset.block-characteristics") and page.is_hidden("fieldset.block-organisation")
    page.select_option("select[name=kind]", "organisation")
    assert page.is_visible("fieldset.block-characteristics") and page.is_hidden("fieldset.block-person")
    assert label.inner_text().strip() in ("电话", "Phone")
    page.select_option("select[name=kind]", "person")
    assert label.inner_text().strip() in ("手机", "Mobile phone")
