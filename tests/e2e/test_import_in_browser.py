"""In a real Chromium: a supervisor downloads the XLSX template, uploads a file with bad rows
and sees each one listed, then uploads the corrected file and finds its conclusions."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.models import Conclusion
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def logins(live_server: Any) -> dict[str, tuple[str, str]]:
    return live_server.load_demo()


def test_a_supervisor_downloads_the_template_and_imports_it(
    page: Any, live_server: Any, logins: Any, tmp_path: Path
) -> None:
    username, password = logins["supervisor"]
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/conclusions/import")
    screenshot(page, "supervisor-import-page")

    with page.expect_download() as download:
        page.click("a[href$='template.xlsx']")
    assert download.value.suggested_filename == "mau-nhap-ket-luan.xlsx"
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    sheet["A2"] = sheet["A3"] = "E2E-IMPORT/KL"
    sheet["I3"] = "KHONG-CO"  # an unknown responsible body on the second requirement
    bad = tmp_path / "ket-luan-sai.xlsx"
    book.save(bad)

    page.set_input_files("input[type=file]", str(bad))
    page.click("button[type=submit].primary")
    errors = page.locator("#import-errors")
    assert "KHONG-CO" in errors.inner_text() and errors.locator("tbody tr").count() == 1
    screenshot(page, "supervisor-import-rejected")
    with live_server.session() as s:
        assert s.scalar(select(Conclusion).where(Conclusion.number == "E2E-IMPORT/KL")) is None

    sheet["I3"] = sheet["I2"].value
    good = io.BytesIO()
    book.save(good)
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "ket-luan.xlsx", "mimeType": "application/octet-stream",
                "buffer": good.getvalue()}],
    )  # fmt: skip
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/conclusions")
    assert "E2E-IMPORT/KL" in page.locator(".flash-success").inner_text()
    screenshot(page, "supervisor-import-done")
    with live_server.session() as s:
        imported = s.scalars(select(Conclusion).where(Conclusion.number == "E2E-IMPORT/KL")).one()
        assert len(imported.requirements) == 2
