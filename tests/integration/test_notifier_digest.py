"""The daily digest for a frozen clock: what is overdue, due soon, flagged and escalated in
each user's reach, plus the notifications they chose to get daily — once per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select

from db.models.monitor import Flag, MonitorRule
from db.models.notification import Notification, NotificationPreference, OutboxMessage
from notifier.jobs import flush_outbox, send_digests
from notifier.render import Renderer
from workflows.notifications import notify_event

#: 07:30 in Vietnam on Monday 4 March 2030.
FROZEN = datetime(2030, 3, 4, 0, 30, tzinfo=UTC)


@pytest.fixture
def scene(session: Any, cast: Any, make_conclusion: Any, make_user: Any) -> Any:
    """Five requirements of one conclusion, each in a different state on the frozen day."""
    cast.supervisor.email = "giamsat@ubkt.example.vn"
    cast.officer.email = "canbo@so.example.vn"
    cast.outsider = make_user(roles=("supervisor",), email="other@example.vn")
    conclusion = make_conclusion(count=6, number="12-KL/UBKT")
    overdue, soon, flagged, escalated, closed, waiting = conclusion.requirements
    overdue.deadline = FROZEN - timedelta(days=3)
    soon.deadline = FROZEN + timedelta(days=2)
    flagged.deadline = FROZEN + timedelta(days=40)
    escalated.deadline, escalated.escalation_level = FROZEN + timedelta(days=50), 2
    closed.deadline, closed.status = FROZEN - timedelta(days=9), "closed"
    waiting.deadline, waiting.status = FROZEN - timedelta(days=1), "pending_verification"
    for rule in ("stalled_test", "pace_test"):  # one open flag per rule and requirement
        session.add(MonitorRule(id=rule, kind="slow", severity="warning", parameters={}))
        session.flush()
        session.add(Flag(requirement_id=flagged.id, rule_id=rule, severity="warning"))
    session.flush()
    cast.requirements = conclusion.requirements
    return cast


def digest_of(session: Any, user: Any) -> dict[str, Any]:
    row = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.user_id == user.id, OutboxMessage.template == "digest"
        )
    ).one()
    return row.payload


def test_the_digest_tells_each_user_what_stands_in_their_reach(session, session_factory, scene):
    result = send_digests(session_factory, FROZEN)
    assert sorted(result.queued) == sorted([scene.supervisor.id, scene.officer.id])
    content = digest_of(session, scene.supervisor)
    assert content["day"] == "2030-03-04"
    reqs = scene.requirements
    assert [i["seq"] for i in content["overdue"]] == [reqs[0].seq]
    assert [i["seq"] for i in content["due_soon"]] == [reqs[1].seq]
    assert [i["seq"] for i in content["escalated"]] == [reqs[3].seq]
    assert [(i["seq"], i["flags"]) for i in content["flagged"]] == [(reqs[2].seq, 2)]
    assert content["counts"] == {
        "overdue": 1,
        "due_soon": 1,
        "flagged": 1,
        "escalated": 1,
        "notifications": 0,
    }
    # The unit sees the same requirements: they are its own.
    assert digest_of(session, scene.officer)["counts"]["overdue"] == 1
    # Someone of another body hears nothing of them.
    assert scene.outsider.id not in result.queued


def test_the_digest_reads_naturally_in_vietnamese(session, session_factory, scene):
    send_digests(session_factory, FROZEN)
    text = (
        Renderer("https://remtrack.example.vn")
        .digest("vi", digest_of(session, scene.supervisor), "Nguyễn Thị Hoa")
        .text
    )
    first = scene.requirements[0]
    assert "Kính gửi Nguyễn Thị Hoa," in text
    assert "tính đến ngày 04/03/2030" in text
    assert "QUÁ HẠN XỬ LÝ (1)" in text
    assert (
        f"- Kết luận 12-KL/UBKT, kiến nghị số {first.seq} — {scene.unit.name} — hạn 01/03/2030"
        in text
    )
    assert f"https://remtrack.example.vn/requirements/{first.id}" in text
    assert "SẮP ĐẾN HẠN (trong 7 ngày tới) (1)" in text
    assert "CÓ DẤU HIỆU CHẬM HOẶC HÌNH THỨC (1)" in text and "2 dấu hiệu" in text
    assert "ĐANG ĐƯỢC CHUYỂN CẤP XỬ LÝ (1)" in text and "cấp 2" in text


def test_notifications_chosen_for_the_digest_are_listed_once(session, session_factory, scene):
    req = scene.requirements[1]
    notify_event(session, "requirement.plan_submitted", ("requirement", req.id))
    note = session.scalars(
        select(Notification).where(Notification.user_id == scene.supervisor.id)
    ).one()
    assert note.delivery == "digest"
    send_digests(session_factory, FROZEN)
    content = digest_of(session, scene.supervisor)
    assert content["counts"]["notifications"] == 1
    assert content["notifications"][0]["kind"] == "progress"
    session.expire_all()
    assert note.digested_at == FROZEN
    # The same day again, or a second scheduler at once: nothing more is queued.
    again = send_digests(session_factory, FROZEN + timedelta(hours=3))
    assert again.queued == []
    # The next day's digest does not repeat it.
    send_digests(session_factory, FROZEN + timedelta(days=1))
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.user_id == scene.supervisor.id, OutboxMessage.template == "digest"
        )
    ).all()
    assert [r.payload["counts"]["notifications"] for r in rows] == [1, 0]


def test_a_user_who_turned_the_summary_off_gets_only_their_chosen_notifications(
    session, session_factory, scene
):
    session.add(NotificationPreference(user_id=scene.officer.id, kind="summary", mode="off"))
    session.flush()
    result = send_digests(session_factory, FROZEN)
    assert scene.officer.id not in result.queued


def test_the_digest_is_delivered_as_an_email_with_a_counting_subject(
    session, session_factory, scene, settings
):
    send_digests(session_factory, FROZEN)
    assert flush_outbox(session_factory, FROZEN, settings=settings).sent >= 2
    subjects = {
        message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
        for p in (settings.instance_path / "mail").glob("*.eml")
    }
    assert "[remtrack] Tổng hợp ngày 04/03/2030: 1 quá hạn, 1 sắp đến hạn, 0 thông báo" in subjects
