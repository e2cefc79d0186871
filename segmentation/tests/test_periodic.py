"""Periodic jobs: due once a day from their hour (business time zone), idempotent; the segments
refresh is registered at 02:00 and enqueued after an import."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from core import registry
from core.models import PeriodicJobRun
from core.periodic import PeriodicJob, jobs, run_due

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def queued() -> list[str]:
    return list(DBTaskResult.objects.values_list("task_path", flat=True))


def test_segments_refresh_registered_nightly_at_two():
    job = next(j for j in jobs() if j.name == "segments_refresh")
    assert (job.hour, job.minute, job.task) == (2, 0, "segmentation.tasks.segments_refresh_task")


def test_enqueued_once_a_day_from_its_hour():
    assert run_due(datetime(2026, 6, 30, 1, 59, tzinfo=SH)) == []  # not yet
    assert "segments_refresh" in run_due(datetime(2026, 6, 30, 2, 0, tzinfo=SH))
    assert "segments_refresh" not in run_due(datetime(2026, 6, 30, 2, 1, tzinfo=SH))  # already today
    assert "segments_refresh" not in run_due(datetime(2026, 6, 30, 23, 59, tzinfo=SH))
    assert queued().count("segmentation.tasks.segments_refresh_task") == 1
    # the next day at 10:00 (the scheduler was down at 02:00): caught up once
    assert "segments_refresh" in run_due(datetime(2026, 7, 1, 10, 0, tzinfo=SH))
    assert "segments_refresh" not in run_due(datetime(2026, 7, 1, 10, 1, tzinfo=SH))
    run = PeriodicJobRun.objects.get(name="segments_refresh")
    assert (run.last_day.isoformat(), run.runs) == ("2026-07-01", 2)
    assert run.last_task_id


def test_days_are_business_days():
    # 2026-06-30 18:30 UTC is 02:30 on 1 July in Shanghai: the job of 1 July is due
    run_due(datetime(2026, 6, 30, 17, 0, tzinfo=ZoneInfo("UTC")))  # 01:00 Shanghai: nothing
    assert not PeriodicJobRun.objects.filter(name="segments_refresh").exists()
    assert "segments_refresh" in run_due(datetime(2026, 6, 30, 18, 30, tzinfo=ZoneInfo("UTC")))
    assert PeriodicJobRun.objects.get(name="segments_refresh").last_day.isoformat() == "2026-07-01"


def test_a_failing_enqueue_leaves_the_job_due(monkeypatch):
    job = PeriodicJob(name="test_broken", task="segmentation.tests.test_periodic.broken_task", hour=0)
    registry.add("periodic_jobs", job)
    try:
        with pytest.raises(RuntimeError):
            run_due(datetime(2026, 6, 30, 3, 0, tzinfo=SH))
        assert not PeriodicJobRun.objects.filter(name="test_broken").exists()
    finally:
        registry._lists["periodic_jobs"].remove(job)


class _Broken:
    def enqueue(self) -> None:
        raise RuntimeError("queue down")


broken_task = _Broken()


def test_bad_time_is_refused():
    with pytest.raises(ValueError):
        PeriodicJob(name="x", task="y", hour=24)


def test_command_once_and_list():
    import io

    out = io.StringIO()
    call_command("periodic", "--list", stdout=out)
    assert "02:00  segments_refresh" in out.getvalue()
    call_command("periodic", stdout=io.StringIO())
    call_command("periodic", stdout=io.StringIO())
    # whatever the time of day the test runs: at most one enqueue today
    assert queued().count("segmentation.tasks.segments_refresh_task") <= 1


def test_import_enqueues_a_refresh(django_capture_on_commit_callbacks):
    from segmentation.jobs import after_import

    assert after_import in registry.get_all("after_import")
    with django_capture_on_commit_callbacks(execute=True):
        after_import(job=None)
    assert queued() == ["segmentation.tasks.segments_refresh_task"]


def test_refresh_task_runs_the_refresh(sales_a):
    from segmentation.models import CustomerSegment
    from segmentation.tasks import segments_refresh_task
    from segmentation.tests.history import History

    c = History(sales_a).customer()
    out = segments_refresh_task.call(as_of="2026-06-30")
    assert out["customers"] == 1 and out["as_of"] == "2026-06-30"
    assert CustomerSegment.objects.get(customer=c).lifecycle_stage == "potential"
