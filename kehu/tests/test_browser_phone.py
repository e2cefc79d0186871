"""The main pages at phone width (390 px) in a real browser: no page wider than the screen, the menu
labels on one line each (Chinese labels do not break between their characters), table cells not
stacked one character per line — the table scrolls sideways inside its own box instead."""

from decimal import Decimal

import pytest

from commerce import services as commerce
from core.browser import browser_page
from core.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390

# The number of line boxes a node's text occupies: 1 when it sits on one line.
LINES_OF = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""


@pytest.fixture
def phone_page(chromium_browser, live_server):
    with browser_page(chromium_browser, width=WIDTH, height=844) as page:
        yield page


def test_list_orders_and_home_fit_a_phone(phone_page, live_server, admin_user, sales_a, manager_a, make_customer):
    page = phone_page
    for n in range(3):
        make_customer(sales_a, name=f"北京远景新能源科技发展有限公司{n}", kind="organisation", city="北京",
                      industry="电子信息", phone=f"010-8888000{n}")
    customer = make_customer(sales_a, name="欧阳雨桐", city="上海", phone="13912345678")

    # The administrator has the longest menu.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    for path, cell in (("/", None), ("/customers/", "table.customers td.name a"),
                       ("/orders/", "table.orders tbody td a")):
        if path == "/orders/":
            # Made after the home page was read: the home page's "recent changes" is issue 12's item 1.
            product = commerce.product_create(actor=manager_a, data={
                "code": "MMF-A", "name": "货币基金A", "category": "基金", "price": Decimal("19.99"),
                "unit_cost": Decimal("7.35")})
            commerce.order_create(actor=sales_a, customer_id=customer.pk, data={}, status="placed",
                                  lines=[{"product": product, "quantity": Decimal("2")}])
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{path} is {width} px wide at {WIDTH} px"
        links = page.locator("nav.mainnav a")
        assert links.count() >= 10
        labels = links.all_inner_texts()
        assert "首页" in labels and "客户" in labels
        for i in range(links.count()):
            assert links.nth(i).evaluate(LINES_OF) == 1, f"menu label {labels[i]!r} breaks over lines on {path}"
        if cell:
            cells = page.locator(cell)
            assert cells.count() >= 1
            for i in range(cells.count()):
                text = cells.nth(i).inner_text()
                assert cells.nth(i).evaluate(LINES_OF) == 1, f"{text!r} wraps inside its cell on {path}"
    # The menu scrolls sideways within the screen rather than widening the page.
    nav = page.locator("nav.mainnav")
    assert nav.evaluate("el => el.getBoundingClientRect().right") <= WIDTH
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
