"""Several passes at once against one PostgreSQL: each rule is evaluated by one of them at a
time (its row locked, SKIP LOCKED), so no flag is opened twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from db.models import Body, Conclusion, Requirement, User
from db.models.monitor import Flag
from workflows.monitor import run_pass


def _plant(factory, count: int) -> None:
    """Overdue, unacknowledged requirements written as rows (the monitor reads only tables)."""
    now = datetime.now(UTC)
    with factory.begin() as s:
        body = Body(code="CONC", name="Đơn vị", kind="agency")
        s.add(body)
        s.flush()
        user = User(username="conc", full_name="C", body_id=body.id, password_hash="x")
        s.add(user)
        s.flush()
        conclusion = Conclusion(
            number="1-KL",
            title="t",
            issuing_body_id=body.id,
            source="state_inspection",
            issue_date=date.today() - timedelta(days=60),
            subject_body_id=body.id,
            summary="s",
            created_by_id=user.id,
        )
        s.add(conclusion)
        s.flush()
        for seq in range(1, count + 1):
            deadline = now - timedelta(days=10)
            s.add(
                Requirement(
                    conclusion_id=conclusion.id,
                    seq=seq,
                    text="r",
                    category="administrative",
                    responsible_body_id=body.id,
                    supervising_body_id=body.id,
                    deadline=deadline,
                    original_deadline=deadline,
                    created_at=now - timedelta(days=60),
                )
            )


def test_concurrent_passes_open_each_flag_once(committed):
    # PostgreSQL claims rows; SQLite serialises writers (BEGIN IMMEDIATE) — a pass run from
    # the command line beside the in-process scheduler must not duplicate either way.
    _plant(committed.factory, 30)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            run_pass(committed.factory, datetime.now(UTC), full=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with committed.factory() as s:
        per_rule = dict(s.execute(select(Flag.rule_id, func.count()).group_by(Flag.rule_id)).all())
        duplicates = s.execute(
            select(Flag.requirement_id, Flag.rule_id)
            .group_by(Flag.requirement_id, Flag.rule_id)
            .having(func.count() > 1)
        ).all()
    assert per_rule["overdue"] == 30 and per_rule["ack_late"] == 30
    assert duplicates == []
