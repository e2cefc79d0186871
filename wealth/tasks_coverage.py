"""Background task of the coverage part: the nightly refresh of the stored coverage gaps."""

from __future__ import annotations

from django_tasks import task


@task()
def coverage_gaps_refresh_nightly_task() -> None:
    """Recompute every household's gaps (core.periodic job "coverage_gaps"): terms running out and
    birthdays move with the date, not with a write."""
    from core.actor import Source, acting_as
    from wealth.services_coverage import gap_summaries_refresh_all

    with acting_as(None, Source.TASK):
        gap_summaries_refresh_all()
