"""Reads of import jobs, scoped: a job is seen by its author, their team's manager and administrators."""

from __future__ import annotations

import time
from typing import Any

from accounts.models import User
from dataio import liveness
from dataio.importers import importers
from dataio.models import ImportJob
from dataio.progress import progress_read

JOBS_SHOWN = 50


def import_job_list(*, user: User, limit: int = JOBS_SHOWN) -> list[ImportJob]:
    """The latest imports the user may see, newest first; a job whose process died shows as failed."""
    jobs = ImportJob.objects.restrict(user, "view").select_related("created_by").order_by("-created_at", "-id")
    return [liveness.mark_stopped(job) for job in jobs[:limit]]


def import_job_get(*, user: User, job_id: int, action: str = "view") -> ImportJob:
    """One job within the user's scope (ImportJob.DoesNotExist otherwise); a job whose process died
    shows as failed."""
    return liveness.mark_stopped(ImportJob.objects.restrict(user, action).select_related("created_by").get(pk=job_id))


def import_job_may_act(*, user: User, job: ImportJob) -> bool:
    return ImportJob.objects.restrict(user, "change").filter(pk=job.pk).exists()


def import_job_progress(*, job: ImportJob) -> dict[str, Any]:
    """{done, total, percent, phase, stalled}: stalled when a queued or running job has not moved for a
    while (no background worker running?)."""
    found = progress_read(job.pk) or {}
    done, total = int(found.get("done", 0)), int(found.get("total", 0) or job.total_rows or 0)
    at = found.get("at") or (job.updated_at.timestamp() if job.updated_at else time.time())
    return {
        "done": done, "total": total, "percent": min(100, round(100 * done / total)) if total else 0,
        "phase": found.get("phase", "queued"),
        "stalled": found.get("phase", "queued") == "queued" and time.time() - at > 15,
    }


def kind_label(kind: str) -> Any:
    cls = importers().get(kind)
    return cls.label if cls else kind
