"""Importing conclusions from XLSX and CSV: the whole file is checked first, every bad row is
reported with its row and column, and nothing is stored unless every row is good."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Conclusion, ProcessInstance, Requirement, UserTask
from tests.factories import Cast
from workflows import conclusion_import, definitions
from workflows.calendar import add_working_days
from workflows.conclusion_import import ImportRejected, import_conclusions
from workflows.conclusions import VIETNAM
from workflows.deadlines import end_of_day, vietnam_date
from workflows.errors import InvalidInput, NotAllowed
from workflows.import_columns import COLUMNS

KEYS = [c.key for c in COLUMNS]
COUNTED = (AuditEvent, Conclusion, ProcessInstance, Requirement, UserTask)
TODAY = datetime.now(VIETNAM).date()
ISSUED = TODAY - timedelta(days=10)


@pytest.fixture(autouse=True)
def deployed(session: Session) -> None:
    if definitions.latest_version(session, "requirement") is None:
        definitions.deploy_shipped(session)


def counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def good_row(cast: Cast, number: str = "7-KL/TEST", **cells: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": "Inspection of public land use",
        "source": "Kiểm tra của Đảng",
        "issue_date": ISSUED,
        "subject_body": cast.unit.code,
        "summary": "Land was leased without auction.",
        "text": "Recover the unpaid land-use fees",
        "category": "Tài chính",
        "responsible_body": cast.unit.code,
        "deadline": ISSUED + timedelta(days=60),
        "target_amount": 1_500_000_000,
        **cells,
    }


def grid(rows: list[dict[str, Any]], keys: list[str], locale: str) -> list[list[Any]]:
    names = {c.key: c.name(locale) for c in COLUMNS}
    return [[names[k] for k in keys], *[[r.get(k) for k in keys] for r in rows]]


def xlsx(rows: list[dict[str, Any]], keys: list[str] = KEYS, locale: str = "en") -> bytes:
    book = Workbook()
    for line in grid(rows, keys, locale):
        book.active.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(
    rows: list[dict[str, Any]],
    keys: list[str] = KEYS,
    locale: str = "en",
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for line in grid(rows, keys, locale):
        writer.writerow(["" if v is None else _text(v) for v in line])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def _text(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def refused(session: Session, actor: Any, data: bytes) -> list[tuple[int, str | None]]:
    before = counts(session)
    with pytest.raises(ImportRejected) as caught:
        import_conclusions(session, actor, "file", data)
    assert counts(session) == before
    return [(e.row, e.column) for e in caught.value.errors]


# -- what a good file does ------------------------------------------------------------------


def test_an_xlsx_file_issues_each_conclusion_through_the_verb(session, cast):
    rows = [
        good_row(cast, "7-KL/TEST"),
        good_row(cast, "7-KL/TEST", title=None, source=None, issue_date=None, summary=None,
                 subject_body=None, text="Review responsibility", category="disciplinary",
                 target_amount=None),
        good_row(cast, "8-KL/TEST", source="State audit", category="administrative",
                 target_amount=None),
    ]  # fmt: skip
    data = xlsx(rows)
    result = import_conclusions(session, cast.supervisor, "C:\\docs\\ket-luan.xlsx", data)

    assert [c.number for c in result.conclusions] == ["7-KL/TEST", "8-KL/TEST"]
    first, second = result.conclusions
    assert (first.source, second.source) == ("party_inspection", "state_audit")
    assert [(r.seq, r.category) for r in first.requirements] == [
        (1, "financial"),
        (2, "disciplinary"),
    ]
    assert first.requirements[0].target_amount == Decimal(1_500_000_000)
    assert first.requirements[1].supervising_body_id == cast.commission.id
    assert vietnam_date(first.requirements[0].deadline) == ISSUED + timedelta(days=60)
    assert all(r.process_instance_id for r in first.requirements + second.requirements)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "conclusions.imported")
    ).one()
    assert event.subject_type == "conclusion_import" and event.actor_id == cast.supervisor.id
    assert event.payload["filename"] == "ket-luan.xlsx" and event.payload["format"] == "xlsx"
    assert (event.payload["conclusions"], event.payload["requirements"]) == (2, 3)
    assert event.payload["sha256"] == result.sha256 == event.subject_id


def test_vietnamese_headers_without_diacritics_in_any_case_are_understood(session, cast):
    names = {c.key: c.vi for c in COLUMNS}
    header = [names[k].upper() if i % 2 else _plain(names[k]) for i, k in enumerate(KEYS)]
    book = Workbook()
    book.active.append(header)
    book.active.append([good_row(cast).get(k) for k in KEYS])
    out = io.BytesIO()
    book.save(out)
    result = import_conclusions(session, cast.supervisor, "vn.xlsx", out.getvalue())
    assert result.requirements == 1


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def test_a_csv_with_semicolons_and_a_bom_and_grouped_amounts_is_imported(session, cast):
    rows = [good_row(cast, target_amount="1.500.000", deadline=ISSUED + timedelta(days=5))]
    data = csv_file(rows, locale="vi", delimiter=";", bom=True)
    assert data.startswith("\ufeff".encode())
    result = import_conclusions(session, cast.supervisor, "ket-luan.csv", data)
    [req] = result.conclusions[0].requirements
    assert req.target_amount == Decimal(1_500_000) and result.kind == "csv"


def test_working_day_deadlines_skip_weekends_and_tet(session, cast):
    # Friday 24 January 2025: Tết (Ất Tỵ) holidays run from 25 January to 2 February.
    issued = date(2025, 1, 24)
    rows = [good_row(cast, issue_date=issued, deadline=None, working_days=3)]
    keys = [k for k in KEYS if k != "deadline"]
    result = import_conclusions(session, cast.supervisor, "wd.csv", csv_file(rows, keys))
    [req] = result.conclusions[0].requirements
    assert req.deadline == end_of_day(add_working_days(session, issued, 3))
    assert vietnam_date(req.deadline) == date(2025, 2, 5)


# -- bad files: nothing stored, every problem named ----------------------------------------


def test_a_file_mixing_good_and_bad_rows_stores_nothing_and_names_every_bad_row(
    session, cast, make_body
):
    foreign = make_body()  # nobody's unit: outside the commission's reach
    rows = [
        good_row(cast, "1-KL/MIX"),  # row 2: good
        good_row(cast, "2-KL/MIX", responsible_body="NO-SUCH-BODY"),  # row 3
        good_row(cast, "3-KL/MIX", deadline=ISSUED - timedelta(days=1)),  # row 4
        good_row(cast, "4-KL/MIX", target_amount="1,5"),  # row 5
        good_row(cast, "5-KL/MIX", category="bribery"),  # row 6
        good_row(cast, "6-KL/MIX", working_days=10),  # row 7: both deadlines
        good_row(cast, "7-KL/MIX", text=None, responsible_body=foreign.code),  # row 8
        good_row(cast, "8-KL/MIX", issue_date="31/02/2025", source="Rumour"),  # row 9
        good_row(cast, "9-KL/MIX", target_amount=-5),  # row 10
        good_row(cast, "10-KL/MIX", target_amount=None),  # row 11: financial, no amount
        good_row(cast, "11-KL/MIX"),  # row 12: good
    ]
    assert refused(session, cast.supervisor, xlsx(rows)) == [
        (3, "responsible_body"),
        (4, "deadline"),
        (5, "target_amount"),
        (6, "category"),
        (7, "working_days"),
        (8, "text"),
        (8, "responsible_body"),
        (9, "source"),
        (9, "issue_date"),
        (10, "target_amount"),
        (11, "target_amount"),
    ]


def test_messages_say_what_is_wrong(session, cast, make_body):
    foreign = make_body()
    rows = [
        good_row(cast, "1-KL/MSG", responsible_body=foreign.code),
        good_row(cast, "2-KL/MSG", target_amount="1.500,00"),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_conclusions(session, cast.supervisor, "f.xlsx", xlsx(rows))
    lines = [e.describe() for e in caught.value.errors]
    assert lines == [
        f"row 2, column I (Responsible body code): Body {foreign.code} is outside the bodies "
        "your body supervises.",
        "row 3, column N (Target amount): Write the amount in whole đồng, for example "
        "1500000, 1.500.000 or 1,500,000 (no decimals).",
    ]
    assert "2 problem(s)" in str(caught.value)


def test_an_xlsx_with_a_missing_column_names_it(session, cast):
    keys = [k for k in KEYS if k != "category"]
    with pytest.raises(ImportRejected) as caught:
        import_conclusions(session, cast.supervisor, "f.xlsx", xlsx([good_row(cast)], keys))
    [error] = caught.value.errors
    assert (error.row, error.column, error.letter) == (1, "category", "")
    assert error.describe() == "row 1, column Category: This column is missing."
    assert error.column_name("vi") == "Loại kiến nghị"


def test_unknown_and_repeated_columns_are_refused(session, cast):
    book = Workbook()
    book.active.append([c.en for c in COLUMNS] + ["Remarks", "Title"])
    book.active.append(list(good_row(cast).get(k) for k in KEYS) + ["x", "y"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRejected) as caught:
        import_conclusions(session, cast.supervisor, "f.xlsx", out.getvalue())
    assert [(e.row, e.letter, e.header) for e in caught.value.errors] == [
        (1, "O", "Remarks"),
        (1, "P", "Title"),
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "The file is empty."),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 20, "neither an Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "Excel 97-2003"),
        (b"PK\x05\x06" + b"\x00" * 18, "neither an Excel"),  # an empty ZIP, not a workbook
        ("Tiêu đê\n".encode("cp1258"), "neither an Excel"),  # ANSI, not UTF-8
        (b"Conclusion number,Title\n", "no rows to import"),
    ],
    ids=["empty", "renamed-exe", "old-xls", "empty-zip", "not-utf8", "header-only"],
)
def test_files_that_are_not_tables_are_refused_with_a_reason(session, cast, content, fragment):
    with pytest.raises(ImportRejected) as caught:
        import_conclusions(session, cast.supervisor, "conclusions.xlsx", content)
    [error] = caught.value.errors
    assert error.row == 0 and fragment in str(error.message)


def test_a_number_already_registered_or_split_in_the_file_is_refused(
    session, cast, make_conclusion
):
    existing = make_conclusion()
    rows = [
        good_row(cast, existing.number),
        good_row(cast, "2-KL/DUP"),
        good_row(cast, "3-KL/DUP"),
        good_row(cast, "2-KL/DUP"),  # row 5: 2-KL/DUP again, after another conclusion
        good_row(cast, "3-KL/DUP", title="Another title"),  # row 6
    ]
    assert refused(session, cast.supervisor, csv_file(rows)) == [
        (2, "number"),
        (5, "number"),
        (6, "number"),
    ]


def test_the_rows_of_one_conclusion_must_agree(session, cast):
    rows = [good_row(cast, "4-KL/AGR"), good_row(cast, "4-KL/AGR", title="Something else")]
    assert refused(session, cast.supervisor, csv_file(rows)) == [(3, "title")]
    first_row_blank = [good_row(cast, "5-KL/AGR", summary=None), good_row(cast, "5-KL/AGR")]
    assert refused(session, cast.supervisor, csv_file(first_row_blank)) == [(2, "summary")]


def test_bodies_and_officers_outside_the_importers_reach_are_refused(
    session, cast, make_body, make_user
):
    other_commission = make_body(kind="inspection_commission")
    their_unit = make_body(supervisor=other_commission)
    stranger = make_user(body=their_unit, roles=("officer",))
    rows = [
        good_row(cast, "1-KL/X", responsible_body=their_unit.code),
        good_row(cast, "2-KL/X", subject_body=their_unit.code),
        good_row(cast, "3-KL/X", supervising_body=other_commission.code),
        good_row(cast, "4-KL/X", responsible_officer=stranger.username),
        good_row(cast, "5-KL/X", responsible_officer="nobody.here"),
        good_row(cast, "6-KL/X", responsible_officer=cast.officer.username.upper()),  # good
    ]
    assert refused(session, cast.supervisor, xlsx(rows)) == [
        (2, "responsible_body"),
        (3, "subject_body"),
        (4, "supervising_body"),
        (5, "responsible_officer"),
        (6, "responsible_officer"),
    ]


@pytest.mark.parametrize("roles", [("officer",), ("observer",), ("admin",)])
def test_only_a_supervisor_can_import(session, cast, make_user, roles):
    actor = make_user(body=cast.commission, roles=roles)
    with pytest.raises(NotAllowed):
        import_conclusions(session, actor, "f.csv", csv_file([good_row(cast)]))


def test_a_late_refusal_by_the_verb_undoes_the_conclusions_already_issued(
    session, cast, monkeypatch
):
    real = conclusion_import.issue_conclusion

    def refuse_the_second(db: Session, actor: Any, data: Any) -> Any:
        if data.number == "2-KL/LATE":
            raise InvalidInput("refused late", field="requirements-1-deadline")
        return real(db, actor, data)

    monkeypatch.setattr(conclusion_import, "issue_conclusion", refuse_the_second)
    rows = [good_row(cast, "1-KL/LATE"), good_row(cast, "2-KL/LATE"), good_row(cast, "2-KL/LATE")]
    assert refused(session, cast.supervisor, xlsx(rows)) == [(4, "deadline")]
    assert session.scalar(select(Conclusion).where(Conclusion.number == "1-KL/LATE")) is None


# -- the templates --------------------------------------------------------------------------


def test_the_xlsx_template_explains_itself_and_imports_once_its_example_is_replaced(session, cast):
    from workflows.import_template import build_xlsx_template

    data = build_xlsx_template(session, cast.supervisor, "vi")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Kết luận", "Hướng dẫn - Instructions", "Danh mục - Lists"]
    sheet = book["Kết luận"]
    assert [c.value for c in sheet[1]] == [c.vi for c in COLUMNS]
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert "'Danh mục - Lists'!$A$2:$A$6" in lists and "'Danh mục - Lists'!$D$2:$D$6" in lists
    codes = [row[6] for row in book["Danh mục - Lists"].iter_rows(min_row=2, values_only=True)]
    assert {cast.commission.code, cast.unit.code} <= set(codes)
    guide = [row[0] for row in book["Hướng dẫn - Instructions"].iter_rows(values_only=True)]
    assert "Số kết luận" in guide and "Mã đơn vị chịu trách nhiệm" in guide

    assert refused(session, cast.supervisor, data) == [(2, "number"), (3, "number")]
    sheet["A2"] = sheet["A3"] = "15-KL/TEMPLATE"
    out = io.BytesIO()
    book.save(out)
    result = import_conclusions(session, cast.supervisor, "mau.xlsx", out.getvalue())
    [conclusion] = result.conclusions
    assert [r.category for r in conclusion.requirements] == ["financial", "disciplinary"]


def test_the_csv_template_imports_once_its_example_is_replaced(session, cast):
    from workflows.import_template import build_csv_template

    data = build_csv_template(session, cast.supervisor, "en")
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig").replace("MẪU-01/KL", "16-KL/TEMPLATE")
    assert text.splitlines()[0].startswith("Conclusion number,Title,Source")
    result = import_conclusions(session, cast.supervisor, "t.csv", text.encode())
    assert result.requirements == 2
