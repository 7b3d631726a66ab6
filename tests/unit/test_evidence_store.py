"""Evidence files: the type comes from the content, files are stored once by SHA-256, and
nothing is kept from a refused upload."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from workflows import evidence_store as store
from workflows.errors import InvalidInput

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
OLE = store.OLE_MAGIC + b"\x00" * 504


def office(kind: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if kind == "odt":
            z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        else:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr({"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind], "<x/>")
    return buf.getvalue()


def put(root: Path, data: bytes, name: str, **kw: object) -> store.StoredFile:
    return store.store(root, io.BytesIO(data), name, max_bytes=kw.pop("max_bytes", 1 << 20), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data,name,kind",
    [
        (PDF, "a.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "photo.jpg", "image/jpeg"),
        (office("docx"), "bc.docx", store.OOXML_TYPES["word/"]),
        (office("xlsx"), "bang.xlsx", store.OOXML_TYPES["xl/"]),
        (office("odt"), "vb.odt", "application/vnd.oasis.opendocument.text"),
        (OLE, "cu.doc", "application/msword"),
        (PDF, "named-wrongly.docx", "application/pdf"),  # the content decides
    ],
)
def test_the_type_comes_from_the_content(tmp_path, data, name, kind):
    stored = put(tmp_path, data, name)
    assert stored.content_type == kind
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.path_of(tmp_path, stored.sha256).read_bytes() == data


@pytest.mark.parametrize(
    "data,name",
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 100, "bao-cao.pdf"),  # a Windows program renamed
        (b"PK\x03\x04not really a zip", "x.docx"),
        (office("docx").replace(b"word/", b"evil/"), "y.docx"),  # a zip but not Office
        (OLE, "macro.exe"),  # an OLE container that claims no Office name
        (b"#!/bin/sh\nrm -rf /\n", "run.pdf"),
        (b"<html><script>alert(1)</script>", "page.pdf"),
    ],
)
def test_a_disguised_file_is_refused_and_nothing_is_left(tmp_path, data, name):
    with pytest.raises(InvalidInput) as caught:
        put(tmp_path, data, name)
    assert name in str(caught.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_empty_or_oversized_file_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="empty|rỗng"):
        put(tmp_path, b"", "a.pdf")
    with pytest.raises(InvalidInput, match="larger|lớn hơn"):
        put(tmp_path, PDF + b"0" * (2 << 20), "big.pdf", max_bytes=1 << 20)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_same_file_twice_is_stored_once(tmp_path):
    first, second = put(tmp_path, PDF, "a.pdf"), put(tmp_path, PDF, "b.pdf")
    assert first.sha256 == second.sha256 and second.filename == "b.pdf"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_only_a_pdf_is_accepted_where_a_pdf_is_asked_for(tmp_path):
    with pytest.raises(InvalidInput, match="PDF"):
        put(tmp_path, PNG, "ketluan.pdf", allowed=store.PDF_ONLY)


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\bien ban.pdf", "bien ban.pdf"),
        ("a\x00b\n.pdf", "ab.pdf"),
        ("", "file"),
    ],
)
def test_names_lose_paths_and_control_characters(raw, clean):
    assert store.clean_filename(raw) == clean


def test_a_path_is_only_made_from_a_fingerprint(tmp_path):
    from workflows.errors import NotFound

    with pytest.raises(NotFound):
        store.path_of(tmp_path, "../../secret")
