"""Reading CSV in every encoding Chinese spreadsheets produce, and XLSX; row numbers as Excel shows them."""

from __future__ import annotations

import datetime as dt

import pytest

from dataio import values
from dataio.readers import TableError, detect_encoding, open_table

ROWS = [["客户编号", "客户名称", "手机"], ["C1", "张伟", "13812345678"], ["C2", "欧阳雨桐", "13912345678"]]


@pytest.mark.parametrize(("encoding", "detected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
])
def test_csv_encodings(write_file, encoding, detected):
    path = write_file("c.csv", ROWS, encoding=encoding)
    table = open_table(path)
    assert table.encoding == detected
    assert table.headers == ["客户编号", "客户名称", "手机"]
    rows = list(table.rows())
    assert [r.cells for r in rows] == ROWS[1:]
    assert [r.number for r in rows] == [2, 3]


def test_gbk_bytes_are_not_mistaken_for_utf8():
    raw = "客户名称,手机\n张伟,138\n".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert detect_encoding(raw) == "gb18030"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed(write_file, delimiter):
    table = open_table(write_file("c.csv", ROWS, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert [r.cells for r in table.rows()][1] == ["C2", "欧阳雨桐", "13912345678"]


def test_blank_rows_keep_the_numbering(write_file):
    path = write_file("c.csv", [ROWS[0], ["", "", ""], ROWS[1], [], ROWS[2]])
    assert [r.number for r in open_table(path).rows()] == [3, 5]


def test_xlsx_values_and_numbers(write_file):
    rows = [["编号", "名称", "手机", "生日", "资产"], ["C1", "张伟", 13812345678, dt.datetime(1985, 3, 5), 1234.5]]
    table = open_table(write_file("c.xlsx", rows))
    assert table.format == "xlsx"
    (row,) = list(table.rows())
    assert row.number == 2
    assert row.cells[2] == 13812345678  # a phone typed as a number stays whole
    assert values.to_date(row.cells[3]) == dt.date(1985, 3, 5)
    assert values.to_decimal(row.cells[4]) == "1234.5"


def test_header_may_start_below_blank_rows_and_trailing_empty_headers_are_dropped(write_file):
    path = write_file("c.csv", [[], ["编号", "名称", "", ""], ["C1", "张伟", "", ""]])
    table = open_table(path)
    assert table.headers == ["编号", "名称"]
    assert [r.number for r in table.rows()] == [3]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("c.xls", b"\xd0\xcf\x11\xe0", "xlsx"),
    ("c.pdf", b"%PDF", "CSV"),
    ("c.csv", b"", "empty"),
    ("c.csv", b"PK\x03\x04rest", ".xlsx"),
    ("c.xlsx", b"not a zip", "XLSX"),
])
def test_unreadable_files(tmp_path, name, content, message, settings):
    settings.LANGUAGE_CODE = "en"
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError, match=message):
        open_table(path)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024/3/5", "2024-03-05"), ("2024年3月5日", "2024-03-05"), ("2024.03.05", "2024-03-05"),
    ("20240305", "2024-03-05"), (dt.date(2024, 3, 5), "2024-03-05"), ("2024-03-05 10:30", "2024-03-05"),
    ("not a date", "not a date"),
])
def test_dates(raw, expected):
    found = values.to_date(raw)
    assert (found.isoformat() if isinstance(found, dt.date) else found) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("1,234.50", "1234.50"), ("¥99", "99"), ("￥1 000", "1000"), (12, "12"), ("3元", "3"),
])
def test_decimals(raw, expected):
    assert values.to_decimal(raw) == expected


def test_percent_and_booleans():
    assert values.to_decimal("15%", percent=True) == "0.15"
    assert values.to_decimal("0.15", percent=True) == "0.15"
    assert values.to_bool("是") is True and values.to_bool("否") is False and values.to_bool("Yes") is True
    assert values.to_bool("maybe") == "maybe"


def test_our_own_formula_guard_is_removed():
    assert values.text("'=SUM(A1)") == "=SUM(A1)"
    assert values.text("'plain") == "'plain"
