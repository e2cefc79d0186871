"""Import jobs: upload → mapping → dry run → confirmation → import, each step a service.

The import itself runs in ONE transaction: every row is checked again while writing, and if any
row fails, or the counts differ from the dry run the user confirmed (someone changed the data in
between), the transaction is rolled back and nothing at all was imported.

Small files are checked and imported inside the request; larger ones by the background worker
(`kehu db_worker`), with the page polling the progress. The CLI always runs in the foreground.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core import db, registry
from core.actor import Source, acting_as, current_actor
from dataio import liveness
from dataio.importers import get_importer, importers
from dataio.importers.base import Importer, Report
from dataio.mapping import suggest_mapping
from dataio.models import ImportJob, ImportStatus
from dataio.progress import progress_clear, progress_write
from dataio.readers import Table, TableError, format_of, open_table, too_many_rows

logger = logging.getLogger(__name__)

# The counts that must be the same in the import as in the dry run the user confirmed.
CONFIRMED = ("create", "update", "unchanged", "skip", "invalid")


class _Abort(Exception):
    def __init__(self, report: Report, reason: str) -> None:
        super().__init__(reason)
        self.report = report
        self.reason = reason


def _job(actor: User, job_id: int, action: str = "change") -> ImportJob:
    """The job, locked; a job whose process died is stored as failed first (it can then be checked
    again or cancelled)."""
    try:
        job = ImportJob.objects.restrict(actor, action).select_for_update().get(pk=job_id)
    except ImportJob.DoesNotExist as exc:
        raise PermissionDenied(_("You do not have access to this import.")) from exc
    if liveness.is_stopped(job):
        _fail_stopped(job)
    return job


def _fail_stopped(job: ImportJob) -> None:
    logger.warning("import %s: its process stopped while %s; marked failed", job.pk, job.status)
    _finish(job, status=ImportStatus.FAILED, error=liveness.stopped_message())
    liveness.forget(job.pk)


def import_job_fail_stopped(*, job_id: int) -> bool:
    """Store a job whose process died as failed (True if it was one). Idempotent."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not liveness.is_stopped(job):
            return False
        _fail_stopped(job)
    return True


def _importer_class(actor: User, kind: str) -> type[Importer]:
    try:
        cls = get_importer(kind)
    except KeyError as exc:
        raise ValidationError({"kind": _("Unknown kind of import.")}) from exc
    if not cls.permitted(actor):
        raise PermissionDenied(_("Your role may not import %(kind)s.") % {"kind": cls.label})
    return cls


def importable_kinds(user: User) -> list[tuple[str, Any]]:
    """(kind, label) of the imports this user may run."""
    return [(kind, cls.label) for kind, cls in importers().items() if cls.permitted(user)]


@transaction.atomic
def import_job_create(*, actor: User, kind: str, upload: File, source: str | None = None) -> ImportJob:
    """Store the uploaded file, read its header and suggest a mapping."""
    cls = _importer_class(actor, kind)
    name = Path(upload.name or "").name
    try:
        fmt = format_of(name)
    except TableError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if upload.size > settings.KEHU_IMPORT_MAX_BYTES:
        raise ValidationError({"file": _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": round(upload.size / 1048576, 1), "limit": round(settings.KEHU_IMPORT_MAX_BYTES / 1048576)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    job = ImportJob(
        kind=kind, original_name=name[:255], format=fmt, created_by=actor, team_id=actor.team_id,
        source=source or current_actor().source, language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(name, upload, save=False)
    try:
        table = open_table(job.file.path, name)
    except TableError as exc:
        job.file.delete(save=False)
        raise ValidationError({"file": str(exc)}) from exc
    if not table.sample:
        job.file.delete(save=False)
        raise ValidationError({"file": _("The file has no data rows: below the row of column names there is "
                                         "nothing to import.")})
    job.headers = table.headers
    job.encoding = table.encoding
    job.mapping = suggest_mapping(table.headers, cls.available_fields(actor))
    job.save()
    return job


def job_table(job: ImportJob) -> Table:
    return open_table(job.file.path, job.original_name)


def job_importer(job: ImportJob, mapping: Mapping[str, int] | None = None) -> Importer:
    cls = get_importer(job.kind)
    return cls(user=job.created_by, mapping=dict(mapping if mapping is not None else job.mapping),
               headers=job.headers, note=_("Import #%(id)s: %(file)s") % {"id": job.pk, "file": job.original_name})


def import_job_map(*, actor: User, job_id: int, mapping: Mapping[str, int]) -> ImportJob:
    """Save the user's mapping and start the dry run."""
    with transaction.atomic():
        job = _job(actor, job_id)
        if job.status not in (ImportStatus.MAPPING, ImportStatus.CHECKED, ImportStatus.FAILED):
            raise ValidationError(_("This import can no longer be changed."))
        _importer_class(actor, job.kind)
        importer = job_importer(job, mapping)
        problems = importer.mapping_errors()
        if problems:
            raise ValidationError(problems)
        job.mapping = importer.mapping
        job.status = ImportStatus.CHECKING
        job.report, job.counts, job.confirmed_counts, job.error = {}, {}, {}, ""
        job.progress_done = job.progress_total = 0
        job.task_id = ""
        job.save()
    _start(job, "check")
    return job


def import_job_confirm(*, actor: User, job_id: int) -> ImportJob:
    """The user accepts the dry run: import exactly that, or nothing."""
    with transaction.atomic():
        job = _job(actor, job_id)
        if job.status != ImportStatus.CHECKED:
            raise ValidationError(_("Only a checked import can be confirmed."))
        if job.report.get("errors_total"):
            raise ValidationError(_("Correct the rows with errors in the file and upload it again."))
        job.confirmed_counts = {k: job.counts.get(k, 0) for k in CONFIRMED}
        job.status = ImportStatus.IMPORTING
        job.task_id = ""
        job.save(update_fields=["confirmed_counts", "status", "task_id", "updated_at"])
    _start(job, "apply")
    return job


@transaction.atomic
def import_job_cancel(*, actor: User, job_id: int) -> ImportJob:
    """Drop an import that was not imported (its file is deleted)."""
    job = _job(actor, job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.IMPORTING, ImportStatus.CANCELLED):
        raise ValidationError(_("This import can no longer be cancelled."))
    job.status = ImportStatus.CANCELLED
    job.save(update_fields=["status", "updated_at"])
    transaction.on_commit(lambda: job.file.delete(save=False))
    return job


def _start(job: ImportJob, phase: str) -> None:
    """Run the phase now (small files, the CLI) or hand it to the background worker."""
    liveness.forget(job.pk)
    if job.source == Source.CLI or _fits_inline(job, phase):
        _run_phase(job.pk, phase)
        return
    from dataio import tasks

    task = tasks.import_job_check_task if phase == "check" else tasks.import_job_apply_task
    progress_write(job.pk, done=0, total=job.total_rows, phase="queued")

    def enqueue() -> None:
        result = task.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))

    # After commit: the worker must find the job in its new state.
    transaction.on_commit(enqueue)


def _fits_inline(job: ImportJob, phase: str) -> bool:
    """Small enough to run inside the request: few bytes AND few rows. A small file is not a short
    one (an XLSX of 238 KB can unpack to 800,000 rows), so the rows are counted up to the budget
    and no further before the check; the import knows them from the check."""
    budget = settings.KEHU_IMPORT_INLINE_ROWS
    if job.file.size > settings.KEHU_IMPORT_INLINE_BYTES:
        return False
    if phase != "check":
        return job.total_rows <= budget
    try:
        return job_table(job).count(limit=budget + 1) <= budget
    except (TableError, OSError):
        return True  # the check says at once what is wrong with the file


def _run_phase(job_id: int, phase: str) -> None:
    if phase == "check":
        import_job_check(job_id=job_id)
    else:
        import_job_apply(job_id=job_id)


def _progress(job: ImportJob, phase: str, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        progress_write(job.pk, done=done, total=max(total, done), phase=phase)

    return report


def _finish(job: ImportJob, **fields: Any) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])
    progress_clear(job.pk)


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run: every row checked, nothing written. Idempotent (a job not waiting is left alone)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job
    with acting_as(job.created_by, job.source), translation.override(job.language or None), \
            liveness.heartbeat(job.pk):
        try:
            table = job_table(job)
            total = table.count(limit=settings.KEHU_IMPORT_MAX_ROWS + 1)
            if total > settings.KEHU_IMPORT_MAX_ROWS:
                raise TableError(too_many_rows(settings.KEHU_IMPORT_MAX_ROWS))
            job.started_at = timezone.now()
            ImportJob.objects.filter(pk=job.pk).update(started_at=job.started_at, total_rows=total,
                                                       progress_total=total)
            with _bulk_mode():
                report = job_importer(job).run(table.rows(), apply=False, progress=_progress(job, "check", total))
        except (TableError, OSError) as exc:
            _finish(job, status=ImportStatus.FAILED, error=str(exc))
            return job
        except Exception:
            logger.exception("import %s: dry run failed", job.pk)
            _finish(job, status=ImportStatus.FAILED, error=_("The check stopped on an unexpected error."))
            raise
        _finish(job, status=ImportStatus.CHECKED, report=report.as_json(), counts=report.counts(),
                total_rows=report.rows, progress_done=report.rows, progress_total=report.rows)
    return job


# Below this many new rows, indexes are kept up to date row by row rather than rebuilt.
BULK_FROM = 20_000


@contextlib.contextmanager
def _bulk_mode() -> Iterator[None]:
    """No cyclic garbage collection over the batches' objects (they form no cycles; a collection
    pass over 100,000 rows' instances costs seconds), and the database's bulk-load settings."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with db.bulk_load_settings():
            yield
    finally:
        if collecting:
            gc.enable()


@contextlib.contextmanager
def _deferred(importer: Importer, counts: Mapping[str, int]) -> Iterator[None]:
    """Inside the import's transaction: when the import at least doubles a table, its indexes are
    dropped and built again at the end (faster than keeping them up to date row by row); when it only
    adds rows, the search index is filled once at the end instead of by a trigger per row."""
    creates = counts.get("create", 0)
    with contextlib.ExitStack() as stack:
        if creates >= BULK_FROM:
            big = [m for m in importer.bulk_models() if creates >= m._default_manager.count()]
            if big:
                stack.enter_context(db.indexes_deferred(big))
        index = importer.text_index()
        if index is not None and creates and not counts.get("update"):
            importer.inserted_ranges = stack.enter_context(db.text_index_deferred(index))
        yield


def import_job_apply(*, job_id: int) -> ImportJob:
    """The import: all rows in one transaction, or none."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        return job
    with acting_as(job.created_by, job.source), translation.override(job.language or None), \
            liveness.heartbeat(job.pk):
        job.started_at = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(started_at=job.started_at)
        try:
            with transaction.atomic(), _bulk_mode():
                table = job_table(job)
                importer = job_importer(job)
                with _deferred(importer, job.confirmed_counts):
                    report = importer.run(table.rows(), apply=True, progress=_progress(job, "apply", job.total_rows))
                if not report.ok:
                    raise _Abort(report, _("Some rows are no longer valid; nothing was imported. Check the file "
                                           "again."))
                found = report.counts()
                if any(found.get(k, 0) != job.confirmed_counts.get(k, 0) for k in CONFIRMED):
                    raise _Abort(report, _("The data changed since the check (the counts differ); nothing was "
                                           "imported. Check the file again."))
        except _Abort as abort:
            _finish(job, status=ImportStatus.FAILED, report=abort.report.as_json(), counts=abort.report.counts(),
                    error=abort.reason)
            return job
        except (TableError, OSError) as exc:
            _finish(job, status=ImportStatus.FAILED, error=str(exc))
            return job
        except DatabaseError:
            logger.exception("import %s: database error", job.pk)
            _finish(job, status=ImportStatus.FAILED, error=_(
                "The database refused the import (another change to the same records?); nothing was imported."
            ))
            return job
        except Exception:
            logger.exception("import %s: failed", job.pk)
            _finish(job, status=ImportStatus.FAILED, error=_("The import stopped on an unexpected error; nothing "
                                                             "was imported."))
            raise
        _finish(job, status=ImportStatus.DONE, report=report.as_json(), counts=report.counts(),
                progress_done=report.rows, progress_total=report.rows)
        # Apps that follow imports (e.g. the segments refresh): core.registry "after_import", after commit.
        for hook in registry.get_all("after_import"):
            transaction.on_commit(functools.partial(hook, job=job))
    return job


def import_file(
    *, actor: User, kind: str, path: str | Path, mapping: Mapping[str, int] | None = None, dry_run: bool = False,
) -> ImportJob:
    """The CLI's import: create the job, check it, and (unless a dry run or rows are invalid) import it,
    all in the foreground. `mapping` None: the suggested one."""
    path = Path(path)
    with open(path, "rb") as handle:
        job = import_job_create(actor=actor, kind=kind, upload=File(handle, name=path.name), source=Source.CLI)
    import_job_map(actor=actor, job_id=job.pk, mapping=job.mapping if mapping is None else mapping)
    job.refresh_from_db()
    if dry_run or job.status != ImportStatus.CHECKED or job.report.get("errors_total"):
        return job
    import_job_confirm(actor=actor, job_id=job.pk)
    job.refresh_from_db()
    return job
