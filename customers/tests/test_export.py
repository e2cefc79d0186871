"""Export of the customer list: only the rows the user may export, masked, audited, CSV and XLSX."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import AccessLog
from customers import exports, services

pytestmark = pytest.mark.django_db

EXPORT = reverse("customers:customer_export")


def _csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _column(rows, header):
    i = rows[0].index(header)
    return [r[i] for r in rows[1:]]


def test_csv_has_only_scoped_rows_masked_and_is_audited(client_for, customer_a, customer_b, sales_a):
    response = client_for(sales_a).get(EXPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["ID", "Name", "Type"]
    assert _column(rows, "Name") == ["张伟"]
    assert _column(rows, "ID number") == ["**************1233"]
    assert _column(rows, "Mobile phone") == ["138-1234-5678"]
    log = AccessLog.objects.get(action="export")
    assert log.user == sales_a and log.source == "web"
    assert log.detail == {"filters": {}, "rows": 1, "format": "csv"}


def test_csv_headers_follow_the_language(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    for language in ("zh-hans", "en"):
        rows = _csv(client.get(EXPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE=language))
        with translation.override(language):
            assert rows[0] == exports.headers()
        assert rows[1][1] == "张伟"


def test_analyst_exports_all_with_phones_masked(client_for, customer_a, customer_b, analyst):
    rows = _csv(client_for(analyst).get(EXPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert sorted(_column(rows, "Name")) == sorted(["张伟", "李娜"])
    assert set(_column(rows, "Mobile phone")) == {"138****5678", "139****4321"}
    assert "110101199003071233" not in str(rows)


def test_export_applies_the_list_filters(client_for, customer_a, make_customer, sales_a):
    make_customer(sales_a, name="王芳", city="上海")
    response = client_for(sales_a).get(EXPORT, {"format": "csv", "city": "上海"}, HTTP_ACCEPT_LANGUAGE="en")
    assert _column(_csv(response), "Name") == ["王芳"]
    assert AccessLog.objects.get(action="export").detail["filters"] == {"city": "上海"}


def test_export_by_tag(client_for, customer_a, make_customer, sales_a):
    other = make_customer(sales_a, name="王芳")
    tag = services.tag_create(actor=sales_a, name="VIP")
    services.customers_bulk_add_tag(actor=sales_a, customer_ids=[other.pk], tag=tag)
    rows = _csv(client_for(sales_a).get(EXPORT, {"format": "csv", "tag": tag.pk}, HTTP_ACCEPT_LANGUAGE="en"))
    assert _column(rows, "Name") == ["王芳"]
    assert _column(rows, "Tags") == ["VIP"]


def test_service_role_may_not_export(client_for, customer_a, service_a):
    assert client_for(service_a).get(EXPORT, {"format": "csv"}).status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()


def test_unknown_format(client_for, sales_a):
    assert client_for(sales_a).get(EXPORT, {"format": "pdf"}).status_code == 400


def test_xlsx(client_for, customer_a, customer_b, make_customer, sales_a):
    make_customer(sales_a, name="=HYPERLINK(\"http://evil\")", kind="organisation", assets="1234.50")
    response = client_for(sales_a).get(EXPORT, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    header = rows[0]
    names = [r[header.index("Name")] for r in rows[1:]]
    assert sorted(names) == sorted(["张伟", "'=HYPERLINK(\"http://evil\")"])  # no formula from user data
    ids = [r[header.index("ID number")] for r in rows[1:] if r[header.index("Name")] == "张伟"]
    assert ids == ["**************1233"]
    assets = [r[header.index("Assets")] for r in rows[1:] if r[header.index("Name")] != "张伟"]
    assert assets == [1234.5]
    assert AccessLog.objects.get(action="export").detail["format"] == "xlsx"


def test_csv_neutralises_formulas_but_keeps_phones(client_for, make_customer, sales_a):
    make_customer(sales_a, name="@SUM(A1)", phone="+86 138 0000 1111")
    rows = _csv(client_for(sales_a).get(EXPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert _column(rows, "Name") == ["'@SUM(A1)"]
    assert _column(rows, "Mobile phone") == ["+86 138 0000 1111"]


def test_export_streams_in_chunks(client_for, make_customer, sales_a, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 3)
    for i in range(8):
        make_customer(sales_a, name=f"客户{i}")
    response = client_for(sales_a).get(EXPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) >= 4  # header, then batches of 3 rows
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 9
