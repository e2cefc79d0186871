"""Customer imports without external IDs (optional, as on the form), the templates (example row,
allowed values), and files that have a header but no data rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.models import Customer
from dataio import services
from dataio.importers import get_importer
from dataio.mapping import suggest_mapping
from dataio.models import ImportStatus

from .conftest import csv_bytes, xlsx_bytes
from .test_import_customers import run

pytestmark = pytest.mark.django_db


def test_a_file_without_external_ids_creates_customers_and_says_so(write_file, sales_a):
    rows = [["客户名称", "手机"], ["王小明", "13800001111"], ["李雷", "13800002222"]]
    job = run(sales_a, write_file("c.csv", rows), dry_run=True)
    assert job.status == ImportStatus.CHECKED and not job.report["errors"], job.report
    assert job.counts["create"] == 2
    notes = {n["message"]: n["count"] for n in job.report["notes"]}
    assert notes == {"Rows without “External ID” create new records: importing the file again would create "
                     "them again.": 2}
    job = run(sales_a, write_file("c.csv", rows))
    assert job.status == ImportStatus.DONE
    assert sorted(Customer.objects.values_list("name", "external_id")) == [("李雷", None), ("王小明", None)]


def test_empty_external_id_cells_create_and_filled_ones_update(write_file, sales_a, make_customer):
    make_customer(sales_a, name="旧名", external_id="C1")
    rows = [["客户编号", "客户名称"], ["C1", "新名"], ["", "王小明"], ["", "李雷"]]
    job = run(sales_a, write_file("c.csv", rows))
    assert job.status == ImportStatus.DONE, job.report
    assert (job.counts["create"], job.counts["update"]) == (2, 1)
    assert Customer.objects.get(external_id="C1").name == "新名"
    assert Customer.objects.filter(external_id__isnull=True).count() == 2


def test_the_mapping_does_not_require_the_external_id(client_for, sales_a):
    fields = {f.name: f for f in get_importer("customers").available_fields(sales_a)}
    assert fields["external_id"].key and not fields["external_id"].needed
    assert fields["name"].needed
    # Other kinds still need their key.
    assert get_importer("contacts").available_fields(sales_a)[0].needed


@pytest.mark.parametrize("name", ["h.csv", "h.xlsx"])
def test_a_header_only_file_is_refused(client_for, sales_a, name):
    rows = [["客户编号", "客户名称"], [], []]
    content = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.import_job_create(actor=sales_a, kind="customers", upload=SimpleUploadedFile(name, content))
    assert "no data rows" in exc.value.message_dict["file"][0]
    response = client_for(sales_a).post(reverse("dataio:job_list"), {
        "kind": "customers", "file": SimpleUploadedFile(name, content)}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "没有数据行" in response.content.decode()


def test_csv_template_has_the_header_and_an_example_row_that_imports(client_for, sales_a, tmp_path):
    response = client_for(sales_a).get(reverse("dataio:template", args=["customers"]) + "?format=csv",
                                       HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Disposition"].endswith('.csv"')
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    fields = get_importer("customers").available_fields(sales_a)
    assert len(suggest_mapping(header, fields)) == len(fields)
    values = dict(zip(header, example, strict=True))
    assert values["名称"] == "张伟" and values["类型"] == "个人客户" and values["证件类型"] == "居民身份证"
    # The example is a valid row: the template imports as it is.
    path = tmp_path / "t.csv"
    path.write_bytes(response.content)
    job = run(sales_a, path, language="zh-hans")
    assert job.status == ImportStatus.DONE, job.report
    assert Customer.objects.get().id_number == "11010519491231002X"


def test_xlsx_template_lists_the_allowed_values(client_for, sales_a):
    response = client_for(sales_a).get(reverse("dataio:template", args=["customers"]) + "?format=xlsx",
                                       HTTP_ACCEPT_LANGUAGE="en")
    book = load_workbook(io.BytesIO(response.content))
    data, allowed = book.worksheets
    header = [c.value for c in data[1]]
    assert [c.value for c in data[2]][header.index("Name")] == "Zhang Wei"
    assert "Example row" in data["A2"].comment.text
    columns = {col[0].value: [c.value for c in col[1:] if c.value] for col in allowed.iter_cols()}
    assert allowed.title == "Allowed values"
    assert columns["Type"] == ["Person", "Organisation"]
    assert "Resident ID card" in columns["ID type"] and "Passport" in columns["ID type"]
    assert data.data_validations.dataValidation  # drop-downs on the choice columns
    assert client_for(sales_a).get(reverse("dataio:template", args=["customers"]) + "?format=pdf").status_code == 400
