"""Background tasks of the SLA part (run by `kehu db_worker`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from core.actor import Source, acting_as


@task()
def remind_renewals_task() -> dict[str, Any]:
    """The morning run: remind the owners of agreements about to end (each once per end date, so a
    run that comes twice does no harm)."""
    from service.services_sla import remind_renewals

    with acting_as(None, Source.TASK):
        return {"reminded": remind_renewals()}
