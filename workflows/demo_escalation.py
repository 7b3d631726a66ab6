"""Demo escalations: a conclusion whose requirements are late by different amounts, so the
ladder has raised levels 0, 1 and 2 on first login, with an escalation already handled and
an accountability case waiting for the unit's explanation. The ladder then runs once over
every demo requirement, as the scheduler would have done."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Body, Requirement, User
from db.models.escalation import AccountabilityCase, Escalation
from workflows import instances
from workflows import requirements as verbs
from workflows.accountability import request_explanation
from workflows.accounts import NewUser, create_user
from workflows.calendar import load_calendar
from workflows.conclusions import ConclusionInput, RequirementInput, issue_conclusion
from workflows.deadlines import end_of_day, vietnam_date
from workflows.engine import runner
from workflows.escalation import acknowledge_escalation
from workflows.escalation_thresholds import load_ladders
from workflows.ladder import LadderPass, advance, candidates

#: (text, category, working days late, how far the unit got)
LATE_REQUIREMENTS = [
    ("Thu hồi 600 triệu đồng hỗ trợ sai đối tượng.", "financial", 17, "planned"),
    ("Kiểm điểm trách nhiệm Văn phòng Quận ủy.", "disciplinary", 7, "planned"),
    ("Công khai kết quả khắc phục tại trụ sở.", "administrative", 3, "acknowledged"),
]


def _working_days_ago(session: Session, today: date, n: int) -> date:
    cal = load_calendar(session, today - timedelta(days=3 * n + 30), today)
    day = today
    while cal.working_days_between(day, today) < n:
        day -= timedelta(days=1)
    return day


def _issue(session: Session, supervisor: User, unit: int, today: date) -> list[Requirement]:
    rows = tuple(
        RequirementInput(
            text=text,
            category=category,
            responsible_body_id=unit,
            deadline=end_of_day(_working_days_ago(session, today, late)),
            target_amount=600_000_000 if category == "financial" else None,
        )
        for text, category, late, _ in LATE_REQUIREMENTS
    )
    data = ConclusionInput(
        number="47-KL/UBKT",
        title="Kết luận giám sát việc thực hiện chính sách hỗ trợ tại quận Ba Đình",
        source="party_supervision",
        issue_date=today - timedelta(days=75),
        subject_body_id=unit,
        summary="Chậm khắc phục các nội dung đã kết luận; cần làm rõ trách nhiệm.",
        requirements=rows,
    )
    return list(issue_conclusion(session, supervisor, data).requirements)


def _advance_unit(session: Session, officer: User, req: Requirement, stage: str) -> None:
    verbs.acknowledge_requirement(session, officer, req.id)
    if stage == "planned":
        verbs.submit_plan(session, officer, req.id, "Xây dựng kế hoạch, phân công cụ thể.")
    assert req.process_instance_id is not None
    with instances.advancing(session, req.process_instance_id) as running:  # the deadline timer
        runner.fire_timers(running.workflow, req.deadline + timedelta(minutes=1))


def climb_all(session: Session, now: datetime) -> LadderPass:
    """The ladder's pass in the caller's transaction (one process, nothing to claim)."""
    result, ladders, after = LadderPass(), load_ladders(session), 0
    while batch := candidates(session, now, after):
        after = batch[-1].requirement_id
        cal = load_calendar(
            session, min(vietnam_date(s.deadline) for s in batch), vietnam_date(now)
        )
        for standing in batch:
            req = session.get(Requirement, standing.requirement_id)
            assert req is not None
            advance(session, req, now, ladders, cal, result)
    return result


def load_escalation_demo(
    session: Session, ids: dict[str, int], users: dict[str, User]
) -> list[tuple[str, str, str]]:
    """Escalate the demo's late requirements; return the login of the supervisor it adds at
    the top of the chain (who handles level-2 cases)."""
    password = f"{secrets.token_urlsafe(8)}-{secrets.randbelow(9000) + 1000}"
    top = create_user(
        session, NewUser("giamsat.tw", "Lê Văn Cường", ids["UBKTTW"], ("supervisor",), password)
    )
    officer, supervisor = users["canbo.bd"], users["giamsat.hn"]
    unit = session.get(Body, ids["QU-BD"])
    assert unit is not None
    unit.head_user_id = officer.id  # the unit's head is named in its escalations
    now = utcnow()
    reqs = _issue(session, supervisor, unit.id, vietnam_date(now))
    for req, (_, _, _, stage) in zip(reqs, LATE_REQUIREMENTS, strict=True):
        _advance_unit(session, officer, req, stage)
    climb_all(session, now)
    handled = session.scalar(
        select(Escalation).where(Escalation.requirement_id == reqs[0].id, Escalation.level == 1)
    )
    if handled is not None:
        note = "Yêu cầu báo cáo tiến độ hằng tuần về Ủy ban Kiểm tra."
        acknowledge_escalation(session, supervisor, handled.id, "instructed", note)
    case = session.scalar(
        select(AccountabilityCase).where(AccountabilityCase.requirement_id == reqs[0].id)
    )
    if case is not None:
        due = end_of_day(vietnam_date(now) + timedelta(days=14))
        ask = "Giải trình lý do chậm thu hồi và trách nhiệm của cá nhân liên quan."
        request_explanation(session, top, case.id, due, ask)
    return [("supervisor", top.username, password)]
