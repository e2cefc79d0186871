"""Periodic jobs: background tasks enqueued once a day at a set hour (business time zone).

Registering a job (in an app's `AppConfig.ready()`)::

    from core import registry
    from core.periodic import PeriodicJob

    registry.add("periodic_jobs", PeriodicJob(name="segments_refresh",
                                              task="segmentation.tasks.segments_refresh_task",
                                              hour=2, minute=0))

- `name`: a stable key (the last enqueue is recorded under it, in `core.PeriodicJobRun`).
- `task`: the dotted path of a django-tasks task (`@task()`), enqueued without arguments; it must
  be idempotent (a job that runs twice must do no harm).
- `hour`, `minute`: the time of day in the business time zone (settings.TIME_ZONE /
  KEHU_TIME_ZONE) from which the job is due.

`kehu periodic` enqueues every job that is due — its time today has passed and it was not enqueued
today — and records it; `kehu periodic --loop` checks every 30 seconds. Run one of them next to
`kehu db_worker` (which runs the tasks): from cron every minute, or as a process of its own. It is
idempotent and safe to run concurrently: a job is claimed by one conditional UPDATE in the same
transaction as its enqueue, so however many schedulers run, a job is enqueued at most once a day.
A scheduler that was down at the job's time enqueues it when it next runs (once), so a missed
night is caught up in the morning. See docs/deploy.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from core import registry

logger = logging.getLogger(__name__)

REGISTRY_NAME = "periodic_jobs"


@dataclass(frozen=True)
class PeriodicJob:
    """A task enqueued once a day from `hour:minute` in the business time zone."""

    name: str
    task: str
    hour: int
    minute: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"periodic job {self.name!r}: no such time {self.hour}:{self.minute:02d}")

    def due_from(self, day: date) -> datetime:
        """The instant the job becomes due on `day`."""
        return datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=_zone())


def _zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE)


def jobs() -> list[PeriodicJob]:
    """Every registered job, by name (a name registered twice is a configuration error)."""
    found = registry.get_all(REGISTRY_NAME)
    names = [j.name for j in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"periodic jobs registered twice: {sorted(duplicates)}")
    return sorted(found, key=lambda j: (j.hour, j.minute, j.name))


def _claim(job: PeriodicJob, today: date, now: datetime) -> bool:
    """Record that `job` is enqueued today; False when another run already did (one UPDATE decides)."""
    from core.models import PeriodicJobRun

    claimed = PeriodicJobRun.objects.filter(Q(last_day__isnull=True) | Q(last_day__lt=today), name=job.name).update(
        last_day=today, last_enqueued_at=now, runs=F("runs") + 1)
    if claimed:
        return True
    if PeriodicJobRun.objects.filter(name=job.name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicJobRun.objects.create(name=job.name, last_day=today, last_enqueued_at=now, runs=1)
    except IntegrityError:  # another scheduler created it a moment ago: it has the job
        return False
    return True


def run_due(now: datetime | None = None) -> list[str]:
    """Enqueue every job due at `now` (default: now) that was not enqueued today; returns their names."""
    now = now or timezone.now()
    local = now.astimezone(_zone())
    enqueued = []
    for job in jobs():
        if local < job.due_from(local.date()):
            continue
        task = import_string(job.task)
        with transaction.atomic():
            if not _claim(job, local.date(), now):
                continue
            # In the claim's transaction: if the enqueue fails, the claim is undone and the next run retries.
            result = task.enqueue()
            from core.models import PeriodicJobRun

            PeriodicJobRun.objects.filter(name=job.name).update(last_task_id=str(result.id))
        logger.info("periodic job %s enqueued (task %s)", job.name, result.id)
        enqueued.append(job.name)
    return enqueued
