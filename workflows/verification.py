"""The supervisor's verbs on a requirement: verify (with every outcome), decide an extension,
withdraw. Whoever submitted a completion cannot verify it (four eyes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import (
    ExtensionRequest,
    Requirement,
    User,
    Verification,
)
from db.vocabulary import VERIFY_DECISIONS
from workflows import effects
from workflows.errors import Conflict, InvalidInput, NotAllowed
from workflows.escalation import deescalate
from workflows.i18n import _l
from workflows.inputs import MAX_TEXT, clean_text
from workflows.requirement_steps import (
    NOT_IN_REMEDIATION,
    audit,
    complete_step,
    for_supervisor,
    later_deadline,
    ready_task,
    send_message,
)

#: Grades that fit each decision; the first is the default. Rejections carry no grade.
GRADES_FOR: dict[str, tuple[str, ...]] = {
    "implemented": ("full",),
    "partial": ("partial", "most"),
    "not_implementable": ("none",),
    "incomplete": (),
    "formal_only": (),
}
#: Decisions a supervisor must explain (the reason is what the unit acts on next).
NEEDS_REASON = frozenset({"partial", "incomplete", "formal_only", "not_implementable"})


def verify_requirement(
    session: Session,
    actor: User,
    requirement_id: int,
    decision: str,
    *,
    grade: str | None = None,
    reason: str = "",
    lock_version: int | None = None,
) -> Verification:
    """Close (implemented, partial), reject (incomplete, formal only) or close as not
    implementable, which asks for an accountability case."""
    req = for_supervisor(session, actor, requirement_id)
    if decision not in VERIFY_DECISIONS:
        raise InvalidInput(_l("Choose one of the verification decisions."), field="decision")
    allowed = GRADES_FOR[decision]
    grade = grade or (allowed[0] if allowed else None)
    if grade is not None and grade not in allowed:
        raise InvalidInput(_l("That grade does not fit the decision."), field="grade")
    why = (reason or "").strip()
    if decision in NEEDS_REASON and not why:
        raise InvalidInput(_l("Give the reason for this decision."), field="reason")
    if len(why) > MAX_TEXT:
        raise InvalidInput(_l("Give the reason (at most 20,000 characters)."), field="reason")
    refusal = _l("This requirement is not awaiting verification.")
    step = ready_task(session, req, "verify", refusal)
    if req.submitted_by_id == actor.id:
        raise NotAllowed(
            _l("You reported this completion, so someone else must verify it (four eyes).")
        )
    complete_step(session, step, {"decision": decision}, lock_version)
    row = Verification(
        requirement_id=req.id, verifier_id=actor.id, decision=decision, grade=grade, reason=why
    )
    session.add(row)
    if grade is not None:
        req.grade = grade
    audit(session, "requirement.verified", req, actor, decision=decision, grade=grade, reason=why)
    if not req.is_open:  # verified closed: the escalations above it end now, not next pass
        deescalate(session, req)
    return row


def decide_extension(
    session: Session,
    actor: User,
    requirement_id: int,
    approve: bool,
    reason: str = "",
    *,
    deadline: datetime | None = None,
    lock_version: int | None = None,
) -> ExtensionRequest:
    """Approve (with the requested deadline, or ``deadline``) or reject the pending request.

    Approval moves the deadline and re-arms the model's deadline timer.
    """
    req = for_supervisor(session, actor, requirement_id)
    ext = session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.requirement_id == req.id, ExtensionRequest.status == "pending"
        )
    )
    refusal = _l("No extension request of this requirement is waiting for a decision.")
    if ext is None:
        raise Conflict(refusal)
    why = (reason or "").strip()
    if not approve and not why:
        raise InvalidInput(_l("Give the reason for this decision."), field="reason")
    new = later_deadline(req, deadline or ext.requested_deadline) if approve else None
    step = ready_task(session, req, "decide_extension", refusal)
    data: dict[str, Any] = {"extension_approved": bool(approve)}
    if new is not None:
        data["new_deadline"] = effects.iso(new)
    complete_step(session, step, data, lock_version)
    ext.status = "approved" if approve else "rejected"
    ext.decided_by_id, ext.decided_at, ext.decision_reason = actor.id, utcnow(), why or None
    before = req.deadline
    if new is not None:
        req.deadline = new
        if req.status == "overdue":
            req.status = "in_progress"
    audit(
        session,
        "requirement.extension_decided",
        req,
        actor,
        request=ext.id,
        approved=bool(approve),
        previous_deadline=before,
        deadline=req.deadline,
        reason=why,
    )
    return ext


def withdraw_requirement(
    session: Session,
    actor: User,
    requirement_id: int,
    reason: str,
    *,
    lock_version: int | None = None,
) -> Requirement:
    """The supervisor withdraws a requirement under remediation (it needs nothing more)."""
    req = for_supervisor(session, actor, requirement_id)
    why = clean_text(reason, "reason", _l("Give the reason (at most 20,000 characters)."))
    step = ready_task(session, req, "remediate", NOT_IN_REMEDIATION)
    send_message(session, step, "withdrawn", {"by": actor.id}, lock_version)
    audit(session, "requirement.withdrawn", req, actor, reason=why)
    deescalate(session, req)
    return req
