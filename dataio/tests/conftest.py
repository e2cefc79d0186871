"""Fixture files made by the tests themselves: CSV in UTF-8, UTF-8 with BOM and GBK, and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """write_file("x.csv", rows, encoding="gbk") → path of a CSV (or XLSX for .xlsx names)."""

    def write(name: str, rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
        path = tmp_path / name
        if name.endswith(".xlsx"):
            path.write_bytes(xlsx_bytes(rows))
        else:
            path.write_bytes(csv_bytes(rows, encoding, delimiter))
        return path

    return write


CUSTOMER_HEADER = ["客户编号", "客户名称", "类型", "手机", "邮箱", "城市", "生日", "风险偏好", "标签"]
CUSTOMER_ROWS = [
    ["C001", "王小明", "个人", "13800001111", "wxm@example.cn", "杭州", "1985/3/5", "稳健型", "VIP, 展会2026"],
    ["C002", "杭州恒信精密机械有限公司", "组织", "0571-88886666", "", "杭州", "", "", ""],
    ["C003", "Anna Li", "Person", "+86 139 0000 2222", "anna@example.com", "上海", "1990-12-01", "Aggressive", "VIP"],
]


@pytest.fixture
def customer_rows() -> list[list[Any]]:
    return [list(CUSTOMER_HEADER), *[list(r) for r in CUSTOMER_ROWS]]
