"""The notification pages: the bell, the list, marking read, preferences; the administrator's
outbox, dead letters, written mail and webhooks — each refused to whom it does not belong."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent
from db.models.notification import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    Webhook,
)
from notifier.outbox import Notice, Recipients, queue
from tests.conftest import csrf_token, login, post_form

FACTS = {
    "path": "/requirements/7",
    "conclusion_number": "34-KL/TW",
    "seq": 2,
    "excerpt": "Thu hồi tiền sử dụng sai mục đích",
    "responsible_body": "Sở Tài chính",
    "supervising_body": "Ủy ban Kiểm tra",
    "deadline": "2026-12-31T10:00:00+00:00",
    "percent": 100,
}


def tell(session: Any, user: Any, kind: str = "submitted", key: str = "k") -> Notification:
    queue(
        session,
        Notice(
            "requirement.submitted",
            kind,
            ("requirement", 7),
            FACTS,
            key,
            Recipients(users=(user.id,)),
        ),
    )
    found = session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    ).first()
    assert found is not None
    return found


@pytest.fixture
def supervisor(make_user: Any) -> Any:
    return make_user(roles=("supervisor",), email="s@example.vn", locale="vi")


@pytest.fixture
def admin_client(client: Any, make_user: Any) -> Any:
    make_user("quantri", roles=("admin",))
    login(client, "quantri")
    return client


def bell_count(html: str) -> int | None:
    found = re.search(r'<span class="badge">(\d+)</span>', html)
    return int(found.group(1)) if found else None


def test_the_bell_counts_unread_notifications_on_every_page(client, session, supervisor):
    tell(session, supervisor, key="a")
    tell(session, supervisor, key="b")
    login(client, supervisor.username)
    assert bell_count(client.get("/").get_data(as_text=True)) == 2


def test_the_list_shows_the_emails_subject_in_the_readers_language(client, session, supervisor):
    tell(session, supervisor)
    login(client, supervisor.username)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Báo cáo hoàn thành chờ thẩm định: Kết luận 34-KL/TW, kiến nghị số 2" in html
    supervisor.locale = "en"
    session.flush()
    session.expire_all()
    html = client.get("/notifications").get_data(as_text=True)
    assert "Completion report awaiting verification: conclusion 34-KL/TW, requirement 2" in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_subject(client, session, supervisor):
    note = tell(session, supervisor)
    login(client, supervisor.username)
    token = csrf_token(client, "/notifications")
    answer = client.post(f"/notifications/{note.id}/open", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/requirements/7")
    session.expire_all()
    assert note.read_at is not None
    assert bell_count(client.get("/notifications").get_data(as_text=True)) is None


def test_mark_one_and_mark_all_as_read(client, session, supervisor):
    first, second = tell(session, supervisor, key="a"), tell(session, supervisor, key="b")
    login(client, supervisor.username)
    post_form(client, f"/notifications/{first.id}/read", {}, form_page="/notifications")
    session.expire_all()
    assert first.read_at is not None and second.read_at is None
    answer = post_form(client, "/notifications/read-all", {}, form_page="/notifications")
    session.expire_all()
    assert answer.status_code == 302 and second.read_at is not None


def test_nobody_can_read_or_open_someone_elses_notification(client, session, supervisor, make_user):
    note = tell(session, supervisor)
    other = make_user(roles=("supervisor",))
    login(client, other.username)
    for action in ("read", "open"):
        answer = post_form(client, f"/notifications/{note.id}/{action}", {}, "/notifications")
        assert answer.status_code == 404
    session.expire_all()
    assert note.read_at is None
    assert "34-KL/TW" not in client.get("/notifications").get_data(as_text=True)


def test_the_pages_need_a_login(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/preferences").status_code == 302


def test_preferences_are_saved_but_escalations_stay_immediate(client, session, supervisor):
    login(client, supervisor.username)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="kind_submitted"' in page and 'name="kind_escalation"' not in page
    answer = post_form(
        client,
        "/notifications/preferences",
        {"kind_submitted": "digest", "kind_progress": "inapp", "kind_escalation": "digest"},
    )
    assert answer.status_code == 302
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == supervisor.id
            )
        ).all()
    )
    assert chosen["submitted"] == "digest" and chosen["progress"] == "inapp"
    assert chosen["summary"] == "off" and "escalation" not in chosen


def test_an_unknown_mode_is_refused_naming_the_field(client, session, supervisor):
    login(client, supervisor.username)
    answer = post_form(client, "/notifications/preferences", {"kind_submitted": "sms"})
    assert answer.status_code == 400
    assert "Not a valid choice" in answer.get_data(as_text=True) or "hợp lệ" in answer.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(NotificationPreference)) == 0


# -- administration ------------------------------------------------------------------------


def test_admin_pages_are_for_administrators_only(client, supervisor):
    login(client, supervisor.username)
    for path in ("/admin/outbox", "/admin/outbox/mail", "/admin/webhooks", "/admin/webhooks/new"):
        assert client.get(path).status_code == 403, path


def test_the_outbox_shows_dead_letters_with_the_servers_answer_and_retries_them(
    admin_client, session, supervisor
):
    tell(session, supervisor)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == supervisor.id)).one()
    row.status, row.attempts = "dead", 1
    row.last_error = "550 5.1.1 <s@example.vn>: Recipient address rejected"
    session.flush()
    html = admin_client.get("/admin/outbox?status=dead").get_data(as_text=True)
    assert "Recipient address rejected" in html
    answer = post_form(admin_client, f"/admin/outbox/{row.id}/retry", {}, "/admin/outbox")
    assert answer.status_code == 302
    session.expire_all()
    assert (row.status, row.attempts) == ("pending", 0)
    assert session.scalar(select(func.count()).where(AuditEvent.action == "outbox.retried")) == 1
    # A row that is not dead is not retried.
    post_form(admin_client, f"/admin/outbox/{row.id}/retry", {}, "/admin/outbox")
    assert session.scalar(select(func.count()).where(AuditEvent.action == "outbox.retried")) == 1


def test_the_written_mail_is_listed_and_shown_with_both_parts(admin_client, app, settings):
    folder = settings.instance_path / "mail"
    folder.mkdir(parents=True)
    msg = EmailMessage()
    msg["To"], msg["Subject"] = "a@example.vn", "Kiến nghị mới"
    msg["Date"] = "Mon, 23 Nov 2026 08:00:00 +0700"
    msg.set_content("Kính gửi ông/bà")
    msg.add_alternative("<p>Kính gửi <script>alert(1)</script></p>", subtype="html")
    (folder / "20261123-080000-5.eml").write_bytes(msg.as_bytes())
    listing = admin_client.get("/admin/outbox/mail").get_data(as_text=True)
    assert "Kiến nghị mới" in listing
    shown = admin_client.get("/admin/outbox/mail/20261123-080000-5.eml").get_data(as_text=True)
    assert "Kính gửi ông/bà" in shown
    assert 'sandbox=""' in shown and "<script>alert(1)</script>" not in shown


@pytest.mark.parametrize("name", ["../secret_key", "..%2Fsecret_key", "x.eml", "20261123-1.txt"])
def test_the_mail_viewer_reads_nothing_but_our_messages(admin_client, settings, name):
    (settings.instance_path).mkdir(parents=True, exist_ok=True)
    (settings.instance_path / "secret_key").write_text("top secret")
    answer = admin_client.get(f"/admin/outbox/mail/{name}")
    assert answer.status_code == 404
    assert "top secret" not in answer.get_data(as_text=True)


@pytest.fixture
def allowing(app: Any, settings: Any) -> Any:
    app.config["REMTRACK"] = replace(settings, webhook_allowed_hosts="hooks.example.vn")
    return app


def _hook(body_id: int, url: str, **kw: Any) -> dict[str, Any]:
    return {"body_id": str(body_id), "url": url, "description": "", "active": "y", **kw}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.example.vn/in", "phải bắt đầu bằng http:// hoặc https://"),
        ("javascript:alert(1)", "phải bắt đầu bằng http:// hoặc https://"),
        ("https://evil.example.com/in", "evil.example.com không thuộc danh sách được phép"),
        ("https://user:pw@hooks.example.vn/in", "tên đăng nhập hoặc mật khẩu"),
        ("https://hooks.example.vn:99999/in", "không phải là địa chỉ web hợp lệ"),
    ],
)
def test_a_webhook_address_outside_what_the_admin_allowed_is_refused(
    admin_client, allowing, session, make_body, url, words
):
    body = make_body()
    answer = post_form(admin_client, "/admin/webhooks/new", _hook(body.id, url))
    assert answer.status_code == 400
    assert words in answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_without_allowed_hosts_no_webhook_can_be_saved(admin_client, session, make_body):
    body = make_body()
    answer = post_form(admin_client, "/admin/webhooks/new", _hook(body.id, "https://a.vn/x"))
    assert answer.status_code == 400
    assert "REMTRACK_WEBHOOK_ALLOWED_HOSTS" in answer.get_data(as_text=True)


def test_a_webhook_is_saved_with_a_secret_and_audited(admin_client, allowing, session, make_body):
    body = make_body()
    answer = post_form(
        admin_client,
        "/admin/webhooks/new",
        _hook(body.id, " https://hooks.example.vn/remtrack ", kinds=["escalation", "overdue"]),
    )
    assert answer.status_code == 302
    session.expire_all()
    hook = session.scalars(select(Webhook)).one()
    assert hook.url == "https://hooks.example.vn/remtrack" and len(hook.secret) >= 32
    assert hook.kinds == ["escalation", "overdue"]
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert hook.secret in page
    old = hook.secret
    post_form(admin_client, f"/admin/webhooks/{hook.id}/secret", {}, f"/admin/webhooks/{hook.id}")
    session.expire_all()
    assert hook.secret != old
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"webhook.saved", "webhook.secret_rotated"} <= actions


def test_the_outbox_page_says_where_email_goes(admin_client):
    html = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "mail/" in html or "Written mail" in html or "Thư đã ghi" in html
    assert datetime.now(UTC).year > 2000
