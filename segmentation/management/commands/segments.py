"""`kehu segments refresh [--as-of DATE]` and `kehu segments export FILE.csv [--as-of DATE]`.

refresh: recompute every computed scheme (and the user-defined rule schemes) as of a day (default:
today in the business time zone) and print the time of each phase and the class sizes.

export: one row per customer with id, external id and every scheme's class and figures. The export
shows the stored classes; when --as-of names another day than the stored one (or nothing is stored
yet), the classes are recomputed as of that day first — this replaces the stored classes, as
`kehu segments refresh --as-of` would (docs/segmentation.md).
"""

from __future__ import annotations

import datetime as dt
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Count
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import access_record
from core.commands import KehuCommand
from segmentation import potential
from segmentation.export import export_csv
from segmentation.models import CustomerSegment
from segmentation.refresh import RefreshResult, business_today
from segmentation.services import segments_refresh


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(_("Not a date: %(value)s (write it as YYYY-MM-DD).") % {"value": value}) from exc
    if day > business_today():
        raise CommandError(_("The as-of day %(day)s is in the future.") % {"day": day.isoformat()})
    if day < dt.date(1971, 1, 1):
        raise CommandError(_("The as-of day %(day)s is too early.") % {"day": day.isoformat()})
    return day


class Command(KehuCommand):
    help = "Recompute the segmentation schemes, or export every customer's classes to a CSV file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="Recompute every scheme for every customer.")
        refresh.add_argument("--as-of", metavar="DATE", help="Compute as of this day (YYYY-MM-DD; default today).")
        export = sub.add_parser("export", help="One row per customer with every scheme's class and scores.")
        export.add_argument("file", help="The .csv file to write.")
        export.add_argument("--as-of", metavar="DATE",
                            help="Classes as of this day (recomputed first when it is not the stored day).")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options.get("verbosity", 1)
        if options["action"] == "refresh":
            self._refresh(_as_of(options["as_of"]))
        else:
            self._export(options["file"], _as_of(options["as_of"]))

    def _progress(self, phase: str) -> None:
        if self.verbosity >= 2:
            self.stdout.write(f"  {phase} …")

    def _refresh(self, as_of: dt.date | None) -> RefreshResult:
        result = segments_refresh(as_of=as_of, progress=self._progress)
        if self.verbosity >= 1:
            self.stdout.write(_("Segments as of %(day)s: %(customers)s customers, %(transitions)s lifecycle "
                                "transitions recorded, in %(seconds).1f s.") % {
                "day": result.as_of.isoformat(), "customers": f"{result.customers:,}",
                "transitions": f"{result.transitions:,}", "seconds": result.seconds})
            self.stdout.write(_("The value matrix's potential: %(source)s.") % {
                "source": potential.label_of(result.potential_source)})
            for phase, seconds in result.phases.items():
                self.stdout.write(f"  {phase:<14} {seconds:8.2f} s")
            for field in ("abc_tier", "rfm_segment", "lifecycle_stage", "loyalty", "value_class"):
                counts = CustomerSegment.objects.values_list(field).annotate(n=Count("pk")).order_by(field)
                self.stdout.write(f"  {field}: " + ", ".join(f"{key} {n:,}" for key, n in counts))
        return result

    def _export(self, file: str, as_of: dt.date | None) -> None:
        path = Path(file)
        if path.suffix.lower() != ".csv":
            raise CommandError(_("The export is a CSV file: name it *.csv."))
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": str(folder)})
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise CommandError(_("Cannot write to %(path)s.") % {"path": str(path)})
        if path.is_dir():
            raise CommandError(_("%(path)s is a folder.") % {"path": str(path)})
        stored = CustomerSegment.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        wanted = as_of or stored or business_today()
        if stored != wanted:
            self.stdout.write(_("Recomputing the segments as of %(day)s first.") % {"day": wanted.isoformat()})
            self._refresh(wanted)
        try:
            count = export_csv(path)
        except OSError as exc:
            raise CommandError(_("Cannot write to %(path)s: %(error)s") % {"path": str(path),
                                                                          "error": exc.strerror}) from exc
        access_record(user=None, action=AccessAction.EXPORT, object_repr=f"segments {path.name}",
                      detail={"kind": "segments", "rows": count, "as_of": wanted.isoformat()})
        self.stdout.write(self.style.SUCCESS(_("Wrote %(count)s customers to %(path)s.") % {
            "count": f"{count:,}", "path": str(path)}))
