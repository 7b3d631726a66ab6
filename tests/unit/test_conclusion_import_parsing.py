"""Reading an import file without a database: cells, headers, file formats and grouping."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from workflows import import_files
from workflows.errors import InvalidInput
from workflows.import_columns import COLUMNS, column_letter, normalise
from workflows.import_files import read_table
from workflows.import_header import ImportRejected, read_layout
from workflows.import_rows import group_rows, read_row
from workflows.import_values import read_amount, read_date, read_working_days

# -- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000 đ", 1_500_000),
        ("1.500", 1_500),  # đồng have no decimals: a thousand five hundred
        ("2.000.000.000 VND", 2_000_000_000),
        (1500000, 1_500_000),
        (1500000.0, 1_500_000),
        ("0", 0),
    ],
)
def test_amounts_in_whole_dong_are_read_in_every_usual_notation(raw, expected):
    assert read_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw",
    ["1,5", "1.500,00", "1,500.000", "1500.000", "15.00", "1.5e6", "abc", "", 1.5, True,
     date(2025, 1, 1), "-1.000", -5, "10" * 10],
)  # fmt: skip
def test_amounts_that_could_be_decimals_or_are_not_numbers_are_refused(raw):
    with pytest.raises(InvalidInput):
        read_amount(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/03/2025", date(2025, 3, 15)),
        ("5/3/2025", date(2025, 3, 5)),
        ("15.03.2025", date(2025, 3, 15)),
        ("2025-03-15", date(2025, 3, 15)),
        ("2025-03-15 00:00:00", date(2025, 3, 15)),
        (datetime(2025, 3, 15), date(2025, 3, 15)),
        (date(2025, 3, 15), date(2025, 3, 15)),
    ],
)
def test_dates_are_day_first_or_iso_or_excel_dates(raw, expected):
    assert read_date(raw) == expected


@pytest.mark.parametrize("raw", ["03/15/2025", "31/02/2025", "15/03/25", "45000", 45000, "x"])
def test_month_first_impossible_or_serial_dates_are_refused(raw):
    with pytest.raises(InvalidInput, match="dd/mm/yyyy"):
        read_date(raw)


def test_working_days_are_whole_numbers_within_ten_years():
    assert [read_working_days(v) for v in ("30", 30, 30.0, " 1 ")] == [30, 30, 30, 1]
    for bad in ("0", "3651", "2.5", 2.5, "ten", True):
        with pytest.raises(InvalidInput, match="whole number from 1 to 3650"):
            read_working_days(bad)


# -- headers ----------------------------------------------------------------------------------


def test_headers_match_in_either_language_without_diacritics_case_or_hints():
    assert normalise("  Hạn XỬ LÝ (dd/mm/yyyy)*") == "han xu ly"
    assert normalise("Mã  đơn vị chịu trách nhiệm") == "ma don vi chiu trach nhiem"
    header = [c.en.upper() if i % 2 else normalise(c.vi) for i, c in enumerate(COLUMNS)]
    layout = read_layout([None, *header])
    assert layout.positions["number"] == 1 and layout.positions["target_amount"] == 14


def test_a_header_without_any_deadline_column_is_refused():
    header = [c.en for c in COLUMNS if c.key not in ("deadline", "working_days")]
    with pytest.raises(ImportRejected) as caught:
        read_layout(header)
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "deadline")]


def test_column_letters_go_past_z():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == [
        "A", "Z", "AA", "AZ", "ZZ", "AAA",
    ]  # fmt: skip


# -- files ----------------------------------------------------------------------------------


def test_csv_separators_bom_quoted_newlines_and_blank_rows():
    content = '\ufeffa;b\n"x;1";"two\nlines"\n;\n\nz;3\n'.encode()
    table = read_table(content)
    assert table.kind == "csv" and table.header == ["a", "b"]
    # Row numbers are the spreadsheet's: a quoted newline stays in its row, blank rows count.
    assert table.rows == [(2, ("x;1", "two\nlines")), (5, ("z", "3"))]
    assert read_table(b"a,b\n1,2\n").rows == [(2, ("1", "2"))]


def test_a_csv_with_an_open_quote_is_refused_with_its_line():
    with pytest.raises(InvalidInput, match="near line"):
        read_table(b'a,b\n1,"2\n3,4\n')


def test_too_many_rows_or_bytes_are_refused(monkeypatch):
    monkeypatch.setattr(import_files, "MAX_ROWS", 3)
    with pytest.raises(InvalidInput, match="more than 3 rows"):
        read_table(b"a\n1\n2\n3\n4\n")
    monkeypatch.setattr(import_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(InvalidInput, match="larger than"):
        read_table(b"a\n" + b"1\n" * 10)


def _workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_data_is_read_from_the_first_sheet_that_is_not_a_helper_sheet():
    data = _workbook(
        ("Hướng dẫn - Instructions", [["read me"]]),
        ("Kết luận", [["a", "b"], [1, date(2025, 1, 2)], [None, None], ["x", None]]),
    )
    table = read_table(data)
    assert table.kind == "xlsx" and table.header == ["a", "b"]
    assert table.rows == [(2, (1, datetime(2025, 1, 2))), (4, ("x", None))]


def _repack(data: bytes, change: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, change.get(item.filename, source.read(item)))
    return out.getvalue()


def test_a_workbook_carrying_a_dtd_or_unpacking_too_large_is_refused(monkeypatch):
    data = _workbook(("Sheet", [["a"], [1]]))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData/></worksheet>"
    )
    with pytest.raises(InvalidInput, match="neither an Excel"):
        read_table(_repack(data, {"xl/worksheets/sheet1.xml": bomb}))
    monkeypatch.setattr(import_files, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(InvalidInput, match="too large once unpacked"):
        read_table(data)


def test_a_corrupt_workbook_is_refused_not_crashed():
    data = _workbook(("Sheet", [["a"], [1]]))
    broken = _repack(data, {"xl/workbook.xml": b"<not-xml"})
    with pytest.raises(InvalidInput, match="neither an Excel"):
        read_table(broken)


# -- rows and conclusions ---------------------------------------------------------------------


def _rows(*lines: dict[str, object]):
    layout = read_layout([c.key for c in COLUMNS])
    rows = [
        read_row(layout, i + 2, tuple(line.get(c.key) for c in COLUMNS))
        for i, line in enumerate(lines)
    ]
    return layout, rows


BASE = {
    "number": "1-KL",
    "title": "T",
    "source": "state_audit",
    "issue_date": "01/02/2025",
    "subject_body": "U",
    "summary": "S",
    "text": "R",
    "category": "Hành chính",
    "responsible_body": "U",
    "deadline": "01/03/2025",
}


def test_adjacent_rows_with_one_number_make_one_conclusion():
    layout, rows = _rows(
        BASE,
        {"number": "1-KL", "text": "R2", "category": "referral", "responsible_body": "U",
         "working_days": "5", "title": "t"},  # the same title, in another case
        {**BASE, "number": "2-KL"},
    )  # fmt: skip
    groups = group_rows(layout, rows)
    assert [(g.number, [r.number for r in g.rows]) for g in groups] == [
        ("1-KL", [2, 3]),
        ("2-KL", [4]),
    ]
    assert [r.errors for r in rows] == [[], [], []]
    assert rows[1].values["category"] == "referral" and rows[0].values["source"] == "state_audit"


def test_a_row_without_a_number_or_its_requirement_cells_names_each_one():
    layout, rows = _rows({**BASE, "number": None, "text": None, "deadline": None})
    group_rows(layout, rows)
    assert [e.column for e in rows[0].errors] == ["number", "text", "deadline"]
