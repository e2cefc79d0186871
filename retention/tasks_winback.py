"""Background tasks of the win-back part (run by `kehu db_worker`): thin wrappers over the services."""

from __future__ import annotations

from django_tasks import task


@task()
def campaign_run_task(campaign_id: int) -> None:
    """Make a campaign's attempts (queued by retention.services_winback.campaign_create)."""
    from core.actor import Source, acting_as
    from retention.services_winback import campaign_execute

    with acting_as(None, Source.TASK):
        campaign_execute(campaign_id=campaign_id)


@task()
def winback_attribute_task() -> None:
    """The nightly credit of win-backs to attempts (core.periodic job "winback_attribute"), after the
    segments refresh has recorded the night's won-back transitions."""
    from core.actor import Source, acting_as
    from retention.services_winback import winback_attribute

    with acting_as(None, Source.TASK):
        winback_attribute()


@task()
def churn_digest_task() -> None:
    """The weekly churn digest (core.periodic job "churn_digest", daily; sends once a week)."""
    from core.actor import Source, acting_as
    from retention.digest_winback import weekly_digest

    with acting_as(None, Source.TASK):
        weekly_digest()
