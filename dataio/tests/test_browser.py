"""An import in a real browser: an XLSX with one bad row is refused with the row and the reason, the
corrected file is imported, and the customers appear in the list."""

from __future__ import annotations

import re

import pytest

from core.testing import PASSWORD
from customers.models import Customer

from .conftest import xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["客户编号", "客户名称", "类型", "手机", "邮箱", "城市"]
GOOD = [["B1", "欧阳雨桐", "个人", "13912345678", "yutong@example.cn", "杭州"],
        ["B2", "杭州恒信精密机械有限公司", "企业", "0571-88886666", "", "杭州"]]
BAD = ["B3", "司马光", "个人", "", "simaguang@", "开封"]


def _import(page, base, path):
    page.goto(f"{base}/data/import/")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.uploadform button[type=submit]")
    page.wait_for_url(re.compile(r"/data/import/\d+/$"))
    # The columns were recognised from the Chinese headers.
    assert page.locator("select[name=col_4]").input_value() == "email"
    page.click("form[action$='/mapping/'] button.primary")
    page.wait_for_load_state()


def test_bad_row_then_corrected_file(page, live_server, sales_a, tmp_path):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", sales_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav a[href='/data/import/']")

    bad = tmp_path / "客户.xlsx"
    bad.write_bytes(xlsx_bytes([HEADER, *GOOD, BAD]))
    _import(page, live_server.url, bad)
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    row = errors.first.inner_text()
    assert "4" in row and "邮箱" in row and "simaguang@" in row  # row 4, the e-mail column, the value
    assert page.locator("#confirm-import").count() == 0
    assert not Customer.objects.exists()

    fixed = tmp_path / "客户-改.xlsx"
    fixed.write_bytes(xlsx_bytes([HEADER, *GOOD, [*BAD[:4], "simaguang@example.cn", BAD[5]]]))
    page.click("a[href*='?kind=customers']")  # "upload a corrected file"
    _import(page, live_server.url, fixed)
    assert page.locator("#import-errors").count() == 0
    page.click("#confirm-import")
    page.wait_for_load_state()
    assert page.locator("#job-status").get_attribute("class").endswith("ok")
    page.click("a[href*='/customers/?sort=-created']")
    page.wait_for_url(re.compile(r"/customers/"))
    body = page.locator("table.list").inner_text()
    for name in ("欧阳雨桐", "杭州恒信精密机械有限公司", "司马光"):
        assert name in body
    assert Customer.objects.get(external_id="B2").kind == "organisation"
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
