"""Background tasks of segmentation (run by `kehu db_worker`): thin wrappers over the services.

`segments_refresh_task` runs nightly (core/periodic.py, registered in segmentation/jobs.py) and after
every completed import (core.registry "after_import")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_tasks import task

from core.actor import Source, acting_as


@task()
def segments_refresh_task(as_of: str | None = None) -> dict[str, Any]:
    """Recompute every scheme as of `as_of` (ISO date; default today). Idempotent."""
    from segmentation.services import segments_refresh

    with acting_as(None, Source.TASK):
        result = segments_refresh(as_of=date.fromisoformat(as_of) if as_of else None)
    return {"as_of": result.as_of.isoformat(), "customers": result.customers, "transitions": result.transitions,
            "seconds": round(result.seconds, 2), "potential_source": result.potential_source}
