"""Turning uploaded bytes into a header and rows: XLSX or CSV, told apart by content.

The name a file was given is never trusted: a workbook is a ZIP package holding
``xl/workbook.xml``; anything else must be UTF-8 text (with or without BOM) separated by
commas or semicolons. Sizes are capped before anything is parsed, and XML carrying a DTD
is refused outright (entity tricks), so a hostile file costs little.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from workflows.errors import InvalidInput
from workflows.i18n import _l
from workflows.import_columns import normalise

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
#: Unpacked size of every part of a workbook together (a 5 MB ZIP could hide gigabytes).
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
MAX_PARTS = 500
#: Words in the titles of the template's helper sheets; the data is on the first other sheet.
HELPER_SHEET_WORDS = ("huong dan", "instructions", "danh muc", "lists")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Table:
    kind: str  # "xlsx" or "csv"
    header: list[Any]
    #: (spreadsheet row number, cells) of every row that is not blank; the header is row 1.
    rows: list[tuple[int, tuple[Any, ...]]]


def read_table(data: bytes) -> Table:
    """Read ``data`` as XLSX or CSV; raise ``InvalidInput`` saying why it cannot be."""
    if not data:
        raise InvalidInput(_l("The file is empty."), field="file")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            _l("The file is larger than %(mb)d MB. Split it.", mb=MAX_FILE_BYTES // 2**20),
            field="file",
        )
    if data.startswith(_OLE2):
        raise InvalidInput(
            _l("This is an old Excel 97-2003 workbook. Save it as .xlsx and try again."),
            field="file",
        )
    table = _read_xlsx(data) if zipfile.is_zipfile(io.BytesIO(data)) else _read_csv(data)
    if not table.rows:
        raise InvalidInput(_l("The file has no rows to import under its header."), field="file")
    if len(table.rows) > MAX_ROWS:
        raise InvalidInput(
            _l("The file has more than %(rows)d rows. Split it.", rows=MAX_ROWS), field="file"
        )
    return table


def _not_a_table() -> InvalidInput:
    return InvalidInput(
        _l(
            "This file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8. "
            "In Excel, save it as .xlsx or as “CSV UTF-8”."
        ),
        field="file",
    )


def _check_package(archive: zipfile.ZipFile) -> None:
    parts = archive.infolist()
    names = {p.filename for p in parts}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _not_a_table()
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
        raise InvalidInput(_l("The workbook is too large once unpacked. Split it."), field="file")
    for part in parts:
        if part.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(part) as stream:
                head = stream.read(4096).lower()
            if b"<!doctype" in head or b"<!entity" in head or b"\x00" in head:
                raise _not_a_table()


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # costly import; only uploads need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_package(archive)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a workbook"
        raise _not_a_table() from exc
    try:
        sheets = [s for s in book.worksheets if not _is_helper(s.title)]
        if not sheets or not hasattr(sheets[0], "iter_rows"):
            raise _not_a_table()
        sheet = sheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every row
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, ()))
        return Table("xlsx", header, _collect(enumerate(rows, start=2), len(header)))
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _not_a_table() from exc
    finally:
        book.close()


def _is_helper(title: str) -> bool:
    plain = normalise(title)
    return any(word in plain for word in HELPER_SHEET_WORDS)


def _collect(numbered: Any, width: int) -> list[tuple[int, tuple[Any, ...]]]:
    """Non-blank rows cut or padded to the header's width; stops one row past the cap."""
    kept: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in numbered:
        cells = tuple(cells[:width]) + (None,) * (width - len(cells))
        if any(c is not None and str(c).strip() for c in cells):
            kept.append((number, cells))
            if len(kept) > MAX_ROWS:
                break
    return kept


def _read_csv(data: bytes) -> Table:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_table() from None
    if "\x00" in content:
        raise _not_a_table()
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, [])
        rows = _collect(enumerate(reader, start=2), len(header))
    except csv.Error as exc:
        raise InvalidInput(
            _l(
                "The CSV file is malformed near line %(line)d: check the quotation marks.",
                line=reader.line_num,
            ),
            field="file",
        ) from exc
    return Table("csv", list(header), rows)
