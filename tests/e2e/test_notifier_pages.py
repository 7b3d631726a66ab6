"""In a real Chromium: the bell counts what the demo's life-cycle events told a user, a click
opens the requirement and marks it read; preferences save; the admin reads a written email."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import User
from db.models.notification import Notification
from db.settings import load_settings
from notifier.jobs import flush_outbox
from notifier.outbox import Notice, Recipients, queue
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
    page.wait_for_url(f"{live_server.url}/")


def unread(live_server, username):
    with live_server.session() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        return user_id, s.scalar(
            select(func.count()).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )


def test_the_bell_leads_to_the_news_and_opening_one_marks_it_read(page, live_server, logins):
    username, password = logins["officer"]
    _, before = unread(live_server, username)
    assert before > 0, "the demo's conclusions should have told the unit's officers"
    log_in(page, live_server, username, password)
    badge = page.locator(".bell .badge")
    assert badge.inner_text() == str(before)
    page.locator(".bell").click()
    page.wait_for_url(re.compile(r"/notifications\?unread=1$"))
    first = page.locator(".notification.unread button.link").first
    assert "Kết luận" in first.inner_text()
    screenshot(page, "notifications-list")
    first.click()
    page.wait_for_url(re.compile(r"/requirements/\d+$"))
    _, after = unread(live_server, username)
    assert after == before - 1
    assert page.locator(".bell .badge").inner_text() == str(after)


def test_preferences_are_saved_in_vietnamese(page, live_server, logins):
    log_in(page, live_server, *logins["officer"])
    page.goto(f"{live_server.url}/notifications/preferences")
    page.select_option("#kind_progress", "inapp")
    page.click("button[type=submit].primary")
    assert "Đã lưu cách nhận thông báo" in page.locator(".flash-success").inner_text()
    assert page.locator("#kind_progress").input_value() == "inapp"
    screenshot(page, "notification-preferences")


def test_the_admin_reads_an_email_the_embedded_default_wrote(page, live_server, logins):
    username = logins["supervisor"][0]
    with live_server.session_factory.begin() as s:
        user = s.scalar(select(User).where(User.username == username))
        user.email = "giamsat@example.vn"
        facts = {"path": "/", "conclusion_number": "99-KL/TW", "seq": 1, "excerpt": "Thu hồi"}
        who = Recipients(users=(user.id,))
        queue(
            s, Notice("requirement.submitted", "submitted", ("requirement", 1), facts, "e2e", who)
        )
        url = str(s.get_bind().url)
    settings = load_settings(env={}, instance_path=live_server.instance_path, database_url=url)
    assert flush_outbox(live_server.session_factory, utcnow(), settings=settings).sent >= 1

    log_in(page, live_server, *logins["admin"])
    page.goto(f"{live_server.url}/admin/outbox/mail")
    link = page.locator("table a", has_text="99-KL/TW").first
    link.click()
    assert "Kính gửi" in page.locator("pre.mail-text").inner_text()
    frame = page.frame_locator("iframe.mail-html")
    assert "99-KL/TW" in frame.locator("body").inner_text()
    screenshot(page, "admin-written-mail")
