"""Order, product and cost pages: scoping (404 for another team's orders), the order form with its
line formset, status buttons, catalogue permissions, bounded query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import ObjectChange
from commerce import services
from commerce.models import CustomerCost, Order
from core.testing import assert_query_baseline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _url(name, *args):
    return reverse(f"commerce:{name}", args=args)


def _formset(prefix="lines", rows=()):
    data = {f"{prefix}-TOTAL_FORMS": str(max(len(rows), 3)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_order_list_is_scoped_and_its_queries_counted(client_for, make_customer, sales_a, sales_b, customer_b,
                                                      make_order):
    customers = [make_customer(sales_a, name=f"客户{i}") for i in range(6)]
    for i in range(30):
        make_order(customers[i % 6])
    make_order(customer_b, actor=sales_b)
    client = client_for(sales_a)
    with CaptureQueriesContext(connection) as ctx:
        response = assert_query_baseline("commerce.orders.list", lambda: client.get(_url("order_list")))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('href="/orders/') >= 30
    assert "李娜" not in html
    assert not [q for q in ctx.captured_queries  # the bell counts notifications, not orders
                if "COUNT(" in q["sql"].upper() and "work_notification" not in q["sql"]]


def test_order_list_filters(client_for, customer_a, sales_a, make_order):
    paid = make_order(customer_a, channel="online")
    services.order_set_status(actor=sales_a, order_id=paid.pk, status="paid")
    make_order(customer_a, channel="branch")
    client = client_for(sales_a)
    response = client.get(_url("order_list"), {"status": "paid"})
    assert list(response.context["page"].items) == [paid]
    response = client.get(_url("order_list"), {"channel": "branch"})
    assert [o.channel for o in response.context["page"].items] == ["branch"]
    response = client.get(_url("order_list"), {"q": "张"})
    assert len(response.context["page"].items) == 2


def test_other_teams_orders_are_not_found(client_for, customer_a, sales_b, make_order):
    order = make_order(customer_a)
    client = client_for(sales_b)
    assert client.get(_url("order_detail", order.pk)).status_code == 404
    assert client.get(_url("order_edit", order.pk)).status_code == 404
    assert client.post(_url("order_status", order.pk), {"status": "paid"}).status_code == 404
    assert client.get(_url("order_add", customer_a.pk)).status_code == 404
    assert client.get(_url("cost_add", customer_a.pk)).status_code == 404
    order.refresh_from_db()
    assert order.status == "placed"


def test_analyst_sees_orders_but_may_not_change_them(client_for, customer_a, analyst, make_order):
    order = make_order(customer_a)
    client = client_for(analyst)
    response = client.get(_url("order_detail", order.pk))
    assert response.status_code == 200 and not response.context["status_actions"]
    assert client.get(_url("order_add", customer_a.pk)).status_code == 403
    assert client.post(_url("order_status", order.pk), {"status": "paid"}).status_code == 403


def test_order_form_with_lines_creates_the_order(client_for, customer_a, sales_a, product, make_product):
    other = make_product(price="200.00", unit_cost="120.00")
    client = client_for(sales_a)
    assert client.get(_url("order_add", customer_a.pk)).status_code == 200
    data = {"ordered_at": "2026-03-05T10:30", "status": "paid", "channel": "branch", "region": "华东",
            "location": "南京西路支行", "salesperson": sales_a.pk, "currency": "CNY", "external_id": "", "note": "",
            **_formset(rows=[{"product": product.pk, "quantity": "3", "discount_percent": "15"},
                             {"product": other.pk, "quantity": "1", "unit_price": "180"}])}
    response = client.post(_url("order_add", customer_a.pk), data)
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("order_detail", order.pk)
    assert (order.status, order.revenue, order.cost) == ("paid", Decimal("230.97"), Decimal("142.05"))
    assert order.lines.count() == 2
    detail = client.get(_url("order_detail", order.pk)).content.decode()
    assert "230.97" in detail and "15 %" in detail


def test_order_form_shows_line_errors_and_saves_nothing(client_for, customer_a, sales_a, product):
    client = client_for(sales_a)
    base = {"ordered_at": "2026-03-05T10:30", "status": "placed", "currency": "CNY"}
    response = client.post(_url("order_add", customer_a.pk), {**base, **_formset()})
    assert response.status_code == 400
    assert "An order needs at least one line." in response.content.decode()
    response = client.post(_url("order_add", customer_a.pk),
                           {**base, **_formset(rows=[{"product": product.pk, "quantity": "1",
                                                      "discount_percent": "120"}])})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_order_edit_replaces_lines_and_status_buttons_move_it_on(client_for, customer_a, sales_a, make_order,
                                                                  product):
    order = make_order(customer_a)
    client = client_for(sales_a)
    page = client.get(_url("order_edit", order.pk))
    assert page.status_code == 200
    data = {"ordered_at": "2026-03-05T10:30", "currency": "CNY", "channel": "", "salesperson": sales_a.pk,
            **_formset(rows=[{"product": product.pk, "quantity": "5"}])}
    assert client.post(_url("order_edit", order.pk), data).status_code == 302
    order.refresh_from_db()
    assert order.revenue == Decimal("99.95")
    client.post(_url("order_status", order.pk), {"status": "paid"})
    order.refresh_from_db()
    assert order.status == "paid"
    response = client.post(_url("order_status", order.pk), {"status": "cancelled"}, follow=True)
    assert "A paid order cannot become cancelled." in response.content.decode()
    page = client.get(_url("order_edit", order.pk))
    assert page.context["formset"] is None  # the lines of a paid order are fixed


def test_order_edit_keeps_unchanged_lines_adds_new_ones_and_removes_ticked_ones(
    client_for, customer_a, sales_a, product, make_product
):
    second, third = make_product(price="10.00"), make_product(price="1.00")
    order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=[
        {"product": product, "quantity": 1}, {"product": second, "quantity": 2}])
    client = client_for(sales_a)
    formset = client.get(_url("order_edit", order.pk)).context["formset"]
    data = {"ordered_at": "2026-03-05T10:30", "currency": "CNY"}
    for form in formset:
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else value
    data[formset.management_form["INITIAL_FORMS"].html_name] = "2"
    data[formset.management_form["TOTAL_FORMS"].html_name] = str(len(formset.forms))
    data["lines-1-DELETE"] = "on"
    data["lines-2-product"], data["lines-2-quantity"] = str(third.pk), "4"
    assert client.post(_url("order_edit", order.pk), data).status_code == 302
    assert [(line.product_id, line.quantity) for line in order.lines.order_by("position")] == [
        (product.pk, Decimal("1.000")), (third.pk, Decimal("4.000"))]
    order.refresh_from_db()
    assert order.revenue == Decimal("23.99")


def test_editing_only_the_note_records_only_the_note(client_for, customer_a, sales_a, make_order):
    """The form shows the date to the minute in local time; posting it back unchanged is no change
    of the date (the stored value has seconds and is read back in UTC)."""
    order = make_order(customer_a)  # ordered_at = now, with seconds and microseconds
    stored = Order.objects.get(pk=order.pk).ordered_at
    client = client_for(sales_a)
    page = client.get(_url("order_edit", order.pk))
    data = {}
    for form in (page.context["form"], *(page.context["formset"] or [])):
        for field in form:
            value = field.value()
            if value is None:
                continue
            data[field.html_name] = field.field.widget.format_value(value) if field.name == "ordered_at" else value
    formset = page.context["formset"]
    data[formset.management_form["INITIAL_FORMS"].html_name] = str(formset.initial_form_count())
    data[formset.management_form["TOTAL_FORMS"].html_name] = str(len(formset.forms))
    data["note"] = "客户要求周五送货"
    assert client.post(_url("order_edit", order.pk), data).status_code == 302
    order.refresh_from_db()
    assert order.note == "客户要求周五送货" and order.ordered_at == stored
    change = ObjectChange.objects.filter(object_id=order.pk, action="update").get()
    assert set(change.changes) == {"note"}, change.changes


def test_order_detail_query_count(client_for, customer_a, sales_a, make_product):
    """The same queries for an order of 2 lines and of 20: nothing is read per line."""
    client = client_for(sales_a)
    for n in (2, 20):
        lines = [{"product": make_product(), "quantity": 1} for _ in range(n)]
        order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=lines)
        response = assert_query_baseline("commerce.orders.detail",
                                         lambda o=order: client.get(_url("order_detail", o.pk)))
        assert len(response.context["lines"]) == n


def test_products_are_listed_for_all_and_edited_by_managers(client_for, sales_a, manager_a, product):
    response = client_for(sales_a).get(_url("product_list"))
    assert response.status_code == 200 and "货币基金A" in response.content.decode()
    assert not response.context["can_manage"]
    assert client_for(sales_a).get(_url("product_add")).status_code == 403
    client = client_for(manager_a)
    response = client.post(_url("product_add"), {"code": "INS-1", "name": "重疾险", "category": "保险",
                                                 "price": "3600", "unit_cost": "2100", "currency": "CNY",
                                                 "active": "on"})
    assert response.status_code == 302
    assert ObjectChange.objects.filter(object_type="commerce.product", action="create").count() == 2
    response = client.post(_url("product_edit", product.pk), {"code": "MMF-A", "name": "货币基金A",
                                                              "category": "基金", "price": "20.00",
                                                              "unit_cost": "7.35", "currency": "CNY"})
    product.refresh_from_db()
    assert product.price == Decimal("20.00") and product.active is False


def test_cost_form_records_a_cost_and_returns_to_the_timeline(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    response = client.post(_url("cost_add", customer_a.pk), {
        "kind": "marketing", "incurred_on": "2026-02-01", "amount": "88.00", "currency": "CNY",
        "description": "春节礼品", "order": "", "external_id": "",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_detail", args=[customer_a.pk]) + "?tab=timeline"
    cost = CustomerCost.objects.get()
    assert (cost.kind, cost.amount, cost.created_by) == ("marketing", Decimal("88.00"), sales_a)
