"""Background task of the insights app (run by `kehu db_worker`): a thin wrapper over the service."""

from __future__ import annotations

from django_tasks import task


@task()
def scores_refresh_task(run_id: int) -> None:
    """Carry out a scoring run queued by insights.services.scores_refresh_enqueue."""
    from core.actor import Source, acting_as
    from insights.services import score_run_execute

    with acting_as(None, Source.TASK):
        score_run_execute(run_id=run_id)
