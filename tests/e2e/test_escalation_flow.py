"""In a real Chromium, on the demo data: a supervisor handles an escalation from the board;
the unit explains itself in an accountability case; the top supervisor decides with a PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models.escalation import AccountabilityCase
from tests.e2e.conftest import screenshot
from workflows.demo import load_demo

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def logins(live_server):
    with live_server.session_factory.begin() as session:
        found = load_demo(session, live_server.instance_path)
    return {user: password for _, user, password in found}


def log_in(page, live_server, logins, username):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", logins[username])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def test_a_supervisor_handles_an_escalation_from_the_board(page, live_server, logins):
    log_in(page, live_server, logins, "giamsat.hn")
    page.get_by_role("link", name="Chuyển cấp").first.click()
    board = page.locator("#escalations")
    assert board.locator("tr.level-2").count() >= 1 and board.locator("tr.level-1").count() >= 1
    screenshot(page, "escalations-board")
    page.goto(f"{live_server.url}/escalations?level=1")
    page.locator("#escalations tr.level-1 .tag.warn").first.locator("xpath=../..").locator(
        "a"
    ).first.click()
    page.check("input[value=noted]")
    page.click("#acknowledge button[type=submit]")
    assert "Đã xử lý việc chuyển cấp." in page.locator(".flash-success").inner_text()
    screenshot(page, "escalation-handled")


def test_the_unit_explains_and_the_top_supervisor_decides(page, live_server, logins, tmp_path):
    with live_server.session() as session:
        case = session.scalar(
            select(AccountabilityCase).where(AccountabilityCase.status == "explanation_requested")
        )
        assert case is not None
    log_in(page, live_server, logins, "canbo.bd")
    page.get_by_role("link", name="Xem xét trách nhiệm").first.click()
    page.get_by_role("link", name=f"#{case.id}", exact=False).first.click()
    page.fill("#explain-explanation", "Đơn vị thiếu cán bộ kế toán trong quý.")
    page.click("#act-explain button[type=submit]")
    assert "Đã gửi bản giải trình." in page.locator(".flash-success").inner_text()

    page.context.clear_cookies()
    log_in(page, live_server, logins, "giamsat.tw")
    page.goto(f"{live_server.url}/accountability/{case.id}")
    page.fill("#review-note", "Lý do chưa thỏa đáng.")
    page.click("#act-review button[type=submit]")
    decision = tmp_path / "quyet-dinh.pdf"
    decision.write_bytes(PDF)
    page.select_option("#decide-decision", "reprimand")
    page.fill("#decide-note", "Khiển trách tập thể lãnh đạo đơn vị.")
    page.set_input_files("#decide-document", str(decision))
    page.click("#act-decide button[type=submit]")
    assert page.locator("#case-status").inner_text() == "Đã quyết định"
    assert page.get_by_role("link", name="quyet-dinh.pdf").count() == 1
    screenshot(page, "accountability-case-decided")
