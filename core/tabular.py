"""Writing tables for spreadsheets (CSV for Excel, XLSX), the part of every export that knows nothing
of the data: safe cells, streamed CSV with a byte-order mark, write-only XLSX through a temporary file.

Rows are written as they come: a million rows never sit in memory.
"""

from __future__ import annotations

import csv
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from django.http import StreamingHttpResponse
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


# --- XLSX as a stream -------------------------------------------------------------------------------
# openpyxl writes a workbook only when it is saved, so a download of 200,000 orders started after the
# whole file was built (3 minutes of nothing on the development machine). The workbook below is
# written row by row into a zip that is handed out as it grows: the minimal parts of an XLSX file,
# inline strings (no shared-string table to hold in memory), dates as numbers with a date style.

_EPOCH = datetime(1899, 12, 30)
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/></Relationships>'),
    # Cell styles: 0 general, 1 date, 2 date and time.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


def _workbook_xml(title: str) -> str:
    name = escape(re.sub(r"[\\/?*\[\]:]", " ", title)[:31] or "Sheet1", {'"': "&quot;"})
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')


def _xlsx_cell(value: Any) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float, Decimal)):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, datetime):
        days = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c s="2"><v>{days!r}</v></c>'
    if isinstance(value, date):
        return f'<c s="1"><v>{(value - _EPOCH.date()).days}</v></c>'
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


class _Pipe:
    """The write end of the zip: collects what was written until the generator hands it out."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def xlsx_stream(header: list[str], rows: Iterable[list[Any]], title: str, chunk: int = CHUNK) -> Iterator[bytes]:
    """A one-sheet XLSX file in pieces as the rows come (typed cells as `cell(..., for_xlsx=True)`
    gives them): the download starts at once and no row is kept once written."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/workbook.xml", _workbook_xml(title))
        yield pipe.take()
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            batch = ['<row r="1">' + "".join(map(_xlsx_cell, header)) + "</row>"]
            for number, row in enumerate(rows, start=2):
                batch.append(f'<row r="{number}">' + "".join(map(_xlsx_cell, row)) + "</row>")
                if len(batch) >= chunk:
                    sheet.write("".join(batch).encode())
                    batch = []
                    yield pipe.take()
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
    yield pipe.take()


def download(*, fmt: str, filename: str, header: list[str], rows: Callable[[bool], Iterable[list[Any]]],
             title: str, chunk: int = CHUNK) -> StreamingHttpResponse:
    """An export as a download that starts at once: CSV or XLSX streamed as `rows(for_xlsx)` yields
    its rows (docs/import.md, "Exports")."""
    if fmt == "csv":
        body: Iterator[Any] = csv_stream(header, rows(False), translation.get_language() or "en", chunk=chunk)
        content_type = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, content_type = xlsx_stream(header, rows(True), title, chunk=chunk), XLSX_TYPE
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
