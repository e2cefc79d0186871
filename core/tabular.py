"""Writing tables for spreadsheets (CSV for Excel, XLSX), the part of every export that knows nothing
of the data: safe cells, streamed CSV with a byte-order mark, write-only XLSX through a temporary file.

Rows are written as they come: a million rows never sit in memory.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMATS = ("csv", "xlsx")
CHUNK = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection),
# unless it is a plain phone or number like "+86 138 1234 5678" or "-12.5".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-][\d\s().-]*$")


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: no control characters, no formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def cell(value: Any, *, for_xlsx: bool) -> Any:
    """A value as a CSV string or a typed XLSX cell (local time, dates, numbers)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value)
        return local.replace(tzinfo=None, microsecond=0) if for_xlsx else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value if for_xlsx else value.isoformat()
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value if for_xlsx else str(value)
    return safe_text(str(value))


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list[Any]], language: str, chunk: int = CHUNK) -> Iterator[str]:
    """The CSV text in chunks, starting with a byte-order mark (Excel then reads UTF-8: Chinese stays readable)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    with translation.override(language):
        batch: list[str] = []
        for row in rows:
            batch.append(writer.writerow(row))
            if len(batch) >= chunk:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)


def xlsx_file(header: list[str], rows: Iterable[list[Any]], title: str) -> IO[bytes]:
    """A write-only workbook in a temporary file, positioned at its start (the caller closes it)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
