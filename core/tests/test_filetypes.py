"""Content checks per accepted document type, on real minimal files built here."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl
import pytest

from core.filetypes import KNOWN_EXTENSIONS, MARKUP, MISMATCH, content_problem

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _pdf() -> bytes:
    body = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n")
    xref = len(body)
    return body + (b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
                   b"trailer <</Size 3 /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


def _jpeg() -> bytes:
    # SOI, a JFIF APP0 segment, EOI: the frame itself does not matter to a magic-byte check.
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def _ole2() -> bytes:
    # The compound file header (512 bytes) every .doc/.xls/.ppt starts with.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHH", 0x3E, 3, 0xFFFE)
    return header.ljust(512, b"\x00")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _ooxml(part: str) -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>",
                 f"{part}/main.xml": b"<x/>"})


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["客户", "金额"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VALID = {
    "pdf": _pdf(),
    "png": _png(),
    "jpg": _jpeg(),
    "jpeg": _jpeg(),
    "doc": _ole2(),
    "xls": _ole2(),
    "ppt": _ole2(),
    "docx": _ooxml("word"),
    "xlsx": _xlsx(),
    "pptx": _ooxml("ppt"),
    "txt": "拜访记录：客户关心费率。\n".encode(),
    "csv": "姓名,电话\n张三,13800000000\n".encode("gbk"),
}


def _check(ext: str, content: bytes) -> str | None:
    return content_problem(ext, io.BytesIO(content))


def test_every_accepted_type_has_a_check():
    from django.conf import settings
    assert set(settings.KEHU_DOCUMENT_EXTENSIONS) <= KNOWN_EXTENSIONS == set(VALID)


@pytest.mark.parametrize("ext", sorted(VALID))
def test_real_files_pass(ext):
    assert _check(ext, VALID[ext]) is None
    assert _check(ext.upper(), VALID[ext]) is None


@pytest.mark.parametrize("ext", sorted(set(VALID) - {"txt", "csv"}))
def test_html_under_a_binary_extension_is_a_mismatch(ext):
    assert _check(ext, HTML) == MISMATCH


@pytest.mark.parametrize("ext", ["txt", "csv"])
@pytest.mark.parametrize("content", [
    HTML, b"<html><body>x</body></html>", b"\xef\xbb\xbf  \r\n<SCRIPT>alert(1)</SCRIPT>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', b'<?xml version="1.0"?><svg/>',
])
def test_markup_in_text_is_refused(ext, content):
    assert _check(ext, content) == MARKUP


@pytest.mark.parametrize("ext", ["txt", "csv"])
def test_text_mentioning_markup_later_is_fine(ext):
    assert _check(ext, b"note: the page starts with <html>\n") is None


@pytest.mark.parametrize("content", [_ole2(), _png(), _jpeg(), b"abc\x00def", b"\xff\xfe\x00\x00\x81"])
def test_binary_renamed_txt_is_a_mismatch(content):
    assert _check("txt", content) == MISMATCH


def test_long_text_is_decoded_across_chunks():
    # A multi-byte character straddles the 64 KiB chunk boundary.
    assert _check("txt", b"a" * (64 * 1024 - 1) + "客户".encode() * 10) is None
    assert _check("csv", b"a" * (64 * 1024 - 1) + "客户".encode("gb18030") * 10) is None


@pytest.mark.parametrize(("ext", "content"), [
    ("docx", VALID["xlsx"]),  # a workbook renamed .docx
    ("xlsx", VALID["docx"]),
    ("pptx", VALID["docx"]),
    ("docx", _zip({"word/document.xml": b"<x/>"})),  # no [Content_Types].xml: any zip
    ("xlsx", _zip({"index.html": HTML})),
    ("docx", b"PK\x03\x04 not really a zip"),
    ("doc", VALID["docx"]),
    ("pdf", b" %PDF-1.4"),
])
def test_wrong_or_broken_container_is_a_mismatch(ext, content):
    assert _check(ext, content) == MISMATCH


def test_unknown_extension_is_a_mismatch():
    assert _check("html", HTML) == MISMATCH
    assert _check("exe", b"MZ") == MISMATCH


def test_stream_is_left_at_its_start():
    stream = io.BytesIO(VALID["xlsx"])
    stream.seek(100)
    assert content_problem("xlsx", stream) is None
    assert stream.tell() == 0
