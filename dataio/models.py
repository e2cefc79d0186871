"""Import jobs: one uploaded file on its way from mapping through the dry run to the import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actor import Source
from core.models import TimeStampedModel
from dataio.querysets import ImportJobQuerySet


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Choose the columns")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked: waiting for confirmation")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")
    CANCELLED = "cancelled", _("Cancelled")


def import_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{timezone.now():%Y%m}/{filename}"


class ImportJob(TimeStampedModel):
    """An import of one file: the mapping the user chose, the dry-run report they confirmed, and the
    outcome. Created-by and team scope who sees it (the importer, their team's manager, admins)."""

    kind = models.CharField(_("kind"), max_length=20)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    file = models.FileField(_("file"), upload_to=import_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True, default="")
    headers = models.JSONField(_("columns"), default=list)
    # {field name: column index}
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    # The counts of the dry run the user confirmed; the import must find the same or it stops.
    confirmed_counts = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, default=Source.WEB)
    language = models.CharField(max_length=10, blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # An unexpected failure (the report holds the rows' problems).
    error = models.TextField(blank=True, default="")

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importjob_user"),
            models.Index(fields=["team", "-created_at"], name="importjob_team"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.kind})"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
