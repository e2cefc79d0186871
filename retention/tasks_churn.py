"""Background task of the churn part (run by `kehu db_worker`): the nightly churn refresh."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from core.actor import Source, acting_as


@task()
def churn_refresh_task(as_of: str | None = None) -> dict[str, Any]:
    """Recompute the losses and the monthly churn figures (idempotent)."""
    from datetime import date

    from retention.services_churn import churn_refresh

    with acting_as(None, Source.TASK):
        result = churn_refresh(as_of=date.fromisoformat(as_of) if as_of else None)
    return {"as_of": result.as_of.isoformat(), "events": result.events, "rows": result.rows,
            "seconds": round(result.seconds, 2)}
