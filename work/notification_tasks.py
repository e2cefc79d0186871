"""Background tasks of notifications (run by `kehu db_worker`): sending the outbox."""

from __future__ import annotations

from datetime import datetime
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


@task()
def remind_tasks_task() -> dict[str, Any]:
    """Remind every task whose reminder time has come (work.services_tasks.remind_due_tasks; each task
    is reminded once, so a run that comes twice, or early, does no harm)."""
    from work.services_tasks import remind_due_tasks

    with acting_as(None, Source.TASK):
        return {"reminded": remind_due_tasks()}


def enqueue_reminders(run_after: datetime | None = None) -> None:
    """Have the worker remind the due tasks at `run_after` (now when it has passed)."""
    later = run_after is not None and run_after > timezone.now()
    (remind_tasks_task.using(run_after=run_after) if later else remind_tasks_task).enqueue()
