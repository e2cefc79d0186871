"""Background tasks of notifications (run by `kehu db_worker`): sending the outbox."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from core.actor import Source, acting_as


@task()
def send_outbox_task() -> dict[str, Any]:
    """Send every due message; when some failed and wait for a retry, enqueue itself for the earliest.
    Idempotent."""
    from work.outbox import enqueue_sending, next_retry_at, send_due

    with acting_as(None, Source.TASK):
        report = send_due()
        # Only a run that put messages back waits for them: others leave the retry to that one.
        later = next_retry_at() if report.retried else None
        if later is not None and later > timezone.now():
            enqueue_sending(run_after=later)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


@task()
def outbox_sweep_task() -> dict[str, Any]:
    """The daily safety net: messages of a dead worker back to the queue, and everything due sent."""
    return send_outbox_task.call()
