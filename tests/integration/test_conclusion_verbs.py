"""Issuing a conclusion starts one process per requirement; the last requirement closing
brings the issuing body's final assessment, which closes the conclusion."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Conclusion, ProcessInstance, Requirement, UserTask
from workflows import conclusions, definitions, instances, verification
from workflows import requirements as verbs
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.inputs import ReportInput

COUNTED = (AuditEvent, Conclusion, ProcessInstance, Requirement, UserTask)


@pytest.fixture
def deployed(session: Session) -> None:
    definitions.deploy_shipped(session)


def counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def conclusion_actions(session: Session, conclusion: Conclusion) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.subject_type == "conclusion",
                AuditEvent.subject_id == str(conclusion.id),
            )
            .order_by(AuditEvent.seq)
        )
    )


def final_assessment_ready(session: Session, conclusion: Conclusion) -> bool:
    return (
        session.scalar(
            select(UserTask.id).where(
                UserTask.instance_id == conclusion.process_instance_id,
                UserTask.name == "final_assessment",
            )
        )
        is not None
    )


def close(session: Session, cast: Any, req: Requirement, decision: str = "implemented") -> None:
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "plan")
    verbs.submit_for_verification(session, cast.officer, req.id, ReportInput("done", 100))
    verification.verify_requirement(session, cast.supervisor, req.id, decision, reason="checked")


# -- issuing --------------------------------------------------------------------------------


def test_issuing_registers_the_conclusion_and_starts_one_process_per_requirement(
    session, cast, make_conclusion
):
    conclusion = make_conclusion(count=3)
    assert conclusion.status == "in_progress"
    assert conclusion.issuing_body_id == cast.commission.id
    assert conclusion.created_by_id == cast.supervisor.id
    assert [r.seq for r in conclusion.requirements] == [1, 2, 3]
    for req in conclusion.requirements:
        assert req.status == "issued" and req.supervising_body_id == cast.commission.id
        instance = session.get(ProcessInstance, req.process_instance_id)
        assert instance is not None and instance.definition.key == "requirement"
        assert instance.role_bodies == {"officer": cast.unit.id, "supervisor": cast.commission.id}
        task = session.scalar(select(UserTask).where(UserTask.instance_id == instance.id))
        assert task is not None and (task.name, task.body_id) == ("acknowledge", cast.unit.id)
    outer = session.get(ProcessInstance, conclusion.process_instance_id)
    assert outer is not None and outer.definition.key == "conclusion"
    assert outer.status == "running" and not final_assessment_ready(session, conclusion)
    assert conclusion_actions(session, conclusion) == [
        "conclusion.issued",
        "conclusion.requirements_started",
        "conclusion.status_changed",
    ]
    created = session.scalar(
        select(func.count()).where(
            AuditEvent.action == "requirement.created",
            AuditEvent.subject_id.in_([str(r.id) for r in conclusion.requirements]),
        )
    )
    assert created == 3


def test_a_requirement_may_name_a_supervising_body_below_the_issuer(
    session, cast, make_body, make_conclusion
):
    regional = make_body(kind="inspection_commission", supervisor=cast.commission)
    unit = make_body(supervisor=regional)
    conclusion = make_conclusion(
        requirement={"responsible_body_id": unit.id, "supervising_body_id": regional.id}
    )
    [req] = conclusion.requirements
    assert (req.responsible_body_id, req.supervising_body_id) == (unit.id, regional.id)


def test_the_last_requirement_closing_brings_the_final_assessment_which_closes_it(
    session, cast, make_conclusion
):
    conclusion = make_conclusion(count=3)
    first, second, third = conclusion.requirements
    close(session, cast, first)
    close(session, cast, second, "not_implementable")
    assert conclusion.status == "in_progress"
    assert not final_assessment_ready(session, conclusion)
    with pytest.raises(Conflict, match="not ready for its final assessment"):
        conclusions.assess_conclusion(session, cast.supervisor, conclusion.id, "Too early")

    verbs.acknowledge_requirement(session, cast.officer, third.id)
    verbs.submit_plan(session, cast.officer, third.id, "plan")
    verification.withdraw_requirement(session, cast.supervisor, third.id, "No longer relevant")
    assert final_assessment_ready(session, conclusion)
    task = session.scalar(
        select(UserTask).where(UserTask.instance_id == conclusion.process_instance_id)
    )
    assert task is not None and (task.role, task.body_id) == ("supervisor", cast.commission.id)

    conclusions.assess_conclusion(
        session, cast.supervisor, conclusion.id, "  Remediated, one case opened.  "
    )
    assert conclusion.status == "closed" and conclusion.closed_at is not None
    assert conclusion.assessment == "Remediated, one case opened."
    outer = session.get(ProcessInstance, conclusion.process_instance_id)
    assert outer is not None and outer.status == "completed"
    assert conclusion_actions(session, conclusion)[-3:] == [
        "conclusion.requirements_closed",
        "conclusion.status_changed",
        "conclusion.assessed",
    ]


def test_assessing_twice_is_a_clear_conflict(session, cast, make_conclusion):
    conclusion = make_conclusion()
    close(session, cast, conclusion.requirements[0])
    conclusions.assess_conclusion(session, cast.supervisor, conclusion.id, "Done")
    with pytest.raises(Conflict, match="not ready for its final assessment"):
        conclusions.assess_conclusion(session, cast.supervisor, conclusion.id, "Again")


def test_a_stale_lock_version_on_the_assessment_is_refused(session, cast, make_conclusion):
    conclusion = make_conclusion()
    outer = session.get(ProcessInstance, conclusion.process_instance_id)
    assert outer is not None
    seen = outer.lock_version
    close(session, cast, conclusion.requirements[0])
    before = counts(session)
    with pytest.raises(instances.StaleInstance):
        conclusions.assess_conclusion(
            session, cast.supervisor, conclusion.id, "Done", lock_version=seen
        )
    assert counts(session) == before and conclusion.status == "in_progress"


# -- who may issue and assess -------------------------------------------------------------


@pytest.mark.parametrize("roles", [("officer",), ("observer",), ("admin",)])
def test_only_a_supervisor_can_issue(
    session, cast, make_user, make_conclusion_input, deployed, roles
):
    actor = make_user(body=cast.commission, roles=roles)
    before = counts(session)
    with pytest.raises(NotAllowed, match="Only a supervisor can issue"):
        conclusions.issue_conclusion(session, actor, make_conclusion_input())
    assert counts(session) == before


def test_a_conclusion_outside_ones_reach_is_not_found(
    session, cast, make_body, make_user, make_conclusion
):
    conclusion = make_conclusion()
    close(session, cast, conclusion.requirements[0])
    elsewhere = make_user(body=make_body(), roles=("supervisor",))
    with pytest.raises(NotFound):
        conclusions.assess_conclusion(session, elsewhere, conclusion.id, "Done")
    observer = make_user(body=cast.commission, roles=("observer",))
    with pytest.raises(NotAllowed):
        conclusions.assess_conclusion(session, observer, conclusion.id, "Done")
    assert conclusion.status == "in_progress"


# -- refused input --------------------------------------------------------------------------


def _refused_issue(session, actor, data, error=InvalidInput):
    before = counts(session)
    with pytest.raises(error) as caught:
        conclusions.issue_conclusion(session, actor, data)
    assert counts(session) == before
    return caught.value


@pytest.mark.parametrize(
    ("requirement", "field", "message"),
    [
        (
            {"deadline": datetime.now(UTC) - timedelta(days=3)},
            "requirements-0-deadline",
            "The deadline must be after the issue date.",
        ),
        (
            {"deadline": datetime.now() + timedelta(days=3)},  # noqa: DTZ005 — naive on purpose
            "requirements-0-deadline",
            "Give the deadline as a date and time with its time zone.",
        ),
        (
            {"responsible_body_id": 987654321},
            "requirements-0-responsible_body_id",
            "The chosen body does not exist.",
        ),
        (
            {"category": "financial", "target_amount": "-1"},
            "requirements-0-target_amount",
            "An amount cannot be negative.",
        ),
        (
            {"category": "financial", "target_amount": "a lot"},
            "requirements-0-target_amount",
            "Enter the amount as a whole number of đồng, digits only.",
        ),
        (
            {"category": "financial", "target_amount": None},
            "requirements-0-target_amount",
            "A financial requirement needs the amount to recover.",
        ),
        (
            {"category": "punitive"},
            "requirements-0-category",
            "Choose a known category.",
        ),
        ({"text": "   "}, "requirements-0-text", "Describe the requirement."),
    ],
)
def test_a_bad_requirement_is_refused_and_nothing_is_stored(
    session, cast, make_conclusion_input, deployed, requirement, field, message
):
    error = _refused_issue(session, cast.supervisor, make_conclusion_input(requirement=requirement))
    assert (error.field, str(error)) == (field, message)


def test_a_responsible_body_outside_the_issuers_reach_is_refused(
    session, cast, make_body, make_conclusion_input, deployed
):
    foreign = make_body()
    data = make_conclusion_input(requirement={"responsible_body_id": foreign.id})
    error = _refused_issue(session, cast.supervisor, data)
    assert error.field == "requirements-0-responsible_body_id"
    assert str(error) == "That body is outside the bodies your body supervises."


def test_a_subject_body_outside_the_issuers_reach_is_refused(
    session, cast, make_body, make_conclusion_input, deployed
):
    data = make_conclusion_input(subject_body_id=make_body().id)
    error = _refused_issue(session, cast.supervisor, data)
    assert error.field == "subject_body_id"


def test_a_responsible_officer_of_another_body_is_refused(
    session, cast, make_user, make_conclusion_input, deployed
):
    data = make_conclusion_input(requirement={"responsible_officer_id": cast.supervisor.id})
    error = _refused_issue(session, cast.supervisor, data)
    assert str(error) == "The responsible officer must be an officer of the responsible body."


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"number": "  "}, "number", "Enter the conclusion number (at most 64 characters)."),
        ({"source": "rumour"}, "source", "Choose a known source of the conclusion."),
        (
            {"issue_date": datetime.now(UTC).date() + timedelta(days=2)},
            "issue_date",
            "Enter a valid issue date, not in the future.",
        ),
        (
            {"document_sha256": "abc"},
            "document_sha256",
            "The document fingerprint must be a SHA-256 in hexadecimal.",
        ),
        ({"requirements": ()}, "requirements", "A conclusion needs at least one requirement."),
    ],
)
def test_a_bad_conclusion_is_refused_and_nothing_is_stored(
    session, cast, make_conclusion_input, deployed, change, field, message
):
    error = _refused_issue(session, cast.supervisor, replace(make_conclusion_input(), **change))
    assert (error.field, str(error)) == (field, message)


def test_a_duplicate_number_is_a_conflict(session, cast, make_conclusion, make_conclusion_input):
    make_conclusion(number="34-KL/TW")
    error = _refused_issue(
        session, cast.supervisor, make_conclusion_input(number="34-KL/TW"), Conflict
    )
    assert str(error) == "A conclusion numbered 34-KL/TW is already registered."


def test_a_financial_requirement_keeps_its_target_exactly(session, make_conclusion):
    conclusion = make_conclusion(
        requirement={"category": "financial", "target_amount": 123_456_789_012_345_678}
    )
    session.expire_all()
    req = session.get(Requirement, conclusion.requirements[0].id)
    assert req is not None
    assert req.target_amount == Decimal("123456789012345678")
    assert req.recovered_amount == Decimal(0)
