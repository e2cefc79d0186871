"""Reading the tables users bring: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) and XLSX.

Chinese Excel saves "CSV" in GBK unless told otherwise, and "Unicode text" as tab-separated UTF-16,
so the encoding is detected rather than asked: a byte-order mark decides; otherwise the file is
UTF-8 if it decodes as strict UTF-8, else GB18030 (a superset of GBK and GB2312). The delimiter
(comma, semicolon, tab, bar) is sniffed from the first lines.

Rows carry the number a spreadsheet program shows (the header is row 1), so a report saying
"row 17" points at the row the user sees. Blank rows are skipped but keep the numbering.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")
# CSV fields can be long (notes, addresses); the stdlib default of 128 KiB is kept as the limit.
csv.field_size_limit(1 << 20)


class TableError(Exception):
    """The file cannot be read as a table; the message is for the user."""


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: list[Any]

    def get(self, index: int) -> Any:
        return self.cells[index] if index < len(self.cells) else None


@dataclass
class Table:
    """A table's header and how it was read; rows() reads the data rows again each time."""

    path: Path
    format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    sample: list[Row] = field(default_factory=list)

    def rows(self) -> Iterator[Row]:
        if self.format == "xlsx":
            return _xlsx_rows(self.path, self.header_row)
        return _csv_rows(self.path, self.encoding, self.delimiter, self.header_row)

    def count(self, limit: int | None = None) -> int:
        """The data rows; with a limit, reading stops there (at most `limit` is returned)."""
        return sum(1 for _row in itertools.islice(self.rows(), limit))


def format_of(filename: str) -> str:
    """"csv" or "xlsx" from the file name; TableError for anything else."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in ("csv", "txt", "tsv"):
        return "csv"
    if ext in ("xlsx", "xlsm"):
        return "xlsx"
    if ext == "xls":
        raise TableError(_("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    raise TableError(_("Files of type “%(ext)s” cannot be imported: use CSV or XLSX.") % {"ext": ext or "?"})


def detect_encoding(raw: bytes) -> str:
    """BOM → its encoding; strict UTF-8 if the bytes decode; else GB18030 (covers GBK)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError(
            _("The file is neither UTF-8 nor GBK text (byte %(pos)s). Save it as CSV UTF-8 or XLSX.")
            % {"pos": exc.start}
        ) from exc
    return "gb18030"


def _sniff_delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return max(",;\t|", key=first.count) if first and any(d in first for d in ",;\t|") else ","


def _clean_header(value: Any, index: int) -> str:
    text = "" if value is None else str(value).strip()
    return text or _("Column %(number)s") % {"number": index + 1}


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _csv_rows(path: Path, encoding: str, delimiter: str, header_row: int) -> Iterator[Row]:
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for number, cells in enumerate(reader, start=1):
            if number <= header_row or _is_blank(cells):
                continue
            yield Row(number, cells)


def _xlsx_value(value: Any) -> Any:
    # Numbers typed into Excel come back as floats: 13812345678.0 is the phone 13812345678.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, time):
        return value.isoformat()
    return value


def _sheet_size_from_its_head(sheet: Any) -> None:
    """Replaces openpyxl's ReadOnlyWorksheet._get_size, run whenever a read-only sheet is opened. It
    looks for the <dimension> tag, and when the tag is missing it parses on to the END of <sheetData>:
    the whole sheet, before a single row is read (a 238 KB workbook without the tag had 800,000 rows
    parsed just to open it, every time). The tag comes before the rows or not at all, so stop there."""
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    source = sheet._get_source()
    try:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == DIMENSION_TAG:
                bounds = SheetDimension.from_tree(element).boundaries
                sheet._min_column, sheet._min_row, sheet._max_column, sheet._max_row = bounds
                break
            if element.tag == DATA_TAG:
                break
    finally:
        source.close()


def _load_workbook(path: Path) -> Any:
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _sheet_size_from_its_head
    return load_workbook(path, read_only=True, data_only=True)


def _xlsx_rows(path: Path, header_row: int) -> Iterator[Row]:

    book = _load_workbook(path)
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number <= header_row:
                continue
            cells = [_xlsx_value(v) for v in values]
            if _is_blank(cells):
                continue
            yield Row(number, cells)
    finally:
        book.close()


SAMPLE_ROWS = 5


def open_table(path: Path | str, filename: str | None = None) -> Table:
    """Read the header and a few sample rows of a CSV or XLSX file (TableError when it can't)."""
    path = Path(path)
    fmt = format_of(filename or path.name)
    table = _open_xlsx(path) if fmt == "xlsx" else _open_csv(path)
    if not any(h for h in table.headers):
        raise TableError(_("The first row of the file must name the columns."))
    for row in table.rows():
        table.sample.append(row)
        if len(table.sample) >= SAMPLE_ROWS:
            break
    return table


def _open_csv(path: Path) -> Table:
    raw = path.read_bytes()
    if not raw.strip():
        raise TableError(_("The file is empty."))
    if raw[:4] == b"PK\x03\x04":
        raise TableError(_("This looks like an Excel file: give it the .xlsx extension."))
    encoding = detect_encoding(raw)
    text = raw.decode(encoding)
    delimiter = _sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header_row = 0
    headers: list[str] = []
    for number, cells in enumerate(reader, start=1):
        if not _is_blank(cells):
            header_row, headers = number, cells
            break
    headers = _trim(headers)
    return Table(path=path, format="csv", headers=[_clean_header(h, i) for i, h in enumerate(headers)],
                 encoding=encoding, delimiter=delimiter, header_row=header_row)


def too_many_rows(limit: int) -> str:
    return _("The file is too large: it has more than %(limit)s rows. Split it into smaller files.") % {
        "limit": number_format(limit, force_grouping=True)}


def _check_unpacked_size(path: Path) -> None:
    """An XLSX is a zip: refuse one whose parts unpack to more than the limit before reading any
    (a few hundred KB can hold a sheet of hundreds of MB). The sizes the zip declares bind: reading
    stops at them, and a part that unpacks to more fails its checksum."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    limit = settings.KEHU_IMPORT_MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise TableError(_("The workbook is too large: unpacked it holds %(size)s MB; the limit is %(limit)s MB. "
                           "Split it into smaller files.") % {
            "size": number_format(round(unpacked / 1048576), force_grouping=True),
            "limit": number_format(round(limit / 1048576), force_grouping=True)})


def _open_xlsx(path: Path) -> Table:
    _check_unpacked_size(path)
    try:
        book = _load_workbook(path)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, InvalidFileException)
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        if not book.worksheets:
            raise TableError(_("The workbook has no sheet."))
        header_row = 0
        headers: list[Any] = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if not _is_blank(list(values)):
                header_row, headers = number, list(values)
                break
    finally:
        book.close()
    if not header_row:
        raise TableError(_("The file is empty."))
    headers = _trim(headers)
    return Table(path=path, format="xlsx", headers=[_clean_header(h, i) for i, h in enumerate(headers)],
                 header_row=header_row)


def _trim(headers: list[Any]) -> list[Any]:
    """Drop empty header cells at the end (spreadsheets often carry a few)."""
    out = list(headers)
    while out and (out[-1] is None or not str(out[-1]).strip()):
        out.pop()
    return out


def cell_text(value: Any) -> str:
    """A cell as text for reports and samples."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
