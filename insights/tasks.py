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


@task()
def scores_refresh_nightly_task() -> None:
    """The nightly scoring (core.periodic job "scores_refresh"): score as of today unless a run as of
    today has already finished or one is queued or running (so a second delivery does no harm)."""
    from django.utils import timezone

    from core.actor import Source, acting_as
    from insights.models import RunStatus, ScoreRun
    from insights.services import score_run_active, scores_refresh

    today = timezone.localdate()
    if score_run_active() is not None or ScoreRun.objects.filter(as_of=today, status=RunStatus.DONE).exists():
        return
    with acting_as(None, Source.TASK):
        scores_refresh(as_of=today)
