"""Jobs whose process died (issue 14, item 6): a CLI import killed with `kill -9` stayed "importing", a
killed request left "checking" forever, and cancel refused them. A heartbeat older than the lease
marks them failed — nothing was imported — and they can be checked again or cancelled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from customers.models import Customer
from dataio import liveness, selectors, services
from dataio.models import ImportJob, ImportStatus
from dataio.progress import _beat_path, heartbeat_read, heartbeat_write, progress_read

from .test_import_beside_server import sqlite_file  # noqa: F401 - a fixture
from .test_views import upload

pytestmark = pytest.mark.django_db


def _running(client, status: str, *, beat_age: float | None, task_id: str = "") -> ImportJob:
    upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=status, task_id=task_id)
    if beat_age is not None:
        heartbeat_write(job.pk, owner="elsewhere:4242")
        _beat_path(job.pk).write_text(json.dumps({"owner": "elsewhere:4242", "at": time.time() - beat_age}))
    return ImportJob.objects.get(pk=job.pk)


def test_a_dead_import_shows_as_not_imported_and_can_be_cancelled(client_for, sales_a):
    client = client_for(sales_a)
    job = _running(client, ImportStatus.IMPORTING, beat_age=settings.KEHU_IMPORT_LEASE_SECONDS + 5)
    page = client.get(reverse("dataio:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not imported" in page and "nothing was imported" in page and "every 1s" not in page
    assert "Not imported" in client.get(reverse("dataio:job_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    poll = client.get(reverse("dataio:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 204  # the polling page reloads and shows the failure
    client.post(reverse("dataio:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert heartbeat_read(job.pk) is None


def test_a_dead_check_can_be_checked_again(client_for, sales_a):
    client = client_for(sales_a)
    job = _running(client, ImportStatus.CHECKING, beat_age=settings.KEHU_IMPORT_LEASE_SECONDS + 5)
    response = client.post(reverse("dataio:job_map", args=[job.pk]), {"col_0": "external_id", "col_1": "name"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.error == ""
    assert heartbeat_read(job.pk) is None  # the new run's heartbeat ended with it


def test_a_live_job_is_left_alone(client_for, sales_a):
    client = client_for(sales_a)
    job = _running(client, ImportStatus.IMPORTING, beat_age=1)
    page = client.get(reverse("dataio:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Importing…" in page and "nothing was imported" not in page
    client.post(reverse("dataio:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING  # cancel still refuses a running import
    assert services.import_job_fail_stopped(job_id=job.pk) is False


def test_a_queued_job_waits_for_the_worker(client_for, sales_a):
    client = client_for(sales_a)
    job = _running(client, ImportStatus.CHECKING, beat_age=None, task_id="t-1")
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    job.refresh_from_db()
    assert not liveness.is_stopped(job)
    assert selectors.import_job_get(user=sales_a, job_id=job.pk).status == ImportStatus.CHECKING


def test_a_request_killed_before_its_first_beat(client_for, sales_a):
    """Run in the foreground (no task id), no heartbeat, the status saved long ago."""
    client = client_for(sales_a)
    job = _running(client, ImportStatus.CHECKING, beat_age=None)
    assert not liveness.is_stopped(job)  # just saved: its process may be about to beat
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert services.import_job_fail_stopped(job_id=job.pk) is True
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "nothing was imported" in job.error


@pytest.fixture
def database_url(request) -> str:
    """A URL another process can reach the test database at (SQLite: a file copy of it)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{request.getfixturevalue('sqlite_file')}"
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cli_import_killed_with_sigkill(database_url, tmp_path):
    """A real `kehu import` killed with SIGKILL halfway through its transaction: the job is left
    "importing", nothing of it is in the database, and it is then seen as stopped and cancelled."""
    admin = User.objects.create_superuser(username="root", password="x" * 12, email="r@example.cn")
    rows = ["客户编号,客户名称,城市", *(f"K{i:06d},客户{i},杭州" for i in range(60_000))]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database_url, "KEHU_MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "KEHU_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    proc = subprocess.Popen([sys.executable, "-m", "kehu", "import", "customers", str(path), "--user", "root"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        job = None
        while time.monotonic() < deadline and proc.poll() is None:
            job = ImportJob.objects.filter(status=ImportStatus.IMPORTING).first()
            if job and (progress_read(job.pk) or {}).get("phase") == "apply":
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING  # what the kill leaves behind
    assert Customer.objects.count() == 0  # the transaction died with the process: nothing imported
    beat = heartbeat_read(job.pk)
    assert beat and beat["owner"].endswith(f":{proc.pid}")
    assert not liveness.is_stopped(job)  # within the lease it could still be alive...
    assert liveness.is_stopped(job, now=beat["at"] + settings.KEHU_IMPORT_LEASE_SECONDS + 1)  # ...then not
    heartbeat_write(job.pk, owner=beat["owner"])
    _beat_path(job.pk).write_text(json.dumps({**beat, "at": beat["at"] - settings.KEHU_IMPORT_LEASE_SECONDS - 1}))
    services.import_job_cancel(actor=admin, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and not Path(job.file.path).exists()
