"""The escalation ladder with a frozen clock: levels climb as working days pass, each at most
once, reach the right bodies, and stop when the requirement is verified closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import AuditEvent, Requirement, UserTask
from db.models.escalation import AccountabilityCase, Escalation
from db.models.monitor import Flag, MonitorRule
from workflows import requirements as verbs
from workflows import verification
from workflows.calendar import add_working_days
from workflows.conclusions import VIETNAM
from workflows.engine.catalogue import Effect
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.escalation import (
    acknowledge_escalation,
    deescalate,
    escalate_effect,
    raise_escalation,
    run_ladder,
)
from workflows.escalation_thresholds import Threshold, save_ladder
from workflows.inputs import ReportInput


@pytest.fixture
def chain(session, cast, make_body):
    """central ← regional ← commission (cast) ← unit (cast): a chain of four."""
    central = make_body("CENTRAL", kind="inspection_commission")
    regional = make_body("REGIONAL", kind="inspection_commission", supervisor=central)
    cast.commission.supervisor_id = regional.id
    session.flush()
    return {"central": central, "regional": regional}


@pytest.fixture
def heard(monkeypatch):
    calls: list[tuple[str, tuple[str, int], dict[str, Any]]] = []

    def listen(session, event, subject, **kw):
        calls.append((event, subject, kw))

    monkeypatch.setattr("workflows.escalation.notify_event", listen)
    return calls


def deadline_in(days: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)


def working_days_after(session: Session, deadline: datetime, n: int) -> datetime:
    """Noon (Vietnam) of the day ``n`` working days after the deadline's date."""
    day: date = add_working_days(session, deadline.astimezone(VIETNAM).date(), n)
    return datetime.combine(day, time(12), tzinfo=VIETNAM).astimezone(UTC)


def levels(session: Session, req: Requirement) -> list[int]:
    session.expire_all()
    rows = session.scalars(
        select(Escalation.level).where(Escalation.requirement_id == req.id).order_by("level")
    )
    return list(rows)


def remediating(session, cast, make_requirement, **kw):
    req = make_requirement(requirement={"deadline": deadline_in(3), **kw})
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Recover the funds by court order.")
    return req


def add_rule(session: Session) -> None:
    session.merge(MonitorRule(id="test_formal_rule", kind="formal", severity="critical"))
    session.flush()


def review_tasks(session: Session, req: Requirement) -> list[int | None]:
    return list(
        session.scalars(
            select(UserTask.body_id).where(
                UserTask.instance_id == req.process_instance_id,
                UserTask.name == "review_escalation",
            )
        )
    )


def test_escalation_climbs_level_by_level_and_stops_when_verified(
    session, session_factory, cast, chain, make_requirement, make_user, heard
):
    req = remediating(session, cast, make_requirement)
    at = lambda n: working_days_after(session, req.deadline, n)  # noqa: E731

    assert run_ladder(session_factory, at(0)).raised == []
    assert run_ladder(session_factory, at(1)).raised == [(req.id, 0)]
    assert run_ladder(session_factory, at(4)).raised == []
    assert run_ladder(session_factory, at(5)).raised == [(req.id, 1)]
    # Level 1 reached the supervising body through the process: a review task in its inbox.
    assert review_tasks(session, req) == [cast.commission.id]
    assert run_ladder(session_factory, at(15)).raised == [(req.id, 2)]
    case = session.scalar(
        select(AccountabilityCase).where(AccountabilityCase.requirement_id == req.id)
    )
    assert (case.subject_body_id, case.handling_body_id) == (cast.unit.id, chain["regional"].id)
    assert run_ladder(session_factory, at(30)).raised == [(req.id, 3)]
    assert run_ladder(session_factory, at(60)).raised == []
    assert levels(session, req) == [0, 1, 2, 3]
    targets = [kw["to_body_id"] for e, _, kw in heard if e == "escalation.raised"]
    assert targets == [cast.unit.id, cast.commission.id, chain["regional"].id, chain["central"].id]
    assert session.get(Requirement, req.id).escalation_level == 3

    verbs.submit_for_verification(session, cast.officer, req.id, ReportInput("Done.", 100))
    verifier = make_user(body=cast.commission, roles=("supervisor",))
    verification.verify_requirement(session, verifier, req.id, "implemented")
    # Verifying it closed ends the escalations at once; the next pass has nothing to do.
    done = run_ladder(session_factory, at(61))
    assert done.resolved == [] and done.raised == []
    session.expire_all()
    rows = session.scalars(select(Escalation).where(Escalation.requirement_id == req.id)).all()
    assert {(e.resolution, e.resolved_at is not None) for e in rows} == {("closed", True)}
    assert session.get(Requirement, req.id).escalation_level == 0
    assert run_ladder(session_factory, at(90)).raised == []


def test_a_requirement_far_overdue_climbs_every_level_at_once(
    session, session_factory, cast, chain, make_requirement
):
    req = remediating(session, cast, make_requirement)
    result = run_ladder(session_factory, working_days_after(session, req.deadline, 16))
    assert result.raised == [(req.id, 0), (req.id, 1), (req.id, 2)]
    esc = session.scalars(select(Escalation).where(Escalation.requirement_id == req.id)).all()
    assert [e.facts["overdue_days"] for e in esc] == [16, 16, 16]
    assert {e.reason for e in esc} == {"overdue"}


def test_each_level_is_raised_once_even_when_asked_twice(
    session, session_factory, cast, chain, make_requirement
):
    req = remediating(session, cast, make_requirement)
    first = raise_escalation(session, req, 0, "overdue", {"overdue_days": 1})
    assert first is not None
    assert raise_escalation(session, req, 0, "overdue", {"overdue_days": 2}) is None
    now = working_days_after(session, req.deadline, 1)
    assert run_ladder(session_factory, now).raised == []
    raised = session.scalar(
        select(func.count()).where(
            AuditEvent.action == "escalation.raised", AuditEvent.subject_id == str(req.id)
        )
    )
    assert raised == 1
    # The database itself refuses a second row for the same (requirement, level).
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Escalation(
                requirement_id=req.id,
                level=0,
                from_body_id=1,
                to_body_id=1,
                reason="overdue",
                facts={},
            )
        )
        session.flush()


def test_level_one_waits_for_remediation_to_reach_the_process(
    session, session_factory, cast, make_requirement
):
    req = make_requirement(requirement={"deadline": deadline_in(3)})  # never acknowledged
    run_ladder(session_factory, working_days_after(session, req.deadline, 6))
    esc = session.scalar(
        select(Escalation).where(Escalation.requirement_id == req.id, Escalation.level == 1)
    )
    assert esc.delivered_at is None and review_tasks(session, req) == []
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Start now.")
    later = run_ladder(session_factory, working_days_after(session, req.deadline, 7))
    assert later.delivered == [esc.id] and later.raised == []
    assert review_tasks(session, req) == [cast.commission.id]


def test_open_flags_escalate_a_requirement_that_is_not_overdue(
    session, session_factory, cast, make_requirement
):
    req = remediating(session, cast, make_requirement)
    add_rule(session)
    session.add(Flag(requirement_id=req.id, rule_id="test_formal_rule", severity="critical"))
    session.flush()
    assert run_ladder(session_factory, datetime.now(UTC)).raised == [(req.id, 0), (req.id, 1)]
    esc = session.scalars(select(Escalation).where(Escalation.requirement_id == req.id)).all()
    assert {e.reason for e in esc} == {"flags"}
    assert esc[1].facts["flags"][0]["rule"] == "test_formal_rule"


def test_dismissed_flags_do_not_escalate(session, session_factory, cast, make_requirement):
    req = remediating(session, cast, make_requirement)
    add_rule(session)
    session.add(
        Flag(
            requirement_id=req.id,
            rule_id="test_formal_rule",
            severity="critical",
            status="dismissed",
        )
    )
    session.flush()
    assert run_ladder(session_factory, datetime.now(UTC)).raised == []


def test_thresholds_are_set_per_body_kind(
    session, session_factory, cast, make_requirement, make_user
):
    admin = make_user(roles=("admin",))
    slow = (
        Threshold(0, 10, None),
        Threshold(1, 20, None),
        Threshold(2, 40, None),
        Threshold(3, 60, None),
    )
    save_ladder(session, admin, cast.unit.kind, slow)
    req = remediating(session, cast, make_requirement)
    assert run_ladder(session_factory, working_days_after(session, req.deadline, 9)).raised == []
    assert run_ladder(session_factory, working_days_after(session, req.deadline, 10)).raised == [
        (req.id, 0)
    ]
    with pytest.raises(InvalidInput) as err:
        save_ladder(session, admin, "agency", (slow[0], Threshold(1, 5, None), *slow[2:]))
    assert err.value.field == "overdue_days_1"
    with pytest.raises(NotAllowed):
        save_ladder(session, cast.supervisor, "agency", slow)


def test_the_clock_stops_while_the_supervisor_holds_the_completion(
    session, session_factory, cast, make_requirement
):
    req = remediating(session, cast, make_requirement)
    with pytest.MonkeyPatch.context() as mp:  # submitted one working day late
        submitted = working_days_after(session, req.deadline, 1)
        mp.setattr("workflows.requirements.utcnow", lambda: submitted)
        verbs.submit_for_verification(session, cast.officer, req.id, ReportInput("Done.", 100))
    result = run_ladder(session_factory, working_days_after(session, req.deadline, 20))
    assert result.raised == [(req.id, 0)]


def test_a_supervisor_acknowledges_the_escalation_and_the_review_task_closes(
    session, session_factory, cast, chain, make_requirement, make_body, make_user
):
    req = remediating(session, cast, make_requirement)
    run_ladder(session_factory, working_days_after(session, req.deadline, 5))
    esc = session.scalar(
        select(Escalation).where(Escalation.requirement_id == req.id, Escalation.level == 1)
    )
    stranger = make_user(body=make_body(), roles=("supervisor",))
    with pytest.raises(NotFound):
        acknowledge_escalation(session, stranger, esc.id, "noted")
    with pytest.raises(NotAllowed):
        acknowledge_escalation(session, cast.officer, esc.id, "noted")
    with pytest.raises(InvalidInput) as err:
        acknowledge_escalation(session, cast.supervisor, esc.id, "instructed", "  ")
    assert err.value.field == "note"
    acknowledge_escalation(session, cast.supervisor, esc.id, "instructed", "Report weekly.")
    assert review_tasks(session, req) == []
    assert (esc.decision, esc.acknowledged_by_id) == ("instructed", cast.supervisor.id)
    with pytest.raises(Conflict):
        acknowledge_escalation(session, cast.supervisor, esc.id, "noted")
    # The remediation itself goes on.
    verbs.submit_for_verification(session, cast.officer, req.id, ReportInput("Done.", 100))


def test_acknowledging_with_accountability_opens_a_case(
    session, session_factory, cast, make_requirement
):
    req = remediating(session, cast, make_requirement)
    run_ladder(session_factory, working_days_after(session, req.deadline, 5))
    esc = session.scalar(
        select(Escalation).where(Escalation.requirement_id == req.id, Escalation.level == 1)
    )
    acknowledge_escalation(session, cast.supervisor, esc.id, "accountability", "No plan at all.")
    case = session.scalar(
        select(AccountabilityCase).where(AccountabilityCase.requirement_id == req.id)
    )
    assert (case.reason, case.handling_body_id, case.details) == (
        "supervisor",
        cast.commission.id,
        "No plan at all.",
    )


def test_a_models_escalate_service_task_raises_the_level(session, cast, chain, make_requirement):
    req = remediating(session, cast, make_requirement)
    from db.models import ProcessInstance

    row = session.get(ProcessInstance, req.process_instance_id)
    escalate_effect(session, row, Effect("escalate", {"level": 2}, task_name="escalate_now"))
    esc = session.scalar(select(Escalation).where(Escalation.requirement_id == req.id))
    assert (esc.level, esc.reason, esc.to_body_id) == (2, "process", chain["regional"].id)
    assert session.scalar(
        select(AccountabilityCase).where(AccountabilityCase.escalation_id == esc.id)
    )


def test_deescalation_waits_for_a_terminal_status(session, cast, make_requirement):
    req = remediating(session, cast, make_requirement)
    raise_escalation(session, req, 0, "overdue", {})
    assert deescalate(session, req) == []
    req.status = "withdrawn"
    assert deescalate(session, req) == [0]
    assert deescalate(session, req) == []
