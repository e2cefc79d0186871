"""Imports apply the services' plausibility rules (the same as the forms and the API): future
birthdays, negative assets, bad resident ID numbers and missing ID types, orders years ahead,
product codes that differ only in case; a unit cost above the price is a warning in the report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce import services as commerce
from commerce.models import Order, Product
from customers.models import Customer
from dataio.models import ImportStatus

from .test_import_commerce import errors_of, run

pytestmark = pytest.mark.django_db

HEADER = ["客户编号", "客户名称", "生日", "资产", "证件类型", "身份证号"]


def test_customer_rows_with_implausible_values_are_reported(write_file, manager_a):
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    rows = [HEADER,
            ["C1", "王小明", future, "", "", ""],
            ["C2", "李雷", "", "-100", "", ""],
            ["C3", "韩梅梅", "", "", "身份证", "12345"],
            ["C4", "张伟", "", "", "", "E1234567"],
            ["C5", "陈静", "1949-12-31", "1000", "", "11010519491231002x"],
            ["C6", "刘洋", "", "", "护照", "E1234567"]]
    job = run(manager_a, write_file("c.csv", rows), "customers")
    assert job.status == ImportStatus.CHECKED  # not imported: rows are invalid
    errors = errors_of(job)
    assert errors[2] == ("生日", "The birthday cannot be in the future.")
    assert errors[3] == ("资产", "Assets cannot be negative.")
    assert errors[4][0] == "身份证号" and "18 characters" in errors[4][1]
    assert errors[5] == ("证件类型", "Choose the type of ID for this ID number.")
    assert set(errors) == {2, 3, 4, 5}
    assert not Customer.objects.exists()
    # The valid rows alone import; a valid resident ID number needs no type column.
    job = run(manager_a, write_file("c.csv", [HEADER, rows[5], rows[6]]), "customers")
    assert job.status == ImportStatus.DONE, job.report
    chen = Customer.objects.get(external_id="C5")
    assert (chen.id_type, chen.id_number) == ("resident_id", "11010519491231002X")
    assert Customer.objects.get(external_id="C6").id_type == "passport"


def test_an_update_that_adds_a_resident_id_number_records_its_type(write_file, manager_a, make_customer):
    make_customer(manager_a, name="陈静", external_id="C5")
    rows = [["客户编号", "客户名称", "身份证号"], ["C5", "陈静", "11010519491231002X"]]
    job = run(manager_a, write_file("c.csv", rows), "customers")
    assert job.status == ImportStatus.DONE, job.report
    assert Customer.objects.get(external_id="C5").id_type == "resident_id"


def test_an_order_dated_years_ahead_is_reported(write_file, sales_a, manager_a, make_customer):
    commerce.product_create(actor=manager_a, data={"code": "A1", "name": "货币基金A", "category": "基金",
                                                   "price": Decimal("100"), "unit_cost": Decimal("60")})
    make_customer(sales_a, name="王小明", external_id="C1")
    rows = [["订单号", "客户编号", "下单日期", "产品编号", "数量"],
            ["O1", "C1", "2052-03-05", "A1", "1"], ["O2", "C1", "2025-03-05", "A1", "1"]]
    job = run(sales_a, write_file("o.csv", rows), "orders")
    assert job.status == ImportStatus.CHECKED
    column, message = errors_of(job)[2]
    assert column == "下单日期" and "more than a day in the future" in message
    assert 3 not in errors_of(job)
    assert not Order.objects.exists()


def test_product_codes_differing_in_case_and_cost_above_price(write_file, manager_a):
    commerce.product_create(actor=manager_a, data={"code": "MMF-A", "name": "货币基金A", "category": "基金",
                                                   "price": Decimal("100"), "unit_cost": Decimal("60")})
    header = ["产品编号", "产品名称", "类别", "价格", "成本"]
    rows = [header, ["mmf-a", "x", "基金", "1", "1"], ["X1", "理财X", "理财", "10", "12"],
            ["x1", "理财X", "理财", "10", "8"]]
    job = run(manager_a, write_file("p.csv", rows), "products")
    errors = errors_of(job)
    assert "“MMF-A”" in errors[2][1] and "whatever the case" in errors[2][1]
    assert "“X1” in row 3" in errors[4][1]
    assert set(errors) == {2, 4}
    # Allowed, but said: the report warns of the loss-making row.
    job = run(manager_a, write_file("p.csv", [header, rows[2]]), "products")
    assert job.status == ImportStatus.DONE, job.report
    notes = [n["message"] for n in job.report["notes"]]
    assert any("unit cost is above the list price in 1 row (row 2)" in n for n in notes), notes
    assert Product.objects.get(code="X1").unit_cost == Decimal("12.00")
