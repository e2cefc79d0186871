"""`kehu import <kind> FILE [--dry-run] [--mapping M.json] [--user USERNAME]`."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from core.commands import KehuCommand
from dataio.importers import importers
from dataio.management.commands._common import acting_user
from dataio.mapping import mapping_from_spec
from dataio.models import ImportStatus
from dataio.readers import TableError, open_table
from dataio.services import import_file

ERRORS_SHOWN = 50


class Command(KehuCommand):
    help = (
        "Import customers, contacts, products, orders, interactions or costs from a CSV (UTF-8, UTF-8 with BOM, "
        "GBK) or XLSX file: check every row, then import all of them in one transaction — or none. Rows are "
        "matched by external ID, so importing the same file again changes nothing. Exit status 1 when rows "
        "are invalid (nothing is imported)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=sorted(importers()), help="What the file holds.")
        parser.add_argument("file", help="A .csv or .xlsx file; the first row names the columns.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; import nothing.")
        parser.add_argument(
            "--mapping", metavar="M.json",
            help='Which column feeds which field: {"field": "column header" or column number (1 = first)}. '
                 "Without it, columns are matched by their headers (Chinese or English).",
        )
        parser.add_argument("--user", metavar="USERNAME", help="Who imports (default: the only administrator).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        kind = options["kind"]
        mapping = None
        if options["mapping"]:
            try:
                spec = json.loads(Path(options["mapping"]).read_text(encoding="utf-8"))
                table = open_table(path)
                mapping = mapping_from_spec(spec, table.headers, importers()[kind].available_fields(user))
            except (OSError, ValueError, TableError) as exc:
                raise CommandError(f"Mapping: {exc}") from exc
        try:
            job = import_file(actor=user, kind=kind, path=path, mapping=mapping, dry_run=options["dry_run"])
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        job.refresh_from_db()
        self._report(job, dry_run=options["dry_run"])

    def _report(self, job: Any, *, dry_run: bool) -> None:
        headers = job.headers
        used = ", ".join(f"{name} ← {headers[col]}" for name, col in job.mapping.items())
        self.stdout.write(f"Columns: {used}")
        if job.encoding:
            self.stdout.write(f"Read as {job.encoding}.")
        c = job.counts or {}
        self.stdout.write(
            f"Rows {c.get('rows', 0)}: create {c.get('create', 0)}, update {c.get('update', 0)}, "
            f"unchanged {c.get('unchanged', 0)}, skip {c.get('skip', 0)}, invalid {c.get('invalid', 0)}."
        )
        for note in (job.report or {}).get("notes", []):
            self.stdout.write(f"Note: {note['message']} ({note['count']})")
        errors = (job.report or {}).get("errors", [])
        for e in errors[:ERRORS_SHOWN]:
            self.stderr.write(f"row {e['row']}, {e['column']}: {e['message']}" + (f" [{e['value']}]" if e["value"]
                                                                                   else ""))
        total = (job.report or {}).get("errors_total", 0)
        if total > ERRORS_SHOWN:
            self.stderr.write(f"… and {total - ERRORS_SHOWN} more problems.")
        if job.status == ImportStatus.DONE:
            self.stdout.write(self.style.SUCCESS(f"Imported (import #{job.pk})."))
        elif dry_run and job.status == ImportStatus.CHECKED and not total:
            self.stdout.write(f"Dry run: nothing imported (import #{job.pk}).")
        else:
            raise CommandError(job.error or f"Nothing was imported: {total} problem(s) (import #{job.pk}).",
                               returncode=1)
