"""Imports take unit prices and unit costs with four decimals and trailing zeros (9.7700, 0.0350,
9.770000), and refuse a fifth significant decimal; amounts stay at two, rounded half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from commerce.models import Order, Product
from dataio import services as dataio_services
from dataio.models import ImportStatus

pytestmark = pytest.mark.django_db


def test_imports_take_four_decimals_and_trailing_zeros(write_file, manager_a, sales_a, make_customer):
    make_customer(sales_a, name="王小明", external_id="C1")
    with translation.override("en"):
        job = dataio_services.import_file(actor=manager_a, kind="products", path=write_file("p.csv", [
            ["产品编号", "产品名称", "类别", "价格", "成本"],
            ["R1", "电阻", "元器件", "0.0350", "0.0200"],
            ["R2", "电容", "元器件", "9.7700", "9.770000"],
            ["R3", "二极管", "元器件", "¥1,200.5000", "0.1"],
        ]), dry_run=False)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.report
    prices = {p.code: (p.price, p.unit_cost) for p in Product.objects.all()}
    assert prices == {"R1": (Decimal("0.0350"), Decimal("0.0200")), "R2": (Decimal("9.7700"), Decimal("9.7700")),
                      "R3": (Decimal("1200.5000"), Decimal("0.1000"))}

    with translation.override("en"):
        job = dataio_services.import_file(actor=sales_a, kind="orders", path=write_file("o.csv", [
            ["订单号", "客户编号", "下单日期", "状态", "产品编号", "数量", "单价"],
            ["O1", "C1", "2025-03-05", "已付款", "R1", "1000", "0.0350"],
            ["O1", "", "", "", "R2", "3", "9.7700"],
            ["O2", "C1", "2025-03-06", "已付款", "R1", "7", ""],
        ]), dry_run=False)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.report
    assert Order.objects.get(external_id="O1").revenue == Decimal("64.31")  # 35.00 + 29.31
    assert Order.objects.get(external_id="O2").revenue == Decimal("0.25")  # 7 × 0.035 = 0.245, half-up

    with translation.override("en"):
        job = dataio_services.import_file(actor=manager_a, kind="products", path=write_file("p2.csv", [
            ["产品编号", "产品名称", "类别", "价格", "成本"], ["R4", "电感", "元器件", "0.03501", "0"]]), dry_run=False)
    job.refresh_from_db()
    assert job.status != ImportStatus.DONE
    assert "no more than 4 decimal places" in job.report["errors"][0]["message"]
