"""Background tasks of service requests (run by `kehu db_worker`): the SLA warnings and escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from core.actor import Source, acting_as


@task()
def request_sla_check_task() -> dict[str, Any]:
    """Send the due SLA warnings and escalations of service requests (each once: idempotent)."""
    from service.services_requests import sla_check

    with acting_as(None, Source.TASK):
        return sla_check()


def enqueue_sla_check(run_after: datetime | None = None) -> None:
    """Have the worker check the SLAs at `run_after` (now when it has passed)."""
    later = run_after is not None and run_after > timezone.now()
    (request_sla_check_task.using(run_after=run_after) if later else request_sla_check_task).enqueue()
