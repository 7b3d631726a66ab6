"""In a real Chromium, on the demo data: a supervisor reads the flags in words, filters them
and dismisses one with a reason; the administrator adds a make-up working day."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from workflows.demo import load_demo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def logins(live_server):
    with live_server.session_factory.begin() as session:
        found = load_demo(session, live_server.instance_path)
    return {user: password for _, user, password in found}


def log_in(page, live_server, logins, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", logins[username])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def test_a_supervisor_filters_and_dismisses_a_flag(page, live_server, logins):
    log_in(page, live_server, logins, "giamsat.hn")
    page.get_by_role("link", name="Cảnh báo", exact=True).click()
    board = page.locator("#flags")
    assert board.locator("tr[data-rule=overdue]").count() >= 1
    assert board.locator("tr[data-rule=copied_report]").count() == 1
    screenshot(page, "flags-board")
    page.select_option("select[name=rule]", "recycled_evidence")
    page.click("form.filters button[type=submit]")
    row = page.locator("#flags tr[data-rule=recycled_evidence]")
    assert row.count() == 1 and "phieu-thu-dot-1.pdf" in row.inner_text()
    row.get_by_role("link", name="Bỏ qua").click()
    page.click("button[type=submit].primary")
    assert page.locator(".field.has-error").count() == 1  # the reason is required
    page.fill("#reason", "Phiếu thu dùng chung cho hai kiến nghị cùng vụ việc.")
    page.click("button[type=submit].primary")
    assert "Đã bỏ qua cảnh báo." in page.locator(".flash-success").inner_text()
    assert page.locator("#flags tr[data-rule=recycled_evidence]").count() == 0
    screenshot(page, "flag-dismissed")


def test_the_administrator_adds_a_make_up_day(page, live_server, logins):
    log_in(page, live_server, logins, "quantri")
    page.goto(f"{live_server.url}/admin/calendar?year=2027")
    assert "Tết Nguyên Đán" in page.locator("#public-holidays").inner_text()
    page.fill("#day", "2027-02-20")
    page.select_option("#kind", "working")
    page.fill("#note", "Làm bù cho ngày 10/02")
    page.click("button[type=submit].primary")
    assert "20/02/2027" in page.locator("#calendar-days").inner_text()
    screenshot(page, "working-day-calendar")
