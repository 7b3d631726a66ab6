"""The downloadable import templates: an XLSX workbook that explains itself, and a CSV.

The workbook has the data sheet (headers in the reader's language, two example rows of one
conclusion, a hint on every column and drop-down lists), an instructions sheet in both
languages, and a lists sheet with the allowed sources, categories and the body codes the
downloading supervisor may use. The CSV has the same header and example rows.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Body, User
from workflows.access import in_reach
from workflows.conclusions import VIETNAM
from workflows.import_columns import CATEGORIES, COLUMNS, SOURCES, column_letter, value_names
from workflows.import_files import MAX_ROWS
from workflows.import_guide import COLUMN_TABLE_HEADER, GUIDE, requirement_label
from workflows.import_rows import EXAMPLE_NUMBER

DATA_SHEET = {"vi": "Kết luận", "en": "Conclusions"}
GUIDE_SHEET = "Hướng dẫn - Instructions"  # a sheet title may not contain "/"
LISTS_SHEET = "Danh mục - Lists"
MAX_LISTED_BODIES = 5000
_EXAMPLE = {
    "vi": ("Kết luận kiểm tra việc quản lý, sử dụng đất công",
           "Phát hiện sai phạm trong giao đất, cho thuê đất giai đoạn 2020-2023.",
           "Thu hồi số tiền sử dụng đất còn thiếu về ngân sách nhà nước.",
           "Kiểm điểm, xem xét trách nhiệm của tập thể, cá nhân có liên quan."),
    "en": ("Inspection of the management and use of public land",
           "Violations found in land allocation and leases in 2020-2023.",
           "Recover the land-use fees still owed to the state budget.",
           "Review the responsibility of the collectives and persons involved."),
}  # fmt: skip


def _locale(locale: str) -> str:
    return "vi" if locale == "vi" else "en"


def _reachable_bodies(session: Session, actor: User) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Body.code, Body.name)
        .where(in_reach(actor, Body.id))
        .order_by(Body.code)
        .limit(MAX_LISTED_BODIES)
    )
    return [(code, name) for code, name in rows]


def _example_rows(actor: User, bodies: list[tuple[str, str]], locale: str) -> list[list[Any]]:
    """Two rows of one example conclusion: the second leaves the conclusion's cells blank."""
    own = actor.body.code
    unit = next((code for code, _name in bodies if code != own), own)
    title, summary, first, second = _EXAMPLE[locale]
    issued = datetime.now(VIETNAM).date() - timedelta(days=7)
    source = value_names(SOURCES, locale)[0]
    financial, disciplinary = value_names(CATEGORIES, locale)[:2]
    cells: list[dict[str, Any]] = [
        {"number": EXAMPLE_NUMBER, "title": title, "source": source, "issue_date": issued,
         "subject_body": unit, "summary": summary, "text": first, "category": financial,
         "responsible_body": unit, "working_days": 30, "target_amount": 1_500_000_000},
        {"number": EXAMPLE_NUMBER, "text": second, "category": disciplinary,
         "responsible_body": unit, "supervising_body": own,
         "deadline": issued + timedelta(days=90)},
    ]  # fmt: skip
    return [[row.get(c.key) for c in COLUMNS] for row in cells]


def build_csv_template(session: Session, actor: User, locale: str) -> bytes:
    """The CSV template: UTF-8 with a BOM (so Excel reads it as UTF-8), comma-separated."""
    locale = _locale(locale)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name(locale) for c in COLUMNS])
    for row in _example_rows(actor, _reachable_bodies(session, actor), locale):
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int) and value >= 1000:
        return f"{value:,}".replace(",", ".")
    return str(value)


def build_xlsx_template(session: Session, actor: User, locale: str) -> bytes:
    """The XLSX template for ``actor`` with its headers and drop-downs in ``locale``."""
    from openpyxl import Workbook

    locale = _locale(locale)
    bodies = _reachable_bodies(session, actor)
    book = Workbook()
    data = book.active
    data.title = DATA_SHEET[locale]
    _fill_data_sheet(data, actor, bodies, locale)
    _fill_guide_sheet(book.create_sheet(GUIDE_SHEET))
    _fill_lists_sheet(book.create_sheet(LISTS_SHEET), bodies, locale)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_data_sheet(sheet: Any, actor: User, bodies: list[tuple[str, str]], locale: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet.append([c.name(locale) for c in COLUMNS])
    for row in _example_rows(actor, bodies, locale):
        sheet.append(row)
    for position, column in enumerate(COLUMNS):
        letter = column_letter(position)
        head = sheet[f"{letter}1"]
        head.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        head.fill = PatternFill("solid", fgColor="1F4E79" if column.required else "D9E2F3")
        head.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = 34 if column.key in ("text", "summary") else 20
        for row_number in (2, 3):
            cell = sheet[f"{letter}{row_number}"]
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            elif column.key == "target_amount":
                cell.number_format = "#,##0"
    sheet.freeze_panes = "A2"
    _add_validations(sheet, len(bodies), locale)


def _add_validations(sheet: Any, body_count: int, locale: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = f"'{LISTS_SHEET}'!"
    rules: dict[str, dict[str, Any]] = {
        "source": {"type": "list", "formula1": f"{lists}$A$2:$A${len(SOURCES) + 1}"},
        "category": {"type": "list", "formula1": f"{lists}$D$2:$D${len(CATEGORIES) + 1}"},
        "working_days": {"type": "whole", "operator": "between", "formula1": "1",
                         "formula2": "3650"},
        "issue_date": {"type": "date", "operator": "greaterThan", "formula1": "DATE(1945,1,1)"},
        "deadline": {"type": "date", "operator": "greaterThan", "formula1": "DATE(1945,1,1)"},
    }  # fmt: skip
    if body_count:
        codes = {"type": "list", "formula1": f"{lists}$G$2:$G${body_count + 1}"}
        for key in ("subject_body", "responsible_body", "supervising_body"):
            rules[key] = codes
    for position, column in enumerate(COLUMNS):
        letter = column_letter(position)
        rule = DataValidation(
            **rules.get(column.key, {}),
            allow_blank=True,
            showErrorMessage=column.key in rules,
            errorStyle="warning",  # codes and English names are accepted too
            showInputMessage=True,
            promptTitle=column.name(locale)[:32],
            prompt=(column.help_vi if locale == "vi" else column.help_en)[:255],
        )
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)


def _fill_guide_sheet(sheet: Any) -> None:
    from openpyxl.styles import Alignment, Font

    for line in GUIDE:
        sheet.append(list(line))
    sheet.append([])
    sheet.append(list(COLUMN_TABLE_HEADER))
    header_row = sheet.max_row
    for column in COLUMNS:
        required = requirement_label(column)
        sheet.append([column.vi, column.en, required, column.help_vi, column.help_en])
    for cell in sheet[1] + sheet[header_row]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (45, 45, 24, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fill_lists_sheet(sheet: Any, bodies: list[tuple[str, str]], locale: str) -> None:
    from openpyxl.styles import Font

    sources, categories = value_names(SOURCES, locale), value_names(CATEGORIES, locale)
    sheet.append(["Nguồn / Source", "Mã / Code", None, "Loại / Category", "Mã / Code", None,
                  "Mã đơn vị / Body code", "Tên đơn vị / Body name"])  # fmt: skip
    for i in range(max(len(SOURCES), len(CATEGORIES), len(bodies))):
        row: list[Any] = [None] * 8
        if i < len(SOURCES):
            row[0:2] = [sources[i], SOURCES[i][0]]
        if i < len(CATEGORIES):
            row[3:5] = [categories[i], CATEGORIES[i][0]]
        if i < len(bodies):
            row[6:8] = list(bodies[i])
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (28, 20, 3, 32, 16, 3, 20, 50), strict=True):
        sheet.column_dimensions[letter].width = width
