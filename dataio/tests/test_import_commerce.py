"""Importing products, orders with lines, costs and interactions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from audit.models import ObjectChange
from commerce import services as commerce
from commerce.models import CustomerCost, Order, OrderLine, Product
from commerce.services import line_amounts
from customers.services import contact_create
from dataio import services
from dataio.models import ImportStatus
from interactions.models import Interaction

pytestmark = pytest.mark.django_db


def run(user, path, kind, dry_run=False):
    with translation.override("en"):
        job = services.import_file(actor=user, kind=kind, path=path, dry_run=dry_run)
    job.refresh_from_db()
    return job


def errors_of(job):
    return {e["row"]: (e["column"], e["message"]) for e in job.report["errors"]}


@pytest.fixture
def catalogue(manager_a):
    for code, name, price, cost in [("A1", "货币基金A", "100.00", "60.00"), ("B2", "保险B", "19.99", "7.35")]:
        commerce.product_create(actor=manager_a, data={"code": code, "name": name, "category": "基金",
                                                       "price": Decimal(price), "unit_cost": Decimal(cost)})


@pytest.fixture
def buyers(make_customer, sales_a):
    return [make_customer(sales_a, name="王小明", external_id="C1"),
            make_customer(sales_a, name="李雷", external_id="C2")]


PRODUCTS = [
    ["产品编号", "产品名称", "类别", "价格", "成本", "在售"],
    ["X1", "理财X", "理财", "¥1,000.00", "800", "是"],
    ["X2", "基金Y", "基金", "50", "20.5", "否"],
]


def test_products_by_code_for_catalogue_managers(write_file, manager_a, sales_a):
    path = write_file("p.csv", PRODUCTS)
    with pytest.raises(PermissionDenied):
        run(sales_a, path, "products")
    job = run(manager_a, path, "products")
    assert job.status == ImportStatus.DONE, job.report
    x1 = Product.objects.get(code="X1")
    assert x1.price == Decimal("1000.00") and x1.active and not Product.objects.get(code="X2").active
    assert ObjectChange.objects.filter(object_type="commerce.product", action="create").count() == 2
    assert run(manager_a, path, "products").counts["unchanged"] == 2


ORDERS = [
    ["订单号", "客户编号", "下单日期", "状态", "产品编号", "数量", "单价", "折扣"],
    ["O1", "C1", "2025-03-05", "已付款", "A1", "2", "", ""],
    ["O2", "李雷", "2025/4/1", "placed", "B2", "3", "18.00", "10%"],
    ["O1", "", "", "", "B2", "1", "", "0.5"],  # second line of O1, not next to the first
]


def test_orders_grouped_by_number_with_amounts_from_the_services(write_file, sales_a, catalogue, buyers):
    job = run(sales_a, write_file("o.csv", ORDERS), "orders")
    assert job.status == ImportStatus.DONE, job.report
    assert job.counts["create"] == 2 and job.counts["rows"] == 3
    o1 = Order.objects.get(external_id="O1")
    assert o1.customer == buyers[0] and o1.status == "paid"
    assert str(timezone.localtime(o1.ordered_at).date()) == "2025-03-05"
    lines = list(o1.lines.order_by("position"))
    assert [(ln.product.code, ln.quantity) for ln in lines] == [("A1", 2), ("B2", 1)]
    first = line_amounts(quantity=Decimal(2), unit_price=Decimal("100.00"), discount=Decimal(0),
                         unit_cost=Decimal("60.00"))
    second = line_amounts(quantity=Decimal(1), unit_price=Decimal("19.99"), discount=Decimal("0.5"),
                          unit_cost=Decimal("7.35"))
    assert o1.revenue == first.revenue + second.revenue and o1.margin == first.margin + second.margin
    o2 = Order.objects.get(external_id="O2")
    assert o2.customer == buyers[1] and o2.lines.get().discount == Decimal("0.1")
    audit = ObjectChange.objects.get(object_type="commerce.order", object_id=o1.pk)
    assert audit.customer_id == buyers[0].pk and len(audit.changes["lines"][1]) == 2
    # The same file again: nothing changes, nothing is recorded.
    before = ObjectChange.objects.count()
    again = run(sales_a, write_file("o.csv", ORDERS), "orders")
    assert again.counts["unchanged"] == 2 and ObjectChange.objects.count() == before
    assert OrderLine.objects.count() == 3


def test_order_updates_follow_the_order_rules(write_file, sales_a, catalogue, buyers):
    run(sales_a, write_file("o.csv", ORDERS), "orders")
    changed = [list(r) for r in ORDERS]
    changed[2][5] = "4"  # O2 (placed): new quantity → lines replaced
    changed[2][3] = "paid"  # and paid
    job = run(sales_a, write_file("o2.csv", changed), "orders")
    assert job.status == ImportStatus.DONE, [e["message"] for e in job.report["errors"]]
    o2 = Order.objects.get(external_id="O2")
    assert o2.status == "paid" and o2.lines.get().quantity == 4
    change = ObjectChange.objects.filter(object_type="commerce.order", object_id=o2.pk, action="update").get()
    assert change.changes["status"] == ["placed", "paid"] and "lines" in change.changes
    again = [list(r) for r in changed]
    again[1][5] = "9"  # O1 is paid: its lines may not change
    again[2][3] = "placed"  # and a paid order does not go back to placed
    job = run(sales_a, write_file("o3.csv", again), "orders")
    assert set(errors_of(job)) == {2, 3}
    assert "Only the lines of a placed order" in errors_of(job)[2][1]
    assert errors_of(job)[3] == ("状态", "A paid order cannot become placed.")


def test_bad_order_rows(write_file, sales_a, catalogue, buyers, sales_b, make_customer):
    make_customer(sales_b, name="别人的", external_id="C9")
    rows = [
        ORDERS[0],
        ["O0", "C1", "2025-03-05", "paid", "NOPE", "1", "", ""],
        ["O6", "C1", "2025-03-05", "paid", "A1", "1", "", ""],
        ["O6", "C2", "", "", "A1", "1", "", ""],  # disagrees with row 3 on the customer
        ["O3", "C1", "2025-03-05", "paid", "A1", "0", "", ""],  # quantity 0
        ["O4", "C9", "2025-03-05", "paid", "A1", "1", "", ""],  # another team's customer
        ["O5", "C1", "yesterday", "paid", "A1", "1", "", ""],  # bad date
        ["", "C1", "2025-03-05", "paid", "A1", "1", "", ""],  # no order number
        ["O7", "C1", "2025-03-05", "paid", "A1", "1", "", "150%"],  # discount above 100 %
    ]
    job = run(sales_a, write_file("o.csv", rows), "orders")
    found = errors_of(job)
    assert set(found) == {2, 4, 5, 6, 7, 8, 9}
    assert found[2] == ("产品编号", "No product has the code “NOPE”.")
    assert found[4][0] == "客户编号" and "disagree" in found[4][1]
    assert found[5][0] == "数量"
    # Another team's customer reads as one that does not exist (ADR 0006).
    assert found[6] == ("客户编号", "No customer has the external ID or name “C9”.")
    assert found[7][0] == "下单日期"
    assert found[8][0] == "订单号"
    assert "discount" in found[9][1]
    assert not Order.objects.exists()


def test_inactive_products_only_in_history(write_file, sales_a, manager_a, catalogue, buyers):
    commerce.product_update(actor=manager_a, product_id=Product.objects.get(code="A1").pk, data={"active": False})
    rows = [ORDERS[0][:6], ["H1", "C1", "2024-01-01", "paid", "A1", "1"],
            ["H2", "C1", "2025-01-01", "placed", "A1", "1"]]
    job = run(sales_a, write_file("h.csv", rows), "orders")
    assert set(errors_of(job)) == {3}
    assert "no longer sold" in errors_of(job)[3][1]


def test_costs_with_order_reference(write_file, sales_a, catalogue, buyers):
    run(sales_a, write_file("o.csv", ORDERS), "orders")
    rows = [
        ["费用编号", "客户编号", "费用类型", "日期", "金额", "订单号", "说明"],
        ["K1", "C1", "service", "2025-03-06", "120.50", "O1", "上门服务"],
        ["K2", "C1", "Marketing cost", "2025-03-07", "80", "O2", ""],  # O2 is C2's order
    ]
    job = run(sales_a, write_file("k.csv", rows), "costs")
    assert errors_of(job) == {3: ("订单号", "The order must belong to the same customer.")}
    job = run(sales_a, write_file("k.csv", rows[:2]), "costs")
    assert job.status == ImportStatus.DONE, job.report
    cost = CustomerCost.objects.get(external_id="K1")
    assert cost.customer == buyers[0] and cost.order.external_id == "O1" and cost.amount == Decimal("120.50")
    assert cost.created_by == sales_a


def test_interactions_with_staff_and_contact(write_file, sales_a, manager_a, buyers):
    contact_create(actor=sales_a, customer_id=buyers[0].pk, data={"name": "王经理"})
    rows = [
        ["记录编号", "客户编号", "方式", "方向", "时间", "主题", "内容", "经办人", "联系人"],
        ["I1", "C1", "Phone call", "来电", "2025-03-05 10:30", "咨询基金", "问了收益", "manager_a", "王经理"],
        ["I2", "C2", "visit", "outbound", "2025-03-06", "拜访", "", "", ""],
        ["I3", "C2", "pigeon", "", "2025-03-06", "", "", "", "王经理"],
    ]
    job = run(sales_a, write_file("i.csv", rows), "interactions")
    found = errors_of(job)
    assert set(found) == {4}
    job = run(sales_a, write_file("i.csv", rows[:3]), "interactions")
    assert job.status == ImportStatus.DONE, job.report
    i1 = Interaction.objects.get(external_id="I1")
    assert i1.channel == "phone" and i1.direction == "inbound" and i1.staff == manager_a
    assert i1.contact.name == "王经理" and timezone.localtime(i1.occurred_at).hour == 10
    assert Interaction.objects.get(external_id="I2").staff == sales_a
    assert run(sales_a, write_file("i.csv", rows[:3]), "interactions").counts["unchanged"] == 2
