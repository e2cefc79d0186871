"""Jobs whose process died: an import killed with `kill -9`, a request cut off, a worker restarted.

While a check or an import runs, a thread of its process writes a heartbeat (dataio.progress) every
few seconds — not per row, so it also beats through a long count, index rebuild or commit. A job
still "checking" or "importing" whose heartbeat is older than the lease (KEHU_IMPORT_LEASE_SECONDS,
default 120) has no process any more. Nothing of it was imported: the dry run writes nothing, and
the import writes in ONE transaction that the database rolls back when its connection dies. Such a
job is shown as not imported (selectors) and stored so (services) when someone acts on it, so it
can be checked again or cancelled.

A job queued for the worker (it has a task id and no heartbeat yet) is not stopped: it waits, and
the page says when no worker seems to run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from dataio.models import ImportJob, ImportStatus
from dataio.progress import heartbeat_clear, heartbeat_read, heartbeat_write


def lease_seconds() -> float:
    return float(settings.KEHU_IMPORT_LEASE_SECONDS)


def beat_seconds() -> float:
    """A few beats per lease, so one late beat (a busy machine) does not end a live job."""
    return max(0.2, min(20.0, lease_seconds() / 6))


def stopped_message() -> str:
    return _("The process running this import stopped (it was killed or crashed) before it finished; nothing "
             "was imported. Check the file again, or cancel the import.")


@contextlib.contextmanager
def heartbeat(job_id: int) -> Iterator[None]:
    """Beat for the job while the block runs (a daemon thread: it dies with the process)."""
    owner = f"{socket.gethostname()}:{os.getpid()}"
    heartbeat_write(job_id, owner=owner)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(beat_seconds()):
            with contextlib.suppress(OSError):
                heartbeat_write(job_id, owner=owner)

    thread = threading.Thread(target=beat, name=f"import-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        heartbeat_clear(job_id)


def is_stopped(job: ImportJob, *, now: float | None = None) -> bool:
    """A checking/importing job whose process is gone (see the module's docstring)."""
    if job.status not in (ImportStatus.CHECKING, ImportStatus.IMPORTING):
        return False
    now = time.time() if now is None else now
    beat = heartbeat_read(job.pk)
    if beat is not None:
        return now - float(beat.get("at", 0)) > lease_seconds()
    if job.task_id:
        return False  # queued for the worker, not started yet
    # Run in the foreground but never beat: the process died between saving the status and starting.
    return job.updated_at is not None and now - job.updated_at.timestamp() > lease_seconds()


def mark_stopped(job: ImportJob) -> ImportJob:
    """Show a stopped job as what it is, not imported (in memory; services.import_job_fail_stopped
    stores it)."""
    if is_stopped(job):
        job.status = ImportStatus.FAILED
        job.error = stopped_message()
        job.stopped = True
    return job


def forget(job_id: int) -> None:
    """A job (re)starts: the heartbeat of an earlier, dead run says nothing about it."""
    heartbeat_clear(job_id)
