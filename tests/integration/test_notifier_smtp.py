"""Email delivery against a real SMTP server on loopback (aiosmtpd, started by each test):
the right recipient, subject, language and both parts; nothing lost when the server is down;
nothing sent twice; permanent refusals are dead letters at once; template errors wait."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.notification import OutboxMessage
from notifier.jobs import flush_outbox
from notifier.outbox import Notice, Recipients, queue
from tests.integration.notifier_support import authenticator, self_signed, smtp_server

FACTS = {
    "path": "/requirements/7",
    "requirement_id": 7,
    "conclusion_number": "34-KL/TW",
    "conclusion_title": "Kết luận kiểm tra việc quản lý, sử dụng đất công",
    "seq": 2,
    "excerpt": "Thu hồi toàn bộ số tiền 1,5 tỷ đồng sử dụng sai mục đích",
    "responsible_body": "Sở Tài chính tỉnh Hà Giang",
    "supervising_body": "Ủy ban Kiểm tra Tỉnh ủy Hà Giang",
    # 17:30 UTC on the 31st is already 1 January in Vietnam.
    "deadline": datetime(2026, 12, 31, 17, 30, tzinfo=UTC),
    "percent": 100,
    "actor": "Nguyễn Văn An",
}


def tell(session: Session, *users: Any, kind: str = "submitted", key: str = "k") -> None:
    ids = [u.id for u in users]
    who = Recipients(users=tuple(ids))
    queue(session, Notice("requirement.submitted", kind, ("requirement", 7), FACTS, key, who))


def rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def server() -> Any:
    with smtp_server() as running:
        yield running


@pytest.fixture
def smtp(settings: Any, server: Any) -> Any:
    return replace(settings, smtp_host="127.0.0.1", smtp_port=server.port, smtp_timeout=5)


@pytest.fixture
def vi_user(make_user: Any) -> Any:
    return make_user(roles=("supervisor",), email="tran.binh@ubkt.example.vn", locale="vi")


@pytest.fixture
def en_user(make_user: Any) -> Any:
    return make_user(roles=("supervisor",), email="auditor@example.org", locale="en")


def test_each_recipient_gets_the_message_in_their_language_with_both_parts(
    session, session_factory, smtp, server, vi_user, en_user
):
    vi_user.full_name = "Trần Thị Bình"
    session.flush()
    tell(session, vi_user, en_user)
    result = flush_outbox(session_factory, utcnow(), settings=smtp)
    assert result.sent == 2 and [r.status for r in rows(session)] == ["sent", "sent"]

    pairs = zip(server.sink.received, server.sink.messages(), strict=True)
    by_rcpt = {rcpt: msg for (rcpt, _), msg in pairs}
    vi = by_rcpt["tran.binh@ubkt.example.vn"]
    assert vi["To"] == "Trần Thị Bình <tran.binh@ubkt.example.vn>"
    assert vi["Subject"] == (
        "[remtrack] Báo cáo hoàn thành chờ thẩm định: Kết luận 34-KL/TW, kiến nghị số 2"
    )
    assert vi["Content-Language"] == "vi" and vi["Auto-Submitted"] == "auto-generated"
    assert vi.get_content_type() == "multipart/alternative"
    text = vi.get_body(preferencelist=("plain",)).get_content()
    html = vi.get_body(preferencelist=("html",)).get_content()
    assert "Kính gửi Trần Thị Bình," in text
    assert "Hạn xử lý:               01/01/2027" in text  # the Vietnamese calendar day
    assert "http://127.0.0.1:5000/requirements/7" in text
    assert (
        "Thu hồi toàn bộ số tiền 1,5 tỷ đồng" in html
        and 'href="http://127.0.0.1:5000/requirements/7"' in html
    )

    en = by_rcpt["auditor@example.org"]
    assert en["Subject"].startswith("[remtrack] Completion report awaiting verification")
    assert "Deadline:            01/01/2027" in en.get_body(preferencelist=("plain",)).get_content()


def test_the_message_id_is_fixed_by_the_row(session, session_factory, smtp, server, vi_user):
    tell(session, vi_user)
    flush_outbox(session_factory, utcnow(), settings=smtp)
    message_id = server.sink.messages()[0]["Message-ID"]
    assert message_id.startswith("<") and message_id.endswith("@localhost>")
    row = rows(session)[0]
    from notifier.mail import message_id as expected
    from notifier.outbox import delivery_id

    assert message_id == expected(delivery_id(row.dedupe_key), smtp)


def test_smtp_down_keeps_rows_pending_and_delivers_them_once_it_is_back(
    session, session_factory, smtp, server, vi_user, en_user, caplog
):
    tell(session, vi_user, en_user)
    server.stop()
    now = utcnow()
    result = flush_outbox(session_factory, now, settings=smtp)
    assert result.sent == 0 and "email" in result.down
    assert [(r.status, r.attempts) for r in rows(session)] == [("pending", 0), ("pending", 0)]
    assert "email delivery unavailable" in caplog.text

    server.start()
    later = now + timedelta(minutes=2)
    assert flush_outbox(session_factory, later, settings=smtp).sent == 2
    assert flush_outbox(session_factory, later + timedelta(hours=1), settings=smtp).sent == 0
    assert sorted(r for r, _ in server.sink.received) == [
        "auditor@example.org",
        "tran.binh@ubkt.example.vn",
    ]
    assert [r.status for r in rows(session)] == ["sent", "sent"]


def test_a_refused_address_is_a_dead_letter_at_once_with_the_servers_answer(
    session, session_factory, smtp, server, vi_user, en_user
):
    server.sink.answers["auditor@example.org"] = "550 5.1.1 <auditor@example.org>: User unknown"
    tell(session, vi_user, en_user)
    now = utcnow()
    result = flush_outbox(session_factory, now, settings=smtp)
    assert (result.sent, result.dead) == (1, 1)
    dead = [r for r in rows(session) if r.status == "dead"]
    assert len(dead) == 1 and dead[0].attempts == 1
    assert "550" in dead[0].last_error and "User unknown" in dead[0].last_error
    for hours in (1, 24):  # no retry storm: the server never hears of it again
        flush_outbox(session_factory, now + timedelta(hours=hours), settings=smtp)
    assert server.sink.rcpt_seen.count("auditor@example.org") == 1
    # The other recipient was not held back by the refusal.
    assert [r for r, _ in server.sink.received] == ["tran.binh@ubkt.example.vn"]


def test_a_temporary_refusal_is_retried_with_backoff_then_given_up(
    session, session_factory, smtp, server, vi_user
):
    smtp = replace(smtp, outbox_max_attempts=3)
    server.sink.answers["tran.binh@ubkt.example.vn"] = "451 4.3.0 Try again later"
    tell(session, vi_user)
    now = utcnow()
    flush_outbox(session_factory, now, settings=smtp)
    row = rows(session)[0]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == now + timedelta(minutes=1)
    # Not due yet: a flush 30 seconds later leaves it alone.
    flush_outbox(session_factory, now + timedelta(seconds=30), settings=smtp)
    assert len(server.sink.rcpt_seen) == 1
    flush_outbox(session_factory, now + timedelta(minutes=1), settings=smtp)
    row = rows(session)[0]
    assert row.attempts == 2 and row.next_attempt_at == now + timedelta(minutes=3)
    flush_outbox(session_factory, now + timedelta(minutes=3), settings=smtp)
    row = rows(session)[0]
    assert row.status == "dead" and row.last_error.startswith("gave up after 3 attempts: 451")
    assert len(server.sink.rcpt_seen) == 3


def test_a_broken_template_is_logged_by_name_and_the_row_waits_for_the_fix(
    session, session_factory, smtp, server, vi_user, caplog
):
    broken = smtp.instance_path / "mail-templates" / "vi" / "kinds" / "submitted.jinja"
    broken.parent.mkdir(parents=True)
    broken.write_text("{% macro subject(f) %}{{ f.seq + }}{% endmacro %}")
    tell(session, vi_user)
    now = utcnow()
    with caplog.at_level(logging.ERROR, logger="notifier.delivery"):
        result = flush_outbox(session_factory, now, settings=smtp)
    assert result.deferred == 1 and result.sent == 0
    assert "vi/kinds/submitted.jinja, line 1" in caplog.text
    row = rows(session)[0]
    assert (row.status, row.attempts) == ("pending", 0)
    assert "vi/kinds/submitted.jinja" in row.last_error
    assert server.sink.received == []

    broken.unlink()  # the site fixes its template
    assert flush_outbox(session_factory, now + timedelta(minutes=10), settings=smtp).sent == 1
    assert rows(session)[0].status == "sent"


def test_a_user_without_email_left_in_the_outbox_is_a_dead_letter_not_a_crash(
    session, session_factory, smtp, server, vi_user
):
    tell(session, vi_user)
    vi_user.email = None  # the address was removed after the news was queued
    session.flush()
    result = flush_outbox(session_factory, utcnow(), settings=smtp)
    assert result.dead == 1 and "no email address" in rows(session)[0].last_error


def test_starttls_and_login(session, session_factory, settings, vi_user, tmp_path):
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    options = {
        "tls_context": context,
        "require_starttls": True,
        "auth_required": True,
        "authenticator": authenticator("remtrack", "s3cret-pass"),
    }
    with smtp_server(**options) as server:
        secure = replace(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_username="remtrack",
            smtp_password="s3cret-pass",
            smtp_ca_file=str(cert),
        )
        tell(session, vi_user)
        wrong = replace(secure, smtp_password="wrong")
        result = flush_outbox(session_factory, utcnow(), settings=wrong)
        assert "email" in result.down and "535" in result.down["email"]
        assert rows(session)[0].status == "pending"  # a configuration fault loses nothing
        assert (
            flush_outbox(session_factory, utcnow() + timedelta(minutes=2), settings=secure).sent
            == 1
        )
        assert len(server.sink.received) == 1


def test_without_an_smtp_host_mail_is_written_to_the_instance_folder(
    session, session_factory, settings, vi_user
):
    tell(session, vi_user)
    assert flush_outbox(session_factory, utcnow(), settings=settings).sent == 1
    files = list((settings.instance_path / "mail").glob("*.eml"))
    assert len(files) == 1
    from email import message_from_bytes, policy

    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"].endswith("<tran.binh@ubkt.example.vn>")
    assert (
        "Kết luận:                34-KL/TW" in msg.get_body(preferencelist=("plain",)).get_content()
    )
    assert not list((settings.instance_path / "mail").glob("*.part"))
