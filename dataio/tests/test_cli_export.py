"""`kehu import` and `kehu export`, and the export of the order and interaction lists."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import AccessLog, ObjectChange
from commerce import services as commerce
from customers.models import Customer
from interactions.services import interaction_create

pytestmark = pytest.mark.django_db


def test_cli_import_dry_run_then_import(write_file, customer_rows, sales_a, capsys):
    path = write_file("c.csv", customer_rows, encoding="gbk")
    call_command("import", "customers", str(path), "--dry-run", "--user", sales_a.username)
    out = capsys.readouterr().out
    assert "create 3" in out and "Read as gb18030" in out and not Customer.objects.exists()
    call_command("import", "customers", str(path), "--user", sales_a.username)
    assert Customer.objects.count() == 3
    change = ObjectChange.objects.filter(action="create", object_type="customers.customer").first()
    assert change.source == "cli" and change.user == sales_a


def test_cli_bad_rows_exit_with_an_error(write_file, sales_a, capsys):
    path = write_file("c.csv", [["编号", "姓名", "邮箱"], ["E1", "甲", "nope"]])
    with pytest.raises(CommandError) as info:
        call_command("import", "customers", str(path), "--user", sales_a.username)
    assert info.value.returncode == 1
    assert "row 2, 邮箱" in capsys.readouterr().err
    assert not Customer.objects.exists()


def test_cli_mapping_file(write_file, tmp_path, sales_a):
    path = write_file("c.csv", [["A", "B", "C"], ["K1", "张三", "杭州"]])
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"external_id": "A", "name": 2, "city": "c"}))
    call_command("import", "customers", str(path), "--mapping", str(mapping), "--user", sales_a.username)
    assert Customer.objects.get(external_id="K1").city == "杭州"
    mapping.write_text(json.dumps({"name": "Nope"}))
    with pytest.raises(CommandError, match="no column 'Nope'"):
        call_command("import", "customers", str(path), "--mapping", str(mapping), "--user", sales_a.username)


def test_cli_needs_a_user_when_ambiguous(write_file, customer_rows, admin_user, make_user):
    make_user("admin", username="admin2")
    with pytest.raises(CommandError, match="--user"):
        call_command("import", "customers", str(write_file("c.csv", customer_rows)))


@pytest.fixture
def history(sales_a, sales_b, manager_a, customer_a, customer_b):
    product = commerce.product_create(actor=manager_a, data={"code": "A1", "name": "基金A", "category": "基金",
                                                             "price": Decimal("10.00"), "unit_cost": Decimal("6.00")})
    commerce.order_create(actor=sales_a, customer_id=customer_a.pk, data={"external_id": "O-A"},
                          lines=[{"product": product, "quantity": Decimal(2)}])
    commerce.order_create(actor=sales_b, customer_id=customer_b.pk, data={"external_id": "O-B"},
                          lines=[{"product": product, "quantity": Decimal(1)}])
    interaction_create(actor=sales_a, customer_id=customer_a.pk,
                       data={"channel": "phone", "subject": "=HYPERLINK(\"x\")", "external_id": "I-A"})
    interaction_create(actor=sales_b, customer_id=customer_b.pk, data={"channel": "visit", "subject": "拜访"})


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_order_export_is_scoped_filtered_and_audited(client_for, sales_a, analyst, history):
    url = reverse("dataio:export", args=["orders"])
    rows = _csv(client_for(sales_a).get(url, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert rows[0][:2] == ["Order number", "Customer"]
    assert [r[0] for r in rows[1:]] == ["O-A"]
    log = AccessLog.objects.get(action="export")
    assert log.user == sales_a and log.detail["kind"] == "orders" and log.detail["rows"] == 1
    rows = _csv(client_for(analyst).get(url, {"format": "csv", "status": "paid"}))
    assert len(rows) == 1  # nothing paid
    assert AccessLog.objects.filter(action="export").count() == 2


def test_interaction_export_xlsx_without_formulas(client_for, sales_a, history):
    response = client_for(sales_a).get(reverse("dataio:export", args=["interactions"]), {"format": "xlsx"},
                                       HTTP_ACCEPT_LANGUAGE="en")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    subject = rows[0].index("Subject")
    assert [r[subject] for r in rows[1:]] == ["'=HYPERLINK(\"x\")"]


def test_export_needs_the_capability(client_for, service_a, history):
    assert client_for(service_a).get(reverse("dataio:export", args=["orders"])).status_code == 403
    assert client_for(service_a).get(reverse("dataio:export", args=["nothing"])).status_code == 404


def test_cli_export(tmp_path, sales_a, history, customer_a):
    path = tmp_path / "orders.xlsx"
    call_command("export", "orders", str(path), "--user", sales_a.username)
    book = openpyxl.load_workbook(path, read_only=True)
    assert [r[0] for r in book.active.iter_rows(values_only=True)][1:] == ["O-A"]
    path = tmp_path / "customers.csv"
    call_command("export", "customers", str(path), "--user", sales_a.username)
    text = path.read_text(encoding="utf-8-sig")
    assert "张伟" in text and "李娜" not in text and "**************1233" in text  # scoped and masked
    log = AccessLog.objects.filter(action="export").latest("id")
    assert log.source == "cli" and log.user == sales_a


def test_list_pages_link_their_filtered_export(client_for, sales_a, service_a, history):
    import html
    import re

    page = client_for(sales_a).get(reverse("commerce:order_list"), {"status": "placed"}).content.decode()
    link = html.unescape(re.search(r'href="(/data/export/orders/[^"]*format=csv[^"]*)"', page).group(1))
    assert "status=placed" in link
    rows = _csv(client_for(sales_a).get(link))
    assert [r[0] for r in rows[1:]] == ["O-A"]
    page = client_for(sales_a).get(reverse("interactions:interaction_list")).content.decode()
    assert "/data/export/interactions/?format=xlsx" in html.unescape(page)
    page = client_for(service_a).get(reverse("interactions:interaction_list")).content.decode()
    assert "/data/export/" not in page  # the service role may not export
