"""The import pages: upload → mapping → report → confirm → result; background jobs with progress;
who sees which job; the error list; the templates."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.testing import assert_query_baseline
from customers.models import Customer
from dataio.models import ImportJob, ImportStatus
from dataio.progress import progress_write

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

LIST = reverse("dataio:job_list")
ROWS = [["客户编号", "客户名称", "手机", "邮箱"], ["W1", "王小明", "13800001111", "wxm@example.cn"],
        ["W2", "李雷", "", "bad-email"]]


def upload(client, rows=ROWS, name="c.csv", kind="customers", content=None):
    content = content if content is not None else (xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows))
    return client.post(LIST, {"kind": kind, "file": SimpleUploadedFile(name, content)}, HTTP_ACCEPT_LANGUAGE="en")


def test_whole_journey(client_for, sales_a):
    client = client_for(sales_a)
    assert client.get(LIST).status_code == 200
    response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dataio:job_detail", args=[job.pk])
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The mapping page suggests the fields from the Chinese headers and shows sample values.
    assert 'value="external_id" selected' in page and 'value="email" selected' in page and "王小明" in page
    response = client.post(reverse("dataio:job_map", args=[job.pk]),
                           {"col_0": "external_id", "col_1": "name", "col_2": "phone", "col_3": "email"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED  # small file: checked inside the request
    page = client.get(reverse("dataio:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enter a valid email address." in page and "bad-email" in page
    assert "confirm-import" not in page  # no import while rows are invalid
    errors = client.get(reverse("dataio:job_errors", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter a valid email address." in errors.content.decode("utf-8-sig")
    # The corrected file: checked, confirmed, imported.
    fixed = [r[:3] + ["lilei@example.cn" if r[3] == "bad-email" else r[3]] for r in ROWS]
    upload(client, fixed, name="fixed.xlsx")
    job2 = ImportJob.objects.latest("id")
    client.post(reverse("dataio:job_map", args=[job2.pk]), {"col_0": "external_id", "col_1": "name",
                                                            "col_2": "phone", "col_3": "email"})
    page = client.get(reverse("dataio:job_detail", args=[job2.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "confirm-import" in page
    client.post(reverse("dataio:job_confirm", args=[job2.pk]))
    job2.refresh_from_db()
    assert job2.status == ImportStatus.DONE
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["李雷", "王小明"]


def test_mapping_errors_are_shown(client_for, sales_a):
    client = client_for(sales_a)
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "name", "col_1": "name"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "is chosen for two columns" in response.content.decode()
    response = client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "external_id"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose the column for “Name”: it is required" in response.content.decode()


def test_unreadable_upload(client_for, sales_a):
    response = upload(client_for(sales_a), name="c.xls", content=b"\xd0\xcf\x11\xe0")
    assert response.status_code == 400 and ".xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_large_files_run_in_the_background_with_progress(client_for, sales_a, settings,
                                                         django_capture_on_commit_callbacks):
    settings.KEHU_IMPORT_INLINE_BYTES = 10
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = client_for(sales_a)
    upload(client)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "external_id", "col_1": "name"})
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING and job.task_id  # queued for the worker
    page = client.get(reverse("dataio:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "hx-trigger=\"every 1s\"" in page and "You can leave this page" in page
    progress_write(job.pk, done=1, total=2, phase="check")
    fragment = client.get(reverse("dataio:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "1 of 2 rows (50%)" in fragment.content.decode() and "<html" not in fragment.content.decode()
    # The worker runs the task; the next poll tells the page to reload.
    from dataio.tasks import import_job_check_task

    import_job_check_task.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    done = client.get(reverse("dataio:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_jobs_are_scoped(client_for, sales_a, make_user, team_a, manager_a, sales_b, admin_user):
    upload(client_for(sales_a))
    job = ImportJob.objects.get()
    detail = reverse("dataio:job_detail", args=[job.pk])
    other_sales = make_user("sales", team_a)
    assert client_for(other_sales).get(detail).status_code == 404
    assert client_for(sales_b).get(detail).status_code == 404
    assert client_for(manager_a).get(detail).status_code == 200  # the team's manager reads it...
    response = client_for(manager_a).post(reverse("dataio:job_map", args=[job.pk]), {"col_1": "name"})
    assert response.status_code == 404  # ...but does not run it
    assert client_for(admin_user).get(detail).status_code == 200
    assert job.original_name in client_for(manager_a).get(LIST).content.decode()
    assert job.original_name not in client_for(sales_b).get(LIST).content.decode()


def test_roles_without_import(client_for, analyst):
    assert client_for(analyst).get(LIST).status_code == 403


def test_cancel_deletes_the_file(client_for, sales_a):
    client = client_for(sales_a)
    upload(client)
    job = ImportJob.objects.get()
    client.post(reverse("dataio:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED


def test_template_headers_map_back(client_for, sales_a):
    response = client_for(sales_a).get(reverse("dataio:template", args=["contacts"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    header = response.content.decode("utf-8-sig").strip().split(",")
    from dataio.importers import get_importer
    from dataio.mapping import suggest_mapping

    fields = get_importer("contacts").available_fields(sales_a)
    assert len(suggest_mapping(header, fields)) == len(fields)


def test_import_link_in_the_header(client_for, sales_a, analyst):
    assert LIST in client_for(sales_a).get(reverse("home")).content.decode()
    assert LIST not in client_for(analyst).get(reverse("home")).content.decode()


def test_list_queries_do_not_grow(client_for, sales_a):
    client = client_for(sales_a)
    for n in (1, 3):
        while ImportJob.objects.count() < n:
            upload(client)
        assert assert_query_baseline("dataio.imports.list", lambda: client.get(LIST)).status_code == 200
