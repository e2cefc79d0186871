"""Background tasks of complaints (run by `kehu db_worker`): the SLA alarms and the anticipation flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from core.actor import Source, acting_as


@task()
def complaint_sla_task() -> dict[str, Any]:
    """Send every SLA alarm that is due (services_complaints.sla_sweep: each alarm once)."""
    from service.services_complaints import sla_sweep

    with acting_as(None, Source.TASK):
        return sla_sweep()


@task()
def complaint_nightly_task() -> dict[str, Any]:
    """The daily run: alarms a lost enqueue missed, and every customer's anticipation flag anew
    (recent failures age out of their window)."""
    from service.services_complaints import flag_refresh, sla_sweep

    with acting_as(None, Source.TASK):
        sent = sla_sweep()
        return {**sent, "flagged": flag_refresh()}


def enqueue_sla_sweep(run_after: datetime | None = None) -> None:
    """Have the worker send the alarms due at `run_after` (now when it has passed)."""
    later = run_after is not None and run_after > timezone.now()
    (complaint_sla_task.using(run_after=run_after) if later else complaint_sla_task).enqueue()
