"""Files kept as evidence: stored once by their SHA-256, outside the web root, and accepted
only when their content (not their name) shows an allowed type.

The sniffer is a short list of signatures rather than libmagic: only a handful of types are
allowed, and office files need a look inside their zip that generic sniffers do not do.
A file stored for a transaction that later rolls back stays on disk, unreferenced; being
content-addressed it costs nothing but its bytes, and it is reused when uploaded again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workflows.errors import InvalidInput, NotFound
from workflows.i18n import _l

CHUNK = 64 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Legacy Office files share one container format; their name tells which program.
OLE_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)
PDF_ONLY = frozenset({"application/pdf"})


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    filename: str
    content_type: str
    size: int


def _signature_type(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def _zip_type(path: Path) -> str | None:
    """An office document is a zip with a known layout; any other zip is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in ODF_TYPES else None
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML_TYPES.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def sniff(path: Path, filename: str) -> str | None:
    """The allowed type the content shows, or None."""
    with path.open("rb") as fh:
        head = fh.read(16)
    found = _signature_type(head)
    if found is not None:
        return found
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    if head.startswith(OLE_MAGIC):
        return OLE_TYPES.get(Path(filename).suffix.lower())
    return None


def clean_filename(name: str) -> str:
    """The name shown and offered on download: no path, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(
        c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C"
    )
    return base.strip().strip(".")[:200] or "file"


def path_of(root: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFound(_l("No such file."))
    return root / sha256[:2] / sha256[2:4] / sha256


def store(
    root: Path,
    stream: IO[bytes],
    filename: str,
    *,
    max_bytes: int,
    allowed: frozenset[str] | None = None,
    field: str = "files",
) -> StoredFile:
    """Copy ``stream`` into the store, checking size and type; return what was stored.

    :raises InvalidInput: empty, too large, or not an allowed type — nothing is kept.
    """
    name = clean_filename(filename)
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=root / "tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        _l(
                            "%(name)s is larger than the %(mb)s MB allowed.",
                            name=name,
                            mb=max_bytes // (1024 * 1024),
                        ),
                        field=field,
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput(_l("%(name)s is empty.", name=name), field=field)
        kind = sniff(tmp, name)
        if kind is None or (allowed is not None and kind not in allowed):
            raise InvalidInput(_refusal(name, allowed), field=field)
        sha = digest.hexdigest()
        final = path_of(root, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        return StoredFile(sha, name, kind, size)
    finally:
        tmp.unlink(missing_ok=True)


def _refusal(name: str, allowed: frozenset[str] | None) -> object:
    if allowed == PDF_ONLY:
        return _l("%(name)s is not a PDF document (judged by its content).", name=name)
    return _l(
        "%(name)s is not an accepted kind of file (judged by its content, not its name): "
        "send PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, WebP or TIFF files.",
        name=name,
    )
