"""In a real Chromium: log in, manage bodies as an admin, switch language, log out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Body
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def logins(live_server):
    return live_server.load_demo()


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")


def test_a_wrong_password_shows_a_vietnamese_message(page, live_server, logins):
    log_in(page, live_server, logins["officer"][0], "not-the-password-1")
    assert page.locator(".flash-error").inner_text().strip() == "Sai tên đăng nhập hoặc mật khẩu."
    screenshot(page, "login-error")


def test_the_officer_sees_the_overview_of_their_reach(page, live_server, logins):
    log_in(page, live_server, *logins["officer"])
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").first.inner_text() == "Tổng quan"
    assert page.get_by_role("link", name="QU-BD").count() == 1
    assert page.get_by_role("link", name="Người dùng").count() == 0  # no admin menu
    screenshot(page, "officer-overview")


def test_the_admin_adds_a_body_under_a_supervisor(page, live_server, logins):
    log_in(page, live_server, *logins["admin"])
    page.get_by_role("link", name="Cơ quan, đơn vị").first.click()
    page.get_by_role("link", name="Thêm cơ quan, đơn vị").click()
    page.fill("#code", "PX-TRUCBACH")
    page.fill("#name", "Ủy ban nhân dân phường Trúc Bạch")
    page.select_option("#kind", "agency")
    page.select_option("#supervisor_id", label="UBND-BD — Ủy ban nhân dân quận Ba Đình")
    page.click("button[type=submit].primary")
    assert "Đã lưu cơ quan, đơn vị PX-TRUCBACH." in page.locator(".flash-success").inner_text()
    screenshot(page, "admin-bodies")
    with live_server.session() as session:
        body = session.scalar(select(Body).where(Body.code == "PX-TRUCBACH"))
        assert body is not None and body.supervisor.code == "UBND-BD"


def test_a_duplicate_code_keeps_what_the_admin_typed(page, live_server, logins):
    log_in(page, live_server, *logins["admin"])
    page.goto(f"{live_server.url}/admin/bodies/new")
    page.fill("#code", "KTNN")
    page.fill("#name", "Tên vẫn còn")
    page.click("button[type=submit].primary")
    assert "đã được dùng" in page.locator(".flash-error").inner_text()
    assert page.input_value("#name") == "Tên vẫn còn"


def test_switching_to_english_then_logging_out(page, live_server, logins):
    log_in(page, live_server, *logins["supervisor"])
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").first.inner_text() == "Overview"
    screenshot(page, "supervisor-overview-en")
    page.get_by_role("button", name="Log out").click()
    assert page.locator(".flash-info").inner_text().strip() == "You have logged out."
