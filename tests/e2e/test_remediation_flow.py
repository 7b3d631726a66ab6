"""In a real Chromium, the whole remediation of a conclusion: a supervisor registers it with
two requirements; the unit acknowledges, plans, reports with a PDF and submits; the
supervisor rejects one as formal only; the unit resubmits; the supervisor closes both and
makes the final assessment, which closes the conclusion."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Body, Conclusion
from tests.e2e.conftest import screenshot
from workflows.deadlines import vietnam_date

pytestmark = pytest.mark.e2e
NUMBER = "E2E-07/KL-UBKT"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def logins(live_server: Any) -> dict[str, tuple[str, str]]:
    return live_server.load_demo()


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("files") / "bien-ban-thu-hoi.pdf"
    path.write_bytes(PDF)
    return path


def log_in(page: Any, live_server: Any, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def body_id(live_server: Any, code: str) -> str:
    with live_server.session() as s:
        return str(s.scalar(select(Body.id).where(Body.code == code)))


def open_action(page: Any, name: str) -> None:
    page.click(f"#act-{name} > summary")


def confirm(page: Any) -> str:
    text: str = page.locator(".flash-success").inner_text()
    return text


def requirement_links(page: Any, live_server: Any) -> list[str]:
    with live_server.session() as s:
        conclusion = s.scalar(select(Conclusion).where(Conclusion.number == NUMBER))
        assert conclusion is not None
        return [f"{live_server.url}/requirements/{r.id}" for r in conclusion.requirements]


def test_a_conclusion_is_remediated_end_to_end(page, live_server, logins, evidence):
    unit, commission = body_id(live_server, "QU-BD"), body_id(live_server, "UBKT-TU-HN")
    issue = vietnam_date(utcnow()) - timedelta(days=3)

    # The supervisor registers the conclusion with two requirements.
    log_in(page, live_server, *logins["supervisor"])
    screenshot(page, "supervisor-home")
    page.goto(f"{live_server.url}/conclusions/new")
    page.fill("[name=number]", NUMBER)
    page.fill("[name=title]", "Kết luận kiểm tra dấu hiệu vi phạm trong quản lý tài chính")
    page.fill("[name=issue_date]", issue.isoformat())
    page.select_option("[name=subject_body_id]", unit)
    page.fill("[name=summary]", "Chi sai chế độ, thiếu hồ sơ thanh toán.")
    page.click("[name=add_requirement]")
    assert page.locator(".requirement-row").count() == 2
    rows = [
        ("Thu hồi 300 triệu đồng chi sai.", "financial", "300000000"),
        ("Kiểm điểm trách nhiệm kế toán trưởng.", "disciplinary", ""),
    ]
    for i, (text, category, amount) in enumerate(rows):
        page.fill(f"[name='requirements-{i}-text']", text)
        page.select_option(f"[name='requirements-{i}-category']", category)
        page.select_option(f"[name='requirements-{i}-responsible_body_id']", unit)
        page.select_option(f"[name='requirements-{i}-supervising_body_id']", commission)
        page.fill(
            f"[name='requirements-{i}-deadline_date']", (issue + timedelta(days=45)).isoformat()
        )
        if amount:
            page.fill(f"[name='requirements-{i}-target_amount']", amount)
    page.click("[name=issue]")
    assert NUMBER in confirm(page)
    assert page.locator("#requirements tbody tr").count() == 2
    screenshot(page, "supervisor-conclusion-registered")
    links = requirement_links(page, live_server)

    # The unit acknowledges, plans, reports with a PDF and submits both.
    log_in(page, live_server, *logins["officer"])
    page.goto(f"{live_server.url}/inbox")
    assert page.locator("#inbox", has_text=NUMBER).count() == 1
    screenshot(page, "officer-inbox")
    for link in links:
        page.goto(link)
        open_action(page, "acknowledge")
        page.click("#act-acknowledge button[type=submit]")
        confirm(page)
        open_action(page, "plan")
        page.fill("[name=plan-plan]", "Họp, ra quyết định, thực hiện trong 30 ngày.")
        page.click("#act-plan button[type=submit]")
        confirm(page)
        open_action(page, "report")
        page.fill("[name=report-text]", "Đã ban hành quyết định thu hồi.")
        page.fill("[name=report-percent]", "60")
        if page.locator("[name=report-amount_recovered]").count():  # financial only
            page.fill("[name=report-amount_recovered]", "300000000")
        page.set_input_files("[name=report-evidence-0-file]", str(evidence))
        page.fill("[name=report-evidence-0-doc_number]", "21/QĐ-QU")
        page.click("#act-report button[type=submit]")
        confirm(page)
        assert page.locator("#timeline a", has_text="bien-ban-thu-hoi.pdf").count() == 1
        open_action(page, "submit")
        page.fill("[name=submit-text]", "Đã hoàn thành, nộp đủ chứng từ.")
        page.set_input_files("[name=submit-evidence-0-file]", str(evidence))
        page.click("#act-submit button[type=submit]")
        confirm(page)
    screenshot(page, "officer-requirement-submitted")

    # The supervisor rejects the first as formal only and closes the second.
    log_in(page, live_server, *logins["supervisor"])
    page.goto(f"{live_server.url}/verification")
    screenshot(page, "supervisor-verification-queue")
    page.goto(links[0])
    open_action(page, "verify")
    page.check("[name=verify-decision][value=formal_only]")
    page.fill("[name=verify-reason]", "Chứng từ chỉ là bản sao, chưa có xác nhận của Kho bạc.")
    page.click("#act-verify button[type=submit]")
    confirm(page)
    assert "status-returned" in page.locator("#status").get_attribute("class")
    page.goto(links[1])
    open_action(page, "verify")
    page.check("[name=verify-decision][value=implemented]")
    page.click("#act-verify button[type=submit]")
    confirm(page)

    # The unit resubmits the first.
    log_in(page, live_server, *logins["officer"])
    page.goto(links[0])
    open_action(page, "submit")
    page.fill("[name=submit-text]", "Bổ sung giấy nộp tiền có xác nhận của Kho bạc.")
    page.set_input_files("[name=submit-evidence-0-file]", str(evidence))
    page.click("#act-submit button[type=submit]")
    confirm(page)

    # The supervisor closes it, and then the conclusion with its final assessment.
    log_in(page, live_server, *logins["supervisor"])
    page.goto(links[0])
    open_action(page, "verify")
    page.check("[name=verify-decision][value=implemented]")
    page.click("#act-verify button[type=submit]")
    confirm(page)
    page.locator("#diagram[data-ready=true]").wait_for()
    screenshot(page, "supervisor-requirement-closed")
    page.click(".crumbs a")
    page.fill("[name=assessment]", "Đơn vị đã khắc phục đầy đủ, đúng hạn.")
    page.click("#assess button[type=submit]")
    confirm(page)
    assert page.locator("#conclusion-status").inner_text().strip() in ("Đã đóng", "Closed")
    assert "300.000.000 ₫ / 300.000.000 ₫" in page.locator(".facts").inner_text()
    screenshot(page, "supervisor-conclusion-closed")
