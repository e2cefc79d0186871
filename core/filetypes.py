"""Does a file's content match its extension? Pure checks, no Django.

An uploaded document keeps the name the user gave it, so a web page renamed `offer.pdf` would be
stored and handed out as a "PDF". Downloads are attachments with `nosniff`, but a colleague who opens
the file still gets HTML. Each accepted extension therefore has a cheap content check: the format's
magic bytes, for Office Open XML the part the application needs, for plain text that it decodes and
is not markup a browser would render.
"""
from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable
from typing import Protocol

# Reasons a check gives; the caller turns them into a message in the user's language.
MISMATCH = "mismatch"
MARKUP = "markup"

_PDF = b"%PDF-"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file that holds .doc, .xls and .ppt
_ZIP = b"PK\x03\x04"
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Text a browser would render as a page or run as a script, whatever the file is called.
_MARKUP_STARTS = ("<!doctype html", "<html", "<head", "<body", "<script", "<svg", "<iframe", "<?xml")
_TEXT_ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK, which Chinese Excel writes
_CHUNK = 64 * 1024


class Stream(Protocol):
    """A file opened for reading in binary: an upload (Django's UploadedFile), a BytesIO, a file."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


def _head(stream: Stream, size: int) -> bytes:
    stream.seek(0)
    return stream.read(size)


def _magic(signature: bytes) -> Callable[[Stream], str | None]:
    def check(stream: Stream) -> str | None:
        return None if _head(stream, len(signature)) == signature else MISMATCH
    return check


def _ooxml(ext: str) -> Callable[[Stream], str | None]:
    part = _OOXML_PART[ext]

    def check(stream: Stream) -> str | None:
        if _head(stream, len(_ZIP)) != _ZIP:
            return MISMATCH
        stream.seek(0)
        try:
            # Reads only the central directory at the end of the file, never decompresses a member.
            with zipfile.ZipFile(stream) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return MISMATCH
        if "[Content_Types].xml" not in names or not any(n.startswith(part) for n in names):
            return MISMATCH
        return None
    return check


def _decodes(stream: Stream, encoding: str) -> bool:
    """Whether the whole stream decodes strictly, read in chunks (documents may be megabytes)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    stream.seek(0)
    try:
        while chunk := stream.read(_CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text(stream: Stream) -> str | None:
    encoding = next((e for e in _TEXT_ENCODINGS if _decodes(stream, e)), None)
    if encoding is None:
        return MISMATCH
    start = _head(stream, 1024).decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n").lower()
    return MARKUP if start.startswith(_MARKUP_STARTS) else None


_CHECKS: dict[str, Callable[[Stream], str | None]] = {
    "pdf": _magic(_PDF),
    "png": _magic(_PNG),
    "jpg": _magic(_JPEG),
    "jpeg": _magic(_JPEG),
    "doc": _magic(_OLE2),
    "xls": _magic(_OLE2),
    "ppt": _magic(_OLE2),
    "docx": _ooxml("docx"),
    "xlsx": _ooxml("xlsx"),
    "pptx": _ooxml("pptx"),
    "txt": _text,
    "csv": _text,
}
KNOWN_EXTENSIONS = frozenset(_CHECKS)


def content_problem(ext: str, stream: Stream) -> str | None:
    """None when the content is a real `ext` file, else MISMATCH or MARKUP.

    An extension without a check is a mismatch: accepting unknown content is what this prevents.
    The stream is left at its start.
    """
    check = _CHECKS.get(ext.lower())
    try:
        return check(stream) if check else MISMATCH
    finally:
        stream.seek(0)
