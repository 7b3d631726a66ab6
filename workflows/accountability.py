"""Accountability cases: the responsibility of a unit (and its officer) for remediation that
was not done, handled by a supervising body: explanation requested from the unit, the unit
explains, the supervisor reviews and decides (none, reminder, reprimand, warning, removal,
expulsion, legal referral) with the signed decision as a PDF.

Each case runs ``bpmn/accountability.bpmn`` from the moment the explanation is requested,
so the unit's task and the supervisor's tasks land in the inboxes like any other.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import ProcessInstance, Requirement, User
from db.models.escalation import CASE_REASONS, AccountabilityCase, Escalation
from db.vocabulary import ACCOUNTABILITY_OUTCOMES
from workflows import instances
from workflows.access import can_see_body
from workflows.engine.catalogue import Effect
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.evidence_store import StoredFile
from workflows.i18n import _l
from workflows.inputs import clean_text
from workflows.notifications import notify_event
from workflows.requirement_steps import Step, complete_step, engine_errors

log = logging.getLogger(__name__)
PROCESS_KEY = "accountability"


def open_case(
    session: Session,
    req: Requirement,
    *,
    reason: str,
    handling_body_id: int,
    escalation: Escalation | None = None,
    actor: User | None = None,
    details: str = "",
) -> AccountabilityCase:
    """Open a case on the requirement's responsible body (and officer, if named).

    A requirement has at most one case open at a time: while one is open, it is returned
    instead of opening another.
    """
    current = session.scalar(
        select(AccountabilityCase).where(
            AccountabilityCase.requirement_id == req.id, AccountabilityCase.status != "closed"
        )
    )
    if current is not None:
        return current
    case = AccountabilityCase(
        requirement_id=req.id,
        escalation_id=escalation.id if escalation else None,
        subject_body_id=req.responsible_body_id,
        subject_user_id=req.responsible_officer_id,
        handling_body_id=handling_body_id,
        reason=reason if reason in CASE_REASONS else "process",
        details=details if reason in CASE_REASONS else f"{reason} {details}".strip(),
        opened_by_id=actor.id if actor else None,
    )
    session.add(case)
    session.flush()
    _audit(session, "accountability_case.opened", case, actor, requirement=req.id, reason=reason)
    return case


def _audit(
    session: Session, action: str, case: AccountabilityCase, actor: User | None, **payload: object
) -> None:
    record(
        session,
        action,
        ("accountability_case", case.id),
        actor_id=actor.id if actor else None,
        body_id=case.subject_body_id,
        payload=payload,
    )
    context = {"body_id": case.handling_body_id, "subject_body_id": case.subject_body_id}
    notify_event(
        session, action, ("accountability_case", case.id), actor=actor, **context, **payload
    )


def get_case(session: Session, actor: User, case_id: int) -> AccountabilityCase:
    """A case whose unit or handling body is within ``actor``'s reach."""
    case = session.get(AccountabilityCase, case_id)
    if case is None or not (
        can_see_body(session, actor, case.handling_body_id)
        or can_see_body(session, actor, case.subject_body_id)
    ):
        raise NotFound(_l("No such accountability case, or it is outside your reach."))
    return case


def _for_handler(session: Session, actor: User, case_id: int) -> AccountabilityCase:
    case = get_case(session, actor, case_id)
    if not actor.has_role("supervisor") or not can_see_body(session, actor, case.handling_body_id):
        raise NotAllowed(_l("Only a supervisor of the body handling the case can do this."))
    return case


def _expect(case: AccountabilityCase, status: str) -> None:
    if case.status != status:
        raise Conflict(_l("The case is not at this stage any more. Reload the page."))


def _step(session: Session, case: AccountabilityCase, name: str) -> Step:
    refusal = _l("The case is not at this stage any more. Reload the page.")
    if case.process_instance_id is None:
        raise Conflict(refusal)
    with engine_errors():
        running = instances.load(session, case.process_instance_id)
    task_id = next((t.task_id for t in running.projected.values() if t.spec_name == name), None)
    if task_id is None:
        raise Conflict(refusal)
    return Step(running, task_id)


def request_explanation(
    session: Session, actor: User, case_id: int, due: datetime, note: str
) -> AccountabilityCase:
    """Ask the unit to explain itself by ``due``; starts the case's process."""
    case = _for_handler(session, actor, case_id)
    text = clean_text(
        note, "note", _l("Say what the unit must explain (at most 20,000 characters).")
    )
    if not isinstance(due, datetime) or due.tzinfo is None or due <= utcnow():
        raise InvalidInput(_l("The explanation is due at a date in the future."), field="due")
    _expect(case, "open")
    roles = {"officer": case.subject_body_id, "supervisor": case.handling_body_id}
    data = {"case_id": case.id, "explanation_due": due.astimezone(UTC).isoformat()}
    with engine_errors():
        running = instances.start(
            session, PROCESS_KEY, ("accountability_case", case.id), roles, data
        )
    case.process_instance_id = running.row.id
    case.status, case.explanation_due, case.request_note = "explanation_requested", due, text
    case.requested_at, case.requested_by_id = utcnow(), actor.id
    _audit(session, "accountability_case.explanation_requested", case, actor, due=due)
    return case


def submit_explanation(
    session: Session, actor: User, case_id: int, explanation: str
) -> AccountabilityCase:
    """The unit's officer explains what happened and why."""
    case = get_case(session, actor, case_id)
    if not actor.has_role("officer") or actor.body_id != case.subject_body_id:
        raise NotAllowed(_l("Only an officer of the unit concerned can explain."))
    text = clean_text(
        explanation, "explanation", _l("Write the explanation (at most 20,000 characters).")
    )
    _expect(case, "explanation_requested")
    complete_step(session, _step(session, case, "submit_explanation"), {}, None)
    case.status, case.explanation = "explained", text
    case.explained_at, case.explained_by_id = utcnow(), actor.id
    _audit(session, "accountability_case.explained", case, actor)
    return case


def review_case(session: Session, actor: User, case_id: int, note: str) -> AccountabilityCase:
    """The supervisor's assessment of the explanation, before the decision."""
    case = _for_handler(session, actor, case_id)
    text = clean_text(note, "note", _l("Write your assessment (at most 20,000 characters)."))
    _expect(case, "explained")
    complete_step(session, _step(session, case, "review_explanation"), {}, None)
    case.status, case.review_note = "reviewed", text
    case.reviewed_at, case.reviewed_by_id = utcnow(), actor.id
    _audit(session, "accountability_case.reviewed", case, actor)
    return case


def decide_case(
    session: Session,
    actor: User,
    case_id: int,
    decision: str,
    note: str,
    document: StoredFile | None,
) -> AccountabilityCase:
    """Decide the outcome; any outcome but ``none`` needs the signed decision as a PDF."""
    case = _for_handler(session, actor, case_id)
    if decision not in ACCOUNTABILITY_OUTCOMES:
        raise InvalidInput(_l("Choose one of the outcomes."), field="decision")
    text = clean_text(
        note, "note", _l("Give the grounds of the decision (at most 20,000 characters).")
    )
    if document is None and decision != "none":
        raise InvalidInput(_l("Attach the signed decision (PDF)."), field="document")
    if document is not None and document.content_type != "application/pdf":
        raise InvalidInput(_l("The decision document must be a PDF."), field="document")
    _expect(case, "reviewed")
    complete_step(session, _step(session, case, "decide"), {"decision": decision}, None)
    case.status, case.decision, case.decision_note = "closed", decision, text
    case.decided_at, case.decided_by_id = utcnow(), actor.id
    if document is not None:
        case.document_sha256, case.document_filename = document.sha256, document.filename
    _audit(session, "accountability_case.decided", case, actor, decision=decision)
    return case


def _requirement_of(session: Session, row: ProcessInstance) -> Requirement | None:
    if row.subject_type != "requirement":
        return None
    req = session.get(Requirement, int(row.subject_id))
    if req is None or req.process_instance_id not in (None, row.id):
        log.warning("process instance %s names no requirement it drives", row.id)
        return None
    return req


def open_case_effect(session: Session, row: ProcessInstance, effect: Effect) -> None:
    """A model's ``open_accountability_case`` service task (e.g. closed as not implementable)."""
    req = _requirement_of(session, row)
    if req is not None:
        reason = str(effect.params["reason"])
        open_case(session, req, reason=reason, handling_body_id=req.supervising_body_id)


def record_outcome_effect(session: Session, row: ProcessInstance, effect: Effect) -> None:
    """The case model's ``record_outcome`` service task writes the outcome onto the case."""
    if row.subject_type != "accountability_case":
        return
    case = session.get(AccountabilityCase, int(row.subject_id))
    if case is not None and case.process_instance_id == row.id:
        case.decision = str(effect.params["outcome"])


instances.EFFECT_HANDLERS["open_accountability_case"] = open_case_effect
instances.EFFECT_HANDLERS["record_outcome"] = record_outcome_effect
