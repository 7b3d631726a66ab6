"""Everything the accountability case page shows, and what the viewer may do there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Body, Conclusion, Requirement, User
from db.models.escalation import AccountabilityCase, Escalation
from workflows.access import can_see_body
from workflows.accountability import get_case


@dataclass(frozen=True)
class CaseView:
    case: AccountabilityCase
    unit: Body
    handler: Body
    requirement: Requirement | None
    conclusion: Conclusion | None
    escalation: Escalation | None
    #: Names of everyone the page mentions, by user id.
    names: dict[int, str]
    history: list[AuditEvent]
    can_handle: bool
    can_explain: bool


def _names(session: Session, case: AccountabilityCase) -> dict[int, str]:
    ids = {
        case.subject_user_id,
        case.opened_by_id,
        case.requested_by_id,
        case.explained_by_id,
        case.reviewed_by_id,
        case.decided_by_id,
    } - {None}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {r.id: r.full_name for r in rows}


def case_view(session: Session, actor: User, case_id: int) -> CaseView:
    """The case with its people and history, if it is within ``actor``'s reach."""
    case = get_case(session, actor, case_id)
    req = session.get(Requirement, case.requirement_id) if case.requirement_id else None
    history = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "accountability_case",
            AuditEvent.subject_id == str(case.id),
        )
        .order_by(AuditEvent.seq)
    ).all()
    unit, handler = (
        session.get(Body, case.subject_body_id),
        session.get(Body, case.handling_body_id),
    )
    assert unit is not None and handler is not None
    return CaseView(
        case=case,
        unit=unit,
        handler=handler,
        requirement=req,
        conclusion=session.get(Conclusion, req.conclusion_id) if req else None,
        escalation=session.get(Escalation, case.escalation_id) if case.escalation_id else None,
        names=_names(session, case),
        history=list(history),
        can_handle=actor.has_role("supervisor")
        and can_see_body(session, actor, case.handling_body_id),
        can_explain=actor.has_role("officer") and actor.body_id == case.subject_body_id,
    )
