"""When the segments are recomputed in the background: nightly at 02:00 (business time zone), and
after every completed import. Registered from SegmentationConfig.ready()."""

from __future__ import annotations

from typing import Any

from core import registry
from core.periodic import PeriodicJob

NIGHTLY = PeriodicJob(name="segments_refresh", task="segmentation.tasks.segments_refresh_task", hour=2, minute=0)


def after_import(*, job: Any) -> None:
    """An import changed customers, orders or costs: recompute the segments in the background (called
    by dataio after the import's transaction committed)."""
    from segmentation.tasks import segments_refresh_task

    segments_refresh_task.enqueue()


def register() -> None:
    registry.add("periodic_jobs", NIGHTLY)
    registry.add("after_import", after_import)
