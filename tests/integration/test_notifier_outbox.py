"""The outbox under real commits: two flushers at once never send a message twice, rows a
flusher abandoned while sending are settled without a duplicate, and a committed change's
notifications are delivered while a rolled-back one's never exist."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Body, User
from db.models.notification import Notification, OutboxMessage
from notifier.jobs import flush_outbox
from notifier.outbox import Notice, Recipients, queue
from tests.integration.notifier_support import smtp_server

FACTS = {"path": "/requirements/1", "conclusion_number": "1-KL/TW", "seq": 1, "excerpt": "x"}


def people(factory: Any, count: int) -> list[int]:
    with factory.begin() as s:
        body = Body(code=f"B{uuid.uuid4().hex[:8]}", name="Sở Tư pháp", kind="agency")
        s.add(body)
        s.flush()
        users = [
            User(
                username=f"u{uuid.uuid4().hex[:10]}",
                full_name=f"Cán bộ {i}",
                email=f"officer{i}@example.vn",
                body_id=body.id,
                password_hash="x",
            )
            for i in range(count)
        ]
        s.add_all(users)
        s.flush()
        return [u.id for u in users]


def announce(factory: Any, user_ids: list[int], key: str = "k") -> None:
    with factory.begin() as s:
        queue(
            s,
            Notice(
                "requirement.submitted",
                "submitted",
                ("requirement", 1),
                FACTS,
                key,
                Recipients(users=tuple(user_ids)),
            ),
        )


def statuses(factory: Any) -> dict[str, int]:
    with factory() as s:
        return dict(
            s.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )


@pytest.fixture
def server() -> Any:
    with smtp_server() as running:
        yield running


def test_two_flushers_at_once_send_every_message_exactly_once(committed, settings, server):
    smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=server.port, smtp_timeout=10)
    server.sink.delay = 0.01  # keep both flushers busy at the same time
    announce(committed.factory, people(committed.factory, 40))
    now = utcnow() + timedelta(seconds=1)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(flush_outbox(committed.factory, now, settings=smtp))
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 40
    assert all(r.sent > 0 for r in results), "both flushers should have taken part"
    recipients = [rcpt for rcpt, _ in server.sink.received]
    assert len(recipients) == len(set(recipients)) == 40
    message_ids = {m["Message-ID"] for m in server.sink.messages()}
    assert len(message_ids) == 40
    assert statuses(committed.factory) == {"sent": 40}


def test_an_email_abandoned_while_sending_is_not_sent_again_but_kept_for_the_admin(
    committed, settings, server
):
    smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=server.port)
    announce(committed.factory, people(committed.factory, 1))
    with committed.factory.begin() as s:  # a flusher claimed it, then died
        row = s.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_at = "sending", utcnow() - timedelta(hours=1)
    result = flush_outbox(committed.factory, utcnow(), settings=smtp)
    assert (result.recovered, result.sent) == (1, 0)
    assert server.sink.received == []
    with committed.factory() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.status == "dead"
        assert "Message-ID <" in row.last_error and "retry it" in row.last_error


def test_a_written_mail_abandoned_while_sending_is_simply_written_again(committed, settings):
    announce(committed.factory, people(committed.factory, 1))
    with committed.factory.begin() as s:
        row = s.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_at = "sending", utcnow() - timedelta(hours=1)
    result = flush_outbox(committed.factory, utcnow(), settings=settings)
    assert (result.recovered, result.sent) == (1, 1)
    assert len(list((settings.instance_path / "mail").glob("*.eml"))) == 1
    assert statuses(committed.factory) == {"sent": 1}


def test_a_row_being_sent_by_another_flusher_is_left_alone(committed, settings):
    announce(committed.factory, people(committed.factory, 1))
    with committed.factory.begin() as s:
        row = s.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_at = "sending", utcnow() - timedelta(seconds=20)
    result = flush_outbox(committed.factory, utcnow(), settings=settings)
    assert (result.recovered, result.sent) == (0, 0)
    assert statuses(committed.factory) == {"sending": 1}


def test_the_same_news_queued_by_two_transactions_is_stored_and_sent_once(committed, settings):
    ids = people(committed.factory, 3)
    announce(committed.factory, ids, key="report-9")
    announce(committed.factory, ids, key="report-9")  # e.g. a job retried after committing
    with committed.factory() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 3
    assert flush_outbox(committed.factory, utcnow(), settings=settings).sent == 3


def test_a_rolled_back_change_leaves_nothing_to_send(committed, settings):
    ids = people(committed.factory, 2)
    with pytest.raises(RuntimeError), committed.factory.begin() as s:
        queue(
            s,
            Notice(
                "requirement.submitted",
                "submitted",
                ("requirement", 1),
                FACTS,
                "k",
                Recipients(users=tuple(ids)),
            ),
        )
        raise RuntimeError("the verb failed after queuing")
    assert statuses(committed.factory) == {}
    assert flush_outbox(committed.factory, utcnow(), settings=settings).sent == 0
