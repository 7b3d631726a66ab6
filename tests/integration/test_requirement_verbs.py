"""A requirement's life through the domain verbs: every path, the bounded loops, who may act,
what is refused — each step loads, advances and saves the process in the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    AuditEvent,
    Evidence,
    ExtensionRequest,
    ProcessInstance,
    ProgressReport,
    Requirement,
    UserTask,
    Verification,
)
from db.vocabulary import VERIFY_DECISIONS
from workflows import instances, verification
from workflows import requirement_steps as steps
from workflows import requirements as verbs
from workflows.engine import runner
from workflows.engine.errors import MessageNotExpected, OperationFailed, TaskNotReady
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.inputs import EvidenceInput, ReportInput

COUNTED = (AuditEvent, Evidence, ExtensionRequest, ProcessInstance, ProgressReport, UserTask)


# -- helpers --------------------------------------------------------------------------------


def snapshot(session: Session, req: Requirement) -> dict[str, Any]:
    """Everything a refused verb must leave as it was (read back from the database)."""
    counts = {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}
    counts["Verification"] = session.scalar(select(func.count()).select_from(Verification))
    row = session.execute(
        select(
            Requirement.status,
            Requirement.deadline,
            Requirement.progress_percent,
            Requirement.recovered_amount,
            Requirement.submitted_by_id,
            Requirement.grade,
        ).where(Requirement.id == req.id)
    ).one()
    instance = session.execute(
        select(ProcessInstance.lock_version, ProcessInstance.state).where(
            ProcessInstance.id == req.process_instance_id
        )
    ).one()
    return {"counts": counts, "row": tuple(row), "instance": tuple(instance)}


def actions(session: Session, req: Requirement) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "requirement", AuditEvent.subject_id == str(req.id))
            .order_by(AuditEvent.seq)
        )
    )


def ready(session: Session, req: Requirement) -> list[tuple[str, str | None, int | None]]:
    return [
        tuple(r)
        for r in session.execute(
            select(UserTask.name, UserTask.role, UserTask.body_id)
            .where(UserTask.instance_id == req.process_instance_id)
            .order_by(UserTask.name)
        )
    ]


def instance_of(session: Session, req: Requirement) -> ProcessInstance:
    found = session.get(ProcessInstance, req.process_instance_id)
    assert found is not None
    return found


def into_remediation(session: Session, cast: Any, req: Requirement) -> None:
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Audit every contract signed in 2023.")


def completion(text: str = "All funds recovered; decisions attached.", **kw: Any) -> ReportInput:
    return ReportInput(text=text, percent=kw.pop("percent", 100), **kw)


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the model's notify service tasks told the notifier, by (event, requirement)."""
    calls: list[tuple[str, tuple[str, int], dict[str, Any]]] = []

    def listen(session: Session, event: str, subject: tuple[str, int], **kw: Any) -> None:
        calls.append((event, subject, kw))

    monkeypatch.setattr("workflows.effects.notify_event", listen)

    def find(event: str, req: Requirement) -> dict[str, Any]:
        found = [kw for e, subj, kw in calls if e == event and subj == ("requirement", req.id)]
        assert found, f"no {event} for requirement {req.id}: {calls}"
        return found[-1]

    return find


@pytest.fixture
def requirement(make_requirement: Any) -> Requirement:
    return make_requirement()  # type: ignore[no-any-return]


@pytest.fixture
def remediating(session: Session, cast: Any, requirement: Requirement) -> Requirement:
    into_remediation(session, cast, requirement)
    return requirement


@pytest.fixture
def submitted(session: Session, cast: Any, remediating: Requirement) -> Requirement:
    verbs.submit_for_verification(session, cast.officer, remediating.id, completion())
    return remediating


# -- the model and the catalogue -----------------------------------------------------------


def test_every_verification_decision_has_its_grades():
    assert set(verification.GRADES_FOR) == set(VERIFY_DECISIONS)


def test_the_database_refuses_a_status_the_catalogue_does_not_name(session, remediating):
    from sqlalchemy.exc import IntegrityError

    remediating.status = "done_on_paper"
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


# -- the main path --------------------------------------------------------------------------


def test_a_new_requirement_waits_for_acknowledgement_in_the_units_inbox(session, cast, requirement):
    assert requirement.status == "issued"
    assert ready(session, requirement) == [("acknowledge", "officer", cast.unit.id)]
    assert instance_of(session, requirement).subject_id == str(requirement.id)


def test_acknowledging_and_planning_start_remediation_with_the_deadline_armed(
    session, cast, requirement
):
    verbs.acknowledge_requirement(session, cast.officer, requirement.id)
    assert requirement.status == "acknowledged" and requirement.acknowledged_at is not None
    assert ready(session, requirement) == [("submit_plan", "officer", cast.unit.id)]

    verbs.submit_plan(session, cast.officer, requirement.id, "  Audit the 2023 contracts.  ")
    assert requirement.status == "planned" and requirement.plan == "Audit the 2023 contracts."
    assert ready(session, requirement) == [("remediate", "officer", cast.unit.id)]
    instance = instance_of(session, requirement)
    assert instance.next_timer_at == requirement.deadline
    task = session.scalar(select(UserTask).where(UserTask.instance_id == instance.id))
    assert task is not None and task.due_at == requirement.deadline
    assert actions(session, requirement)[-2:] == [
        "requirement.acknowledged",
        "requirement.plan_submitted",
    ]


def test_progress_reports_are_table_rows_that_never_touch_the_process(session, cast, remediating):
    seen = snapshot(session, remediating)["instance"]
    for percent in (10, 40, 70):
        verbs.report_progress(
            session,
            cast.officer,
            remediating.id,
            ReportInput(f"{percent}% of contracts reviewed", percent, amount_recovered=percent),
        )
    assert remediating.status == "in_progress"
    assert remediating.progress_percent == 70
    assert remediating.recovered_amount == Decimal(70)
    assert remediating.last_report_at is not None
    assert snapshot(session, remediating)["instance"] == seen
    reports = session.scalars(
        select(ProgressReport).where(ProgressReport.requirement_id == remediating.id)
    ).all()
    assert [r.percent for r in reports] == [10, 40, 70]
    assert not any(r.is_completion for r in reports)
    assert actions(session, remediating).count("requirement.progress_reported") == 3


def test_progress_may_go_backwards_but_the_audit_says_so(session, cast, remediating):
    verbs.report_progress(session, cast.officer, remediating.id, ReportInput("half", 50))
    verbs.report_progress(session, cast.officer, remediating.id, ReportInput("recount", "30"))
    assert remediating.progress_percent == 30
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "requirement.progress_reported")
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    assert event is not None
    assert event.payload["went_backwards"] is True
    assert event.payload["previous_percent"] == 50


def test_a_report_keeps_the_metadata_of_its_evidence(session, cast, remediating):
    sha = "ab" * 32
    report = verbs.report_progress(
        session,
        cast.officer,
        remediating.id,
        ReportInput(
            "Decision 12/QĐ issued",
            20,
            evidence=(EvidenceInput(sha, "qd-12.pdf", "application/pdf", 1234, "12/QĐ"),),
        ),
    )
    [evidence] = report.evidence
    assert (evidence.sha256, evidence.filename, evidence.size) == (sha, "qd-12.pdf", 1234)
    assert evidence.uploaded_by_id == cast.officer.id


def test_submitting_for_verification_hands_the_requirement_to_the_supervisor(
    session, cast, remediating
):
    report = verbs.submit_for_verification(
        session, cast.officer, remediating.id, completion(amount_recovered="2500000")
    )
    assert report.is_completion and report.percent == 100
    assert remediating.status == "pending_verification"
    assert remediating.submitted_by_id == cast.officer.id
    assert remediating.recovered_amount == Decimal(2_500_000)
    assert ready(session, remediating) == [("verify", "supervisor", cast.commission.id)]
    assert instance_of(session, remediating).next_timer_at is None
    assert actions(session, remediating)[-1] == "requirement.submitted"


@pytest.mark.parametrize(
    ("decision", "grade", "status"),
    [
        ("implemented", "full", "closed"),
        ("partial", "partial", "closed"),
        ("not_implementable", "none", "not_implementable"),
    ],
)
def test_a_closing_decision_ends_the_process(session, cast, submitted, decision, grade, status):
    decided = verification.verify_requirement(
        session, cast.supervisor, submitted.id, decision, reason="Checked on site."
    )
    assert (decided.decision, decided.grade) == (decision, grade)
    assert decided.verifier_id == cast.supervisor.id
    assert (submitted.status, submitted.grade) == (status, grade)
    assert submitted.closed_at is not None
    assert ready(session, submitted) == []
    assert instance_of(session, submitted).status == "completed"
    done = actions(session, submitted)
    assert done[-1] == "requirement.verified" and "requirement.status_changed" in done


def test_not_implementable_asks_for_an_accountability_case(session, cast, submitted):
    verification.verify_requirement(
        session, cast.supervisor, submitted.id, "not_implementable", reason="Land was sold."
    )
    from db.models.escalation import AccountabilityCase

    case = session.scalar(
        select(AccountabilityCase).where(AccountabilityCase.requirement_id == submitted.id)
    )
    assert case is not None and case.reason == "not_implementable"
    assert (case.subject_body_id, case.handling_body_id) == (cast.unit.id, cast.commission.id)
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "accountability_case.opened",
            AuditEvent.subject_id == str(case.id),
        )
    )


@pytest.mark.parametrize("decision", ["incomplete", "formal_only"])
def test_a_rejected_completion_returns_to_the_unit_and_can_then_be_closed(
    session, cast, submitted, decision, heard
):
    verification.verify_requirement(
        session, cast.supervisor, submitted.id, decision, reason="No proof."
    )
    assert submitted.status == "returned" and submitted.grade is None
    assert ready(session, submitted) == [("remediate", "officer", cast.unit.id)]
    notice = heard("process.notify", submitted)
    assert (notice["kind"], notice["body_id"]) == (f"verification_{decision}", cast.unit.id)

    verbs.report_progress(session, cast.officer, submitted.id, ReportInput("Proof found", 90))
    assert submitted.status == "in_progress"
    verbs.submit_for_verification(session, cast.officer, submitted.id, completion())
    verification.verify_requirement(session, cast.supervisor, submitted.id, "implemented")
    assert submitted.status == "closed" and submitted.grade == "full"
    decisions = session.scalars(
        select(Verification.decision)
        .where(Verification.requirement_id == submitted.id)
        .order_by(Verification.id)
    ).all()
    assert decisions == [decision, "implemented"]


def test_fifty_reject_and_resubmit_rounds_still_close(session, cast, remediating):
    for _ in range(50):
        verbs.submit_for_verification(session, cast.officer, remediating.id, completion())
        verification.verify_requirement(
            session, cast.supervisor, remediating.id, "formal_only", reason="Paper only."
        )
        assert remediating.status == "returned"
    verbs.submit_for_verification(session, cast.officer, remediating.id, completion())
    verification.verify_requirement(session, cast.supervisor, remediating.id, "implemented")
    assert remediating.status == "closed"
    assert instance_of(session, remediating).status == "completed"
    assert actions(session, remediating).count("requirement.verified") == 51


# -- deadlines and extensions -------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline_and_re_arms_the_timer(session, cast, remediating):
    original = remediating.deadline
    wanted = original + timedelta(days=20)
    ext = verbs.request_extension(session, cast.officer, remediating.id, "Court hearing", wanted)
    assert ext.status == "pending" and ext.current_deadline == original
    assert ready(session, remediating) == [("decide_extension", "supervisor", cast.commission.id)]
    assert instance_of(session, remediating).next_timer_at is None

    verification.decide_extension(session, cast.supervisor, remediating.id, True, "Reasonable")
    assert ext.status == "approved" and ext.decided_by_id == cast.supervisor.id
    assert remediating.deadline == wanted and remediating.original_deadline == original
    assert ready(session, remediating) == [("remediate", "officer", cast.unit.id)]
    instance = instance_of(session, remediating)
    assert instance.next_timer_at == wanted
    due = session.scalar(select(UserTask.due_at).where(UserTask.instance_id == instance.id))
    assert due == wanted
    assert actions(session, remediating)[-2:] == [
        "requirement.extension_requested",
        "requirement.extension_decided",
    ]


def test_a_rejected_extension_keeps_the_deadline(session, cast, remediating):
    original = remediating.deadline
    verbs.request_extension(
        session, cast.officer, remediating.id, "More time", original + timedelta(days=5)
    )
    ext = verification.decide_extension(
        session, cast.supervisor, remediating.id, False, "No grounds"
    )
    assert ext.status == "rejected" and ext.decision_reason == "No grounds"
    assert remediating.deadline == original
    assert instance_of(session, remediating).next_timer_at == original
    assert ready(session, remediating) == [("remediate", "officer", cast.unit.id)]


def test_fifty_extension_rounds_each_move_the_timer(session, cast, remediating):
    for i in range(50):
        wanted = remediating.deadline + timedelta(days=1)
        verbs.request_extension(session, cast.officer, remediating.id, f"round {i}", wanted)
        approve = i % 2 == 0
        verification.decide_extension(
            session, cast.supervisor, remediating.id, approve, "considered"
        )
        expected = wanted if approve else wanted - timedelta(days=1)
        assert remediating.deadline == expected
        assert instance_of(session, remediating).next_timer_at == expected
    count = session.scalar(
        select(func.count()).where(ExtensionRequest.requirement_id == remediating.id)
    )
    assert count == 50
    verbs.submit_for_verification(session, cast.officer, remediating.id, completion())
    verification.verify_requirement(session, cast.supervisor, remediating.id, "implemented")
    assert remediating.status == "closed"


def test_a_passed_deadline_marks_the_requirement_overdue_and_an_extension_lifts_it(
    session, cast, remediating, heard
):
    with instances.advancing(session, instance_of(session, remediating).id) as running:
        runner.fire_timers(running.workflow, remediating.deadline + timedelta(minutes=1))
    assert remediating.status == "overdue"
    notice = heard("process.notify", remediating)
    assert (notice["kind"], notice["body_id"]) == ("overdue", cast.commission.id)
    assert ready(session, remediating) == [("remediate", "officer", cast.unit.id)]

    wanted = remediating.deadline + timedelta(days=10)
    verbs.request_extension(session, cast.officer, remediating.id, "late funds", wanted)
    verification.decide_extension(session, cast.supervisor, remediating.id, True)
    assert remediating.status == "in_progress"
    assert instance_of(session, remediating).next_timer_at == wanted


def test_a_withdrawn_requirement_ends_and_needs_nothing_more(session, cast, remediating):
    verification.withdraw_requirement(
        session, cast.supervisor, remediating.id, "Superseded by 35-KL"
    )
    assert remediating.status == "withdrawn" and remediating.closed_at is not None
    assert ready(session, remediating) == []
    assert instance_of(session, remediating).status == "completed"
    assert actions(session, remediating)[-1] == "requirement.withdrawn"


# -- who may act ----------------------------------------------------------------------------


def _refused(session, req, error, verb, *args, **kw):
    before = snapshot(session, req)
    with pytest.raises(error) as caught:
        verb(session, *args, **kw)
    assert snapshot(session, req) == before
    return caught.value


def test_an_officer_of_another_body_cannot_touch_the_requirement(
    session, cast, make_body, make_user, requirement
):
    stranger = make_user(body=make_body(supervisor=cast.commission), roles=("officer",))
    _refused(
        session, requirement, NotFound, verbs.acknowledge_requirement, stranger, requirement.id
    )


def test_an_officer_of_the_supervising_body_cannot_act_for_the_unit(
    session, cast, make_user, requirement
):
    officer_above = make_user(body=cast.commission, roles=("officer",))
    error = _refused(
        session,
        requirement,
        NotAllowed,
        verbs.acknowledge_requirement,
        officer_above,
        requirement.id,
    )
    assert "officer of the responsible body" in str(error)


def test_a_supervisor_outside_the_chain_cannot_verify(
    session, cast, make_body, make_user, submitted
):
    elsewhere = make_user(body=make_body(kind="inspection_commission"), roles=("supervisor",))
    _refused(
        session,
        submitted,
        NotFound,
        verification.verify_requirement,
        elsewhere,
        submitted.id,
        "implemented",
    )


def test_an_observer_can_see_but_not_act(session, cast, make_user, submitted):
    observer = make_user(body=cast.commission, roles=("observer",))
    assert steps.get_requirement(session, observer, submitted.id) is submitted
    error = _refused(
        session,
        submitted,
        NotAllowed,
        verification.verify_requirement,
        observer,
        submitted.id,
        "implemented",
    )
    assert "supervisor of the supervising body" in str(error)
    _refused(
        session,
        submitted,
        NotAllowed,
        verbs.report_progress,
        observer,
        submitted.id,
        ReportInput("x", 1),
    )


def test_the_unit_cannot_verify_its_own_work(session, cast, submitted):
    _refused(
        session,
        submitted,
        NotAllowed,
        verification.verify_requirement,
        cast.officer,
        submitted.id,
        "implemented",
    )


def test_a_supervisor_higher_up_the_chain_may_verify(
    session, cast, make_body, make_user, make_requirement
):
    top = make_body(kind="party_committee")
    cast.commission.supervisor_id = top.id
    session.flush()
    req = make_requirement()
    into_remediation(session, cast, req)
    verbs.submit_for_verification(session, cast.officer, req.id, completion())
    chief = make_user(body=top, roles=("supervisor",))
    verification.verify_requirement(session, chief, req.id, "implemented")
    assert req.status == "closed"


def test_who_reported_a_completion_cannot_verify_it(
    session, cast, make_body, make_user, make_requirement
):
    both = make_user(body=cast.commission, roles=("officer", "supervisor"))
    req = make_requirement(requirement={"responsible_body_id": cast.commission.id})
    verbs.acknowledge_requirement(session, both, req.id)
    verbs.submit_plan(session, both, req.id, "Do it ourselves")
    verbs.submit_for_verification(session, both, req.id, completion())
    error = _refused(
        session, req, NotAllowed, verification.verify_requirement, both, req.id, "implemented"
    )
    assert "four eyes" in str(error)
    verification.verify_requirement(session, cast.supervisor, req.id, "implemented")
    assert req.status == "closed"


# -- refused input --------------------------------------------------------------------------


def test_a_decision_on_a_requirement_not_awaiting_verification_is_refused(
    session, cast, remediating
):
    error = _refused(
        session,
        remediating,
        Conflict,
        verification.verify_requirement,
        cast.supervisor,
        remediating.id,
        "implemented",
    )
    assert str(error) == "This requirement is not awaiting verification."


def test_an_unknown_decision_is_refused_before_the_process_sees_it(session, cast, submitted):
    error = _refused(
        session,
        submitted,
        InvalidInput,
        verification.verify_requirement,
        cast.supervisor,
        submitted.id,
        "looks_fine",
    )
    assert error.field == "decision"
    assert str(error) == "Choose one of the verification decisions."


@pytest.mark.parametrize("decision", ["partial", "incomplete", "formal_only", "not_implementable"])
def test_a_decision_that_is_not_a_plain_yes_needs_a_reason(session, cast, submitted, decision):
    error = _refused(
        session,
        submitted,
        InvalidInput,
        verification.verify_requirement,
        cast.supervisor,
        submitted.id,
        decision,
        reason="  ",
    )
    assert (error.field, str(error)) == ("reason", "Give the reason for this decision.")


def test_a_grade_that_contradicts_the_decision_is_refused(session, cast, submitted):
    error = _refused(
        session,
        submitted,
        InvalidInput,
        verification.verify_requirement,
        cast.supervisor,
        submitted.id,
        "implemented",
        grade="none",
    )
    assert str(error) == "That grade does not fit the decision."


def test_a_stale_lock_version_is_refused_and_changes_nothing(session, cast, requirement):
    seen = instance_of(session, requirement).lock_version
    verbs.acknowledge_requirement(session, cast.officer, requirement.id, lock_version=seen)
    error = _refused(
        session,
        requirement,
        instances.StaleInstance,
        verbs.submit_plan,
        cast.officer,
        requirement.id,
        "plan",
        lock_version=seen,
    )
    assert "changed by someone else" in str(error)


def test_taking_a_step_twice_is_a_clear_conflict(session, cast, requirement):
    verbs.acknowledge_requirement(session, cast.officer, requirement.id)
    error = _refused(
        session,
        requirement,
        Conflict,
        verbs.acknowledge_requirement,
        cast.officer,
        requirement.id,
    )
    assert str(error) == "This requirement is not waiting for acknowledgement."


def test_progress_before_the_plan_is_refused(session, cast, requirement):
    error = _refused(
        session,
        requirement,
        Conflict,
        verbs.report_progress,
        cast.officer,
        requirement.id,
        ReportInput("early", 5),
    )
    assert "after the plan" in str(error)


@pytest.mark.parametrize(
    ("report", "field", "message"),
    [
        (ReportInput("x", 101), "percent", "Progress is a whole percentage from 0 to 100."),
        (ReportInput("x", "ten"), "percent", "Progress is a whole percentage from 0 to 100."),
        (ReportInput("  ", 10), "text", "Describe the progress made (at most 20,000 characters)."),
        (
            ReportInput("x", 10, amount_recovered="-5"),
            "amount_recovered",
            "An amount cannot be negative.",
        ),
        (
            ReportInput("x", 10, amount_recovered="1.000.000đ"),
            "amount_recovered",
            "Enter the amount as a whole number of đồng, digits only.",
        ),
        (
            ReportInput("x", 10, amount_recovered="12.5"),
            "amount_recovered",
            "Enter the amount as a whole number of đồng, digits only.",
        ),
        (
            ReportInput("x", 10, evidence=(EvidenceInput("nothex", "a.pdf", "x/y", 1),)),
            "evidence",
            "Each evidence file needs its SHA-256 fingerprint, name, type and size.",
        ),
    ],
)
def test_a_bad_report_is_refused_with_its_reason(
    session, cast, remediating, report, field, message
):
    error = _refused(
        session,
        remediating,
        InvalidInput,
        verbs.report_progress,
        cast.officer,
        remediating.id,
        report,
    )
    assert (error.field, str(error)) == (field, message)


@pytest.mark.parametrize("shift", [timedelta(days=-1), timedelta(0)])
def test_an_extension_must_ask_for_a_later_deadline(session, cast, remediating, shift):
    error = _refused(
        session,
        remediating,
        InvalidInput,
        verbs.request_extension,
        cast.officer,
        remediating.id,
        "why",
        remediating.deadline + shift,
    )
    assert error.field == "new_deadline"
    assert "later than both the current deadline and now" in str(error)


def test_a_naive_extension_deadline_is_refused(session, cast, remediating):
    naive = (remediating.deadline + timedelta(days=3)).replace(tzinfo=None)
    error = _refused(
        session,
        remediating,
        InvalidInput,
        verbs.request_extension,
        cast.officer,
        remediating.id,
        "why",
        naive,
    )
    assert "time zone" in str(error)


def test_deciding_without_a_pending_request_is_refused(session, cast, remediating):
    error = _refused(
        session,
        remediating,
        Conflict,
        verification.decide_extension,
        cast.supervisor,
        remediating.id,
        True,
    )
    assert "No extension request" in str(error)


def test_rejecting_an_extension_needs_a_reason(session, cast, remediating):
    verbs.request_extension(
        session, cast.officer, remediating.id, "why", remediating.deadline + timedelta(days=3)
    )
    error = _refused(
        session,
        remediating,
        InvalidInput,
        verification.decide_extension,
        cast.supervisor,
        remediating.id,
        False,
    )
    assert error.field == "reason"


def test_a_requirement_awaiting_verification_cannot_be_withdrawn_or_extended(
    session, cast, submitted
):
    for verb, args in (
        (verification.withdraw_requirement, (cast.supervisor, submitted.id, "because")),
        (
            verbs.request_extension,
            (cast.officer, submitted.id, "why", submitted.deadline + timedelta(days=2)),
        ),
    ):
        error = _refused(session, submitted, Conflict, verb, *args)
        assert "not in remediation" in str(error)


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (TaskNotReady("t1", "completed"), Conflict, "no longer open"),
        (MessageNotExpected("withdrawn", ["escalated"]), Conflict, "current stage"),
        (OperationFailed("t1", "notify", "boom"), steps.ProcessFailed, "(operation_failed)"),
    ],
)
def test_engine_errors_reach_the_user_as_refusals_they_can_read(raised, expected, words):
    with pytest.raises(expected, match=re.escape(words)), steps.engine_errors():
        raise raised


def test_an_unknown_requirement_is_not_found(session, cast):
    with pytest.raises(NotFound):
        verbs.acknowledge_requirement(session, cast.officer, 987654321)


def test_amounts_are_kept_exactly_to_the_dong(session, cast, make_requirement):
    req = make_requirement(
        requirement={"category": "financial", "target_amount": "999999999999999999"}
    )
    into_remediation(session, cast, req)
    verbs.report_progress(
        session, cast.officer, req.id, ReportInput("x", 1, amount_recovered=123456789012345678)
    )
    session.expire_all()
    again = session.get(Requirement, req.id)
    assert again is not None
    assert again.target_amount == Decimal("999999999999999999")
    assert again.recovered_amount == Decimal("123456789012345678")


def test_every_verb_leaves_an_audit_event(session, cast, requirement):
    into_remediation(session, cast, requirement)
    verbs.report_progress(session, cast.officer, requirement.id, ReportInput("half", 50))
    wanted = requirement.deadline + timedelta(days=3)
    verbs.request_extension(session, cast.officer, requirement.id, "why", wanted)
    verification.decide_extension(session, cast.supervisor, requirement.id, True)
    verbs.submit_for_verification(session, cast.officer, requirement.id, completion())
    verification.verify_requirement(session, cast.supervisor, requirement.id, "implemented")
    assert actions(session, requirement) == [
        "requirement.created",
        "requirement.acknowledged",
        "requirement.plan_submitted",
        "requirement.progress_reported",
        "requirement.extension_requested",
        "requirement.extension_decided",
        "requirement.submitted",
        "requirement.status_changed",
        "requirement.verified",
    ]
    actors = session.scalars(
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.subject_id == str(requirement.id),
            AuditEvent.action.in_(["requirement.submitted", "requirement.verified"]),
        )
        .order_by(AuditEvent.seq)
    ).all()
    assert actors == [cast.officer.id, cast.supervisor.id]
    assert datetime.now(UTC) >= requirement.closed_at


def test_a_plan_submitted_after_the_deadline_leaves_the_requirement_overdue(
    session, cast, make_requirement
):
    now = datetime.now(UTC)
    req = make_requirement(
        issue_date=(now - timedelta(days=10)).date(),
        requirement={"deadline": now - timedelta(days=5)},
    )
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Late plan")
    assert req.status == "overdue"
    assert ready(session, req) == [("remediate", "officer", cast.unit.id)]
