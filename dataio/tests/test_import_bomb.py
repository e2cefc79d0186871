"""Untrusted workbooks (issue 14, item 4): a 238 KB XLSX with 800,000 rows — a decompression bomb —
held a web worker for 60 s (files under KEHU_IMPORT_INLINE_BYTES were checked inside the request and
nothing limited rows) and left the job "checking". Now the request reads no more than a small row
budget, the worker no more than KEHU_IMPORT_MAX_ROWS, and a workbook that unpacks too large is
refused at upload — each "too large" in the user's language."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dataio import services
from dataio.models import ImportJob, ImportStatus
from dataio.readers import TableError, open_table

pytestmark = pytest.mark.django_db

PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
        'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def bomb(rows: int, tail: str = "") -> bytes:
    """An XLSX of `rows` identical customer rows (then `tail`): tiny on disk, large unpacked."""
    head = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>客户编号</t></is></c>'
            '<c t="inlineStr"><is><t>客户名称</t></is></c></row>')
    row = '<row><c t="inlineStr"><is><t>X</t></is></c><c t="inlineStr"><is><t>Y</t></is></c></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", head + row * rows + tail + "</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def big_bomb() -> bytes:
    data = bomb(800_000)
    assert len(data) < 300 * 1024  # under KEHU_IMPORT_INLINE_BYTES, like the one that was found
    return data


@pytest.mark.slow  # building the 800,000-row bomb takes seconds
def test_a_bomb_is_never_read_inside_the_request(client_for, sales_a, big_bomb, settings,
                                                 django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = client_for(sales_a)
    response = client.post(reverse("dataio:job_list"), {"kind": "customers",
                                                        "file": SimpleUploadedFile("bomb.xlsx", big_bomb)})
    assert response.status_code == 302  # the header and a few sample rows are read, no more
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "external_id", "col_1": "name"})
    job.refresh_from_db()
    # Beyond the request's row budget: handed to the worker, not checked while the user waits.
    assert job.status == ImportStatus.CHECKING and job.task_id


@pytest.mark.parametrize(("language", "words"), [("en", "too large"), ("zh-hans", "文件过大")])
def test_the_worker_refuses_more_rows_than_the_limit(client_for, sales_a, settings, language, words,
                                                     django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.KEHU_IMPORT_MAX_ROWS = 2_000
    settings.KEHU_IMPORT_INLINE_ROWS = 100
    client = client_for(sales_a)
    client.post(reverse("dataio:job_list"), {"kind": "customers", "file": SimpleUploadedFile("b.xlsx", bomb(50_000))},
                HTTP_ACCEPT_LANGUAGE=language)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "external_id", "col_1": "name"},
                    HTTP_ACCEPT_LANGUAGE=language)
    job.refresh_from_db()
    assert job.task_id
    from dataio.tasks import import_job_check_task

    import_job_check_task.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and words in job.error and "2,000" in job.error
    assert job.total_rows == 0  # not a row checked


def test_the_cli_refuses_more_rows_than_the_limit(sales_a, settings, tmp_path):
    settings.KEHU_IMPORT_MAX_ROWS = 2_000
    path = tmp_path / "b.xlsx"
    path.write_bytes(bomb(5_000))
    with translation.override("en"):
        job = services.import_file(actor=sales_a, kind="customers", path=path)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "too large" in job.error


@pytest.mark.parametrize(("language", "words"), [("en", "too large"), ("zh-hans", "过大")])
def test_a_workbook_that_unpacks_too_large_is_refused_at_upload(client_for, sales_a, settings, language, words):
    settings.KEHU_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    response = client_for(sales_a).post(
        reverse("dataio:job_list"), {"kind": "customers", "file": SimpleUploadedFile("b.xlsx", bomb(20_000))},
        HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400 and words in response.content.decode()
    assert not ImportJob.objects.exists()


def test_unpacked_size_is_checked_before_reading(tmp_path, settings):
    settings.KEHU_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    path = tmp_path / "b.xlsx"
    path.write_bytes(bomb(20_000))
    with translation.override("en"), pytest.raises(TableError, match="too large"):
        open_table(path)
    settings.KEHU_IMPORT_MAX_UNPACKED_BYTES = 10 * 1024 * 1024
    assert open_table(path).headers == ["客户编号", "客户名称"]


def test_opening_a_workbook_reads_only_its_head(tmp_path):
    """openpyxl parsed a sheet without a <dimension> tag to its end just to open it. Far down this
    sheet the XML is broken: opening it and reading a sample must never get there."""
    path = tmp_path / "b.xlsx"
    path.write_bytes(bomb(20_000, tail="<row><c><v>1</c></row>"))
    table = open_table(path)
    assert table.headers == ["客户编号", "客户名称"] and len(table.sample) == 5
    assert table.count(limit=1_000) == 1_000
