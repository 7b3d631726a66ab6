"""Issuing a conclusion with its requirements, and its final assessment.

Issuing starts the ``conclusion`` process, whose ``start_requirements`` service task starts
one ``requirement`` process per requirement (see ``workflows.effects``). When the last
requirement is closed the conclusion waits for the issuing body's final assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record
from db.models import Body, Conclusion, Requirement, User, UserTask
from db.models.remediation import CATEGORIES, CONCLUSION_SOURCES
from workflows import effects, instances
from workflows.access import can_see_body, in_reach
from workflows.deadlines import VIETNAM
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.inputs import SHA256_RE, check_deadline, clean_text, parse_amount
from workflows.notifications import notify_event
from workflows.requirement_steps import engine_errors

__all__ = ["VIETNAM"]  # re-exported: dates on conclusions are Vietnamese calendar dates


@dataclass(frozen=True)
class RequirementInput:
    text: str
    category: str
    responsible_body_id: int
    deadline: datetime
    #: Defaults to the issuing body.
    supervising_body_id: int | None = None
    responsible_officer_id: int | None = None
    target_amount: Decimal | int | str | None = None


@dataclass(frozen=True)
class ConclusionInput:
    number: str
    title: str
    source: str
    issue_date: date
    subject_body_id: int
    summary: str
    requirements: tuple[RequirementInput, ...]
    document_sha256: str | None = None


def _body_in_reach(session: Session, actor: User, body_id: int | None, field: str) -> int:
    if body_id is None or session.get(Body, body_id) is None:
        raise InvalidInput(_l("The chosen body does not exist."), field=field)
    if not can_see_body(session, actor, body_id):
        raise InvalidInput(_l("That body is outside the bodies your body supervises."), field=field)
    return body_id


def _check_conclusion(session: Session, actor: User, data: ConclusionInput) -> dict[str, Any]:
    number = clean_text(
        data.number, "number", _l("Enter the conclusion number (at most 64 characters)."), 64
    )
    title = clean_text(data.title, "title", _l("Enter the title (at most 500 characters)."), 500)
    if data.source not in CONCLUSION_SOURCES:
        raise InvalidInput(_l("Choose a known source of the conclusion."), field="source")
    today = datetime.now(VIETNAM).date()
    if not isinstance(data.issue_date, date) or data.issue_date > today:
        raise InvalidInput(_l("Enter a valid issue date, not in the future."), field="issue_date")
    summary = clean_text(data.summary, "summary", _l("Enter a summary of the conclusion."))
    sha = (data.document_sha256 or "").strip().lower() or None
    if sha is not None and not SHA256_RE.match(sha):
        raise InvalidInput(
            _l("The document fingerprint must be a SHA-256 in hexadecimal."),
            field="document_sha256",
        )
    _body_in_reach(session, actor, data.subject_body_id, "subject_body_id")
    if not data.requirements:
        raise InvalidInput(_l("A conclusion needs at least one requirement."), field="requirements")
    return {"number": number, "title": title, "summary": summary, "document_sha256": sha}


def _check_requirement(
    session: Session, actor: User, data: RequirementInput, issue_date: date, index: int
) -> dict[str, Any]:
    def field(name: str) -> str:
        return f"requirements-{index}-{name}"

    text = clean_text(data.text, field("text"), _l("Describe the requirement."))
    if data.category not in CATEGORIES:
        raise InvalidInput(_l("Choose a known category."), field=field("category"))
    responsible = _body_in_reach(
        session, actor, data.responsible_body_id, field("responsible_body_id")
    )
    supervising = _body_in_reach(
        session, actor, data.supervising_body_id or actor.body_id, field("supervising_body_id")
    )
    if data.responsible_officer_id is not None:
        officer = session.get(User, data.responsible_officer_id)
        if officer is None or officer.body_id != responsible or not officer.has_role("officer"):
            raise InvalidInput(
                _l("The responsible officer must be an officer of the responsible body."),
                field=field("responsible_officer_id"),
            )
    deadline = check_deadline(data.deadline, field("deadline"))
    if deadline.astimezone(VIETNAM).date() <= issue_date:
        raise InvalidInput(_l("The deadline must be after the issue date."), field("deadline"))
    target = None
    if data.target_amount not in (None, ""):
        target = parse_amount(data.target_amount, field("target_amount"))
    if data.category == "financial" and not target:
        raise InvalidInput(
            _l("A financial requirement needs the amount to recover."), field("target_amount")
        )
    return {
        "seq": index + 1,
        "text": text,
        "category": data.category,
        "responsible_body_id": responsible,
        "responsible_officer_id": data.responsible_officer_id,
        "supervising_body_id": supervising,
        "deadline": deadline,
        "original_deadline": deadline,
        "target_amount": target,
    }


def issue_conclusion(session: Session, actor: User, data: ConclusionInput) -> Conclusion:
    """Register a conclusion with its requirements and start following them up.

    The issuing body is the actor's; every body named must be within its reach.
    """
    if not actor.has_role("supervisor"):
        raise NotAllowed(_l("Only a supervisor can issue a conclusion."))
    fields = _check_conclusion(session, actor, data)
    rows = [
        _check_requirement(session, actor, item, data.issue_date, i)
        for i, item in enumerate(data.requirements)
    ]
    if session.scalar(select(Conclusion.id).where(Conclusion.number == fields["number"])):
        raise Conflict(
            _l("A conclusion numbered %(number)s is already registered.", number=fields["number"])
        )
    conclusion = Conclusion(
        **fields,
        issuing_body_id=actor.body_id,
        source=data.source,
        issue_date=data.issue_date,
        subject_body_id=data.subject_body_id,
        status="issued",
        created_by_id=actor.id,
        requirements=[Requirement(**row, status="issued") for row in rows],
    )
    session.add(conclusion)
    session.flush()
    _record_issue(session, actor, conclusion)
    with engine_errors():
        running = instances.start(
            session,
            "conclusion",
            ("conclusion", conclusion.id),
            {"supervisor": conclusion.issuing_body_id},
            {"conclusion_id": conclusion.id},
        )
    conclusion.process_instance_id = running.row.id
    session.flush()
    return conclusion


def _record_issue(session: Session, actor: User, conclusion: Conclusion) -> None:
    record(
        session,
        "conclusion.issued",
        ("conclusion", conclusion.id),
        actor_id=actor.id,
        body_id=conclusion.issuing_body_id,
        payload={
            "number": conclusion.number,
            "source": conclusion.source,
            "subject_body_id": conclusion.subject_body_id,
            "requirements": len(conclusion.requirements),
        },
    )
    notify_event(session, "conclusion.issued", ("conclusion", conclusion.id), actor=actor)
    for req in conclusion.requirements:
        record(
            session,
            "requirement.created",
            ("requirement", req.id),
            actor_id=actor.id,
            body_id=req.responsible_body_id,
            payload={
                "conclusion": conclusion.id,
                "seq": req.seq,
                "category": req.category,
                "supervising_body_id": req.supervising_body_id,
                "deadline": effects.iso(req.deadline),
                "target_amount": req.target_amount,
            },
        )


def get_conclusion(session: Session, actor: User, conclusion_id: int) -> Conclusion:
    """A conclusion whose issuing body is within ``actor``'s reach."""
    found = session.scalar(
        select(Conclusion).where(
            Conclusion.id == conclusion_id, in_reach(actor, Conclusion.issuing_body_id)
        )
    )
    if found is None:
        raise NotFound(_l("No such conclusion, or it is outside your reach."))
    return found


def assess_conclusion(
    session: Session,
    actor: User,
    conclusion_id: int,
    assessment: str,
    *,
    lock_version: int | None = None,
) -> Conclusion:
    """The issuing body's final assessment, once every requirement is closed; closes it."""
    conclusion = get_conclusion(session, actor, conclusion_id)
    if not actor.has_role("supervisor"):
        raise NotAllowed(_l("Only a supervisor of the issuing body can assess the conclusion."))
    text = clean_text(assessment, "assessment", _l("Write the final assessment."))
    task_id = (
        session.scalar(
            select(UserTask.task_id).where(
                UserTask.instance_id == conclusion.process_instance_id,
                UserTask.name == "final_assessment",
            )
        )
        if conclusion.process_instance_id is not None
        else None
    )
    if task_id is None or conclusion.process_instance_id is None:
        raise Conflict(
            _l("The conclusion is not ready for its final assessment: requirements are open.")
        )
    with engine_errors():
        instances.complete_task(session, conclusion.process_instance_id, task_id, {}, lock_version)
    conclusion.assessment = text
    session.flush()
    record(
        session,
        "conclusion.assessed",
        ("conclusion", conclusion.id),
        actor_id=actor.id,
        body_id=conclusion.issuing_body_id,
        payload={"closed_at": conclusion.closed_at},
    )
    notify_event(session, "conclusion.assessed", ("conclusion", conclusion.id), actor=actor)
    return conclusion
