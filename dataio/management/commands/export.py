"""`kehu export <kind> FILE [--user USERNAME]`: a whole list as .csv or .xlsx."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from accounts.roles import Cap
from core.commands import KehuCommand
from dataio.exports import export_to_file, exports
from dataio.management.commands._common import acting_user


class Command(KehuCommand):
    help = (
        "Export customers, orders or interactions to a .csv (UTF-8 with BOM, for Excel) or .xlsx file: what "
        "the user may export, masked as they see it, recorded in the access log (source CLI)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=sorted(exports()), help="Which list.")
        parser.add_argument("file", help="Where to write: the extension (.csv or .xlsx) picks the format.")
        parser.add_argument("--user", metavar="USERNAME", help="Whose view of the data (default: the only "
                                                                  "administrator).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        if not user.can(Cap.EXPORT):
            raise CommandError(f"{user.username} may not export data.")
        try:
            count = export_to_file(user=user, kind=options["kind"], path=options["file"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} rows to {options['file']}."))
