"""Nightly jobs of the asset reviews (run by `kehu db_worker`, enqueued by `kehu periodic`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from core.actor import Source, acting_as


@task()
def reviews_nightly_task() -> dict[str, Any]:
    """Recompute every wealth customer's next-due date (cadence, owner), then remind the owners of the
    reviews due (calendar appointment + notification, once per due date). Idempotent."""
    from wealth.services_reviews import reviews_remind, schedule_refresh

    with acting_as(None, Source.TASK):
        refreshed = schedule_refresh(customer_ids=None)
        reminded = reviews_remind()
    return {"schedules": refreshed, "reminded": reminded}


@task()
def schedules_refresh_task() -> dict[str, Any]:
    """Recompute every wealth customer's next-due date (after the cadence rule changed). Idempotent."""
    from wealth.services_reviews import schedule_refresh

    with acting_as(None, Source.TASK):
        return {"schedules": schedule_refresh(customer_ids=None)}
