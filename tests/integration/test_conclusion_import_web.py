"""The import pages: a supervisor uploads a file (with CSRF) and sees either the conclusions
registered or every bad row; officers and strangers cannot; the templates download."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.models import Conclusion, Requirement
from tests.conftest import csrf_token, login
from tests.integration.test_conclusion_import import csv_file, good_row, xlsx
from workflows import definitions

PAGE = "/conclusions/import"


@pytest.fixture(autouse=True)
def deployed(session: Any) -> None:
    if definitions.latest_version(session, "requirement") is None:
        definitions.deploy_shipped(session)


def upload(client: Any, data: bytes, name: str = "ket-luan.xlsx", token: str | None = None) -> Any:
    fields: dict[str, Any] = {"file": (io.BytesIO(data), name)}
    if token is not False:
        fields["csrf_token"] = token or csrf_token(client, PAGE)
    return client.post(PAGE, data=fields, content_type="multipart/form-data")


def stored(session: Any) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Conclusion)) or 0,
        session.scalar(select(func.count()).select_from(Requirement)) or 0,
    )


def test_the_page_explains_the_file_in_the_users_language(client, cast):
    login(client, cast.supervisor.username)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert f"{PAGE}/template.xlsx" in page and f"{PAGE}/template.csv" in page
    assert "Mã đơn vị chịu trách nhiệm" in page and "Số tiền phải thu hồi" in page
    assert "Mỗi dòng là một kiến nghị" in page


def test_a_supervisor_imports_a_good_file(client, session, cast):
    login(client, cast.supervisor.username)
    rows = [good_row(cast, "21-KL/WEB"), good_row(cast, "21-KL/WEB", text="Second")]
    response = upload(client, xlsx(rows))
    assert response.status_code == 302 and response.headers["Location"].endswith("/conclusions")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "21-KL/WEB" in page
    conclusion = session.scalars(select(Conclusion).where(Conclusion.number == "21-KL/WEB")).one()
    assert len(conclusion.requirements) == 2 and conclusion.created_by_id == cast.supervisor.id


def test_a_bad_file_lists_every_bad_row_and_stores_nothing(client, session, cast):
    login(client, cast.supervisor.username)
    before = stored(session)
    rows = [
        good_row(cast, "22-KL/WEB"),
        good_row(cast, "23-KL/WEB", responsible_body="KHONG-CO"),
        good_row(cast, "24-KL/WEB", target_amount="1,5"),
    ]
    response = upload(client, csv_file(rows, delimiter=";", bom=True), "bad.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Không nhập gì cả" in page and "bad.csv" in page
    assert "<td>3</td>" in page and "Không có đơn vị nào mang mã KHONG-CO." in page
    assert "<td>4</td>" in page and "Số tiền phải thu hồi" in page
    assert stored(session) == before


def test_a_renamed_executable_is_refused(client, session, cast):
    login(client, cast.supervisor.username)
    response = upload(client, b"MZ\x90\x00" + bytes(300), "ket-luan.xlsx")
    assert response.status_code == 400
    assert "không phải sổ tính Excel (.xlsx) cũng không phải tệp CSV" in response.get_data(
        as_text=True
    )


def test_an_upload_without_a_file_or_without_the_csrf_token_is_refused(client, session, cast):
    login(client, cast.supervisor.username)
    before = stored(session)
    no_file = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE)})
    assert no_file.status_code == 400 and "Chọn tệp cần nhập." in no_file.get_data(as_text=True)
    forged = upload(client, xlsx([good_row(cast, "25-KL/WEB")]), token=False)
    assert forged.status_code == 400
    assert stored(session) == before


def test_officers_and_visitors_cannot_import(client, session, cast):
    assert client.get(PAGE).status_code == 302  # to the login page
    login(client, cast.officer.username)
    before = stored(session)
    for path in (PAGE, f"{PAGE}/template.xlsx", f"{PAGE}/template.csv"):
        assert client.get(path).status_code == 403
    token = csrf_token(client, "/")
    response = upload(client, xlsx([good_row(cast, "26-KL/WEB")]), token=token)
    assert response.status_code == 403 and stored(session) == before


def test_a_supervisor_of_another_body_cannot_import_for_bodies_outside_its_reach(
    client, session, cast, make_body, make_user
):
    elsewhere = make_user(body=make_body(kind="inspection_commission"), roles=("supervisor",))
    login(client, elsewhere.username)
    response = upload(client, xlsx([good_row(cast, "27-KL/WEB")]))
    assert response.status_code == 400
    assert "nằm ngoài phạm vi" in response.get_data(as_text=True)
    assert session.scalar(select(Conclusion).where(Conclusion.number == "27-KL/WEB")) is None


def test_the_templates_download_in_the_users_language(client, session, cast, make_user):
    login(client, cast.supervisor.username)
    response = client.get(f"{PAGE}/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "mau-nhap-ket-luan.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert next(book.worksheets[0].iter_rows(values_only=True))[0] == "Số kết luận"
    untouched = upload(client, response.data, "mau-nhap-ket-luan.xlsx")
    assert untouched.status_code == 400
    assert "Đây là dòng ví dụ của tệp mẫu" in untouched.get_data(as_text=True)

    english = make_user(body=cast.commission, roles=("supervisor",), locale="en")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, english.username)
    csv_template = client.get(f"{PAGE}/template.csv")
    assert csv_template.mimetype == "text/csv"
    assert csv_template.data.decode("utf-8-sig").startswith("Conclusion number,Title,")
