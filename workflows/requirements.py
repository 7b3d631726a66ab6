"""Verbs on one requirement, in the order its life cycle takes them.

Each verb checks who may act (through ``workflows.access``), validates, advances the
requirement's process (load → step → save, refusing a stale ``lock_version``), changes the
rows and writes the audit event — in the caller's transaction: it flushes, never commits.
Everything that can be refused is refused before anything is written.

Officers act for their own body only; supervisors act for the supervising body or any body
above it in the supervision chain. Whoever submitted a completion cannot verify it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import (
    Evidence,
    ExtensionRequest,
    ProgressReport,
    Requirement,
    User,
    UserTask,
    Verification,
)
from db.models.remediation import MAX_AMOUNT
from workflows import effects, instances
from workflows.access import can_see_body, visible_bodies
from workflows.engine import runner
from workflows.engine.catalogue import VERIFY_DECISIONS
from workflows.engine.errors import EngineError, MessageNotExpected, TaskNotReady
from workflows.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
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
#: Where progress may still be reported: after the plan, before the completion report.
REMEDIATING = frozenset({"planned", "in_progress", "returned", "overdue"})


class ProcessFailed(DomainError):
    """The process model could not take a step; not the user's doing."""

    status = 500


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn engine errors into refusals a user can read."""
    try:
        yield
    except TaskNotReady as exc:
        raise Conflict(
            _l("This step is no longer open: someone may have taken it already. Reload the page.")
        ) from exc
    except MessageNotExpected as exc:
        raise Conflict(
            _l("The process cannot take this request at its current stage. Reload the page.")
        ) from exc
    except EngineError as exc:
        log.error("process step failed: %s %s", exc.code, exc, exc_info=True)
        raise ProcessFailed(
            _l(
                "The process could not take this step (%(code)s), so nothing was saved. "
                "Tell an administrator.",
                code=exc.code,
            ),
            code=exc.code,
        ) from exc


# -- input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceInput:
    """Metadata of an uploaded file (storing the file itself is the upload's business)."""

    sha256: str
    filename: str
    content_type: str
    size: int
    doc_number: str | None = None
    doc_date: date | None = None


@dataclass(frozen=True)
class ReportInput:
    """A progress or completion report. ``amount_recovered`` is the total so far (VND);
    None keeps the total already reported."""

    text: str
    percent: int | str
    amount_recovered: Decimal | int | str | None = None
    evidence: tuple[EvidenceInput, ...] = ()


def clean_text(value: str | None, field: str, message: Any, max_len: int = MAX_TEXT) -> str:
    cleaned = (value or "").strip()
    if not cleaned or len(cleaned) > max_len:
        raise InvalidInput(message, field=field)
    return cleaned


def parse_amount(value: object, field: str) -> Decimal:
    """A whole, non-negative number of đồng from a form value, int or Decimal."""
    try:
        if isinstance(value, bool | float) or value is None:
            raise InvalidOperation
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _l("Enter the amount as a whole number of đồng, digits only."), field=field
        ) from None
    if amount < 0:
        raise InvalidInput(_l("An amount cannot be negative."), field=field)
    if amount >= MAX_AMOUNT:
        raise InvalidInput(_l("That amount is too large."), field=field)
    return amount.quantize(Decimal(1))


def parse_percent(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(_l("Progress is a whole percentage from 0 to 100."), field="percent")
    return value


def check_deadline(value: object, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(_l("Give the deadline as a date and time with its time zone."), field)
    return value


def _check_evidence(items: tuple[EvidenceInput, ...]) -> None:
    for item in items:
        if (
            not SHA256_RE.match(item.sha256 or "")
            or not (item.filename or "").strip()
            or len(item.filename) > 255
            or not 0 < len(item.content_type or "") <= 127
            or isinstance(item.size, bool)
            or not isinstance(item.size, int)
            or item.size < 0
        ):
            raise InvalidInput(
                _l("Each evidence file needs its SHA-256 fingerprint, name, type and size."),
                field="evidence",
            )


# -- who may act ------------------------------------------------------------------------


def get_requirement(session: Session, actor: User, requirement_id: int) -> Requirement:
    """A requirement whose responsible or supervising body is within ``actor``'s reach."""
    reach = visible_bodies(actor)  # one CTE serves both columns
    req = session.scalar(
        select(Requirement).where(
            Requirement.id == requirement_id,
            or_(
                Requirement.responsible_body_id.in_(reach),
                Requirement.supervising_body_id.in_(reach),
            ),
        )
    )
    if req is None:
        raise NotFound(_l("No such requirement, or it is outside your reach."))
    return req


def _for_officer(session: Session, actor: User, requirement_id: int) -> Requirement:
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("officer") or actor.body_id != req.responsible_body_id:
        raise NotAllowed(_l("Only an officer of the responsible body can do this."))
    return req


def _for_supervisor(session: Session, actor: User, requirement_id: int) -> Requirement:
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("supervisor") or not can_see_body(
        session, actor, req.supervising_body_id
    ):
        raise NotAllowed(
            _l("Only a supervisor of the supervising body, or of a body above it, can do this.")
        )
    return req


# -- process steps ----------------------------------------------------------------------


def _ready_task(session: Session, req: Requirement, name: str, refusal: Any) -> str:
    task_id = (
        session.scalar(
            select(UserTask.task_id).where(
                UserTask.instance_id == req.process_instance_id, UserTask.name == name
            )
        )
        if req.process_instance_id is not None
        else None
    )
    if task_id is None:
        raise Conflict(refusal)
    return task_id


def _complete(
    session: Session,
    req: Requirement,
    task_id: str,
    data: Mapping[str, Any],
    lock_version: int | None,
) -> None:
    assert req.process_instance_id is not None  # _ready_task found a task of it
    with engine_errors():
        instances.complete_task(session, req.process_instance_id, task_id, data, lock_version)


def _send(
    session: Session,
    req: Requirement,
    message: str,
    payload: Mapping[str, Any],
    lock_version: int | None,
) -> None:
    assert req.process_instance_id is not None
    with (
        engine_errors(),
        instances.advancing(session, req.process_instance_id, lock_version) as running,
    ):
        runner.send_message(running.workflow, message, payload)


def _audit(session: Session, action: str, req: Requirement, actor: User, **payload: Any) -> None:
    session.flush()
    record(
        session,
        action,
        ("requirement", req.id),
        actor_id=actor.id,
        body_id=req.responsible_body_id,
        payload=payload,
    )


_NOT_IN_REMEDIATION = _l("This requirement is not in remediation now. Reload the page.")


# -- officer verbs ----------------------------------------------------------------------


def acknowledge_requirement(
    session: Session, actor: User, requirement_id: int, *, lock_version: int | None = None
) -> Requirement:
    """The responsible body confirms it received the requirement."""
    req = _for_officer(session, actor, requirement_id)
    refusal = _l("This requirement is not waiting for acknowledgement.")
    task_id = _ready_task(session, req, "acknowledge", refusal)
    _complete(session, req, task_id, {}, lock_version)
    req.status, req.acknowledged_at = "acknowledged", utcnow()
    _audit(session, "requirement.acknowledged", req, actor)
    return req


def submit_plan(
    session: Session,
    actor: User,
    requirement_id: int,
    plan: str,
    *,
    lock_version: int | None = None,
) -> Requirement:
    """The responsible body says how it will remediate; remediation starts."""
    req = _for_officer(session, actor, requirement_id)
    text = clean_text(
        plan, "plan", _l("Describe the remediation plan (at most 20,000 characters).")
    )
    refusal = _l("This requirement is not waiting for a remediation plan.")
    task_id = _ready_task(session, req, "submit_plan", refusal)
    _complete(session, req, task_id, {}, lock_version)
    req.plan, req.status, req.planned_at = text, "planned", utcnow()
    _audit(session, "requirement.plan_submitted", req, actor)
    return req


def _build_report(
    req: Requirement, actor: User, report: ReportInput, completion: bool
) -> ProgressReport:
    """A validated, not yet stored report row."""
    text = clean_text(
        report.text, "text", _l("Describe the progress made (at most 20,000 characters).")
    )
    percent = parse_percent(report.percent)
    amount = (
        req.recovered_amount
        if report.amount_recovered is None
        else parse_amount(report.amount_recovered, "amount_recovered")
    )
    _check_evidence(report.evidence)
    row = ProgressReport(
        requirement_id=req.id,
        author_id=actor.id,
        text=text,
        percent=percent,
        amount_recovered=amount,
        is_completion=completion,
        evidence=[
            Evidence(
                sha256=e.sha256,
                filename=e.filename.strip(),
                content_type=e.content_type,
                size=e.size,
                doc_number=e.doc_number,
                doc_date=e.doc_date,
                uploaded_by_id=actor.id,
            )
            for e in report.evidence
        ],
    )
    return row


def _apply_report(session: Session, req: Requirement, row: ProgressReport) -> dict[str, Any]:
    """Store the report and move the requirement's figures; say what went backwards."""
    before_percent, before_recovered = req.progress_percent, req.recovered_amount
    session.add(row)
    req.progress_percent, req.recovered_amount = row.percent, row.amount_recovered
    req.last_report_at = utcnow()
    session.flush()
    # Going backwards is allowed (an earlier figure may have been wrong) but kept visible.
    return {
        "report": row.id,
        "percent": row.percent,
        "previous_percent": before_percent,
        "amount_recovered": row.amount_recovered,
        "previous_amount_recovered": before_recovered,
        "went_backwards": row.percent < before_percent or row.amount_recovered < before_recovered,
        "evidence": [e.sha256 for e in row.evidence],
    }


def report_progress(
    session: Session, actor: User, requirement_id: int, report: ReportInput
) -> ProgressReport:
    """Record a progress report (a table row, not a process step)."""
    req = _for_officer(session, actor, requirement_id)
    row = _build_report(req, actor, report, completion=False)
    if req.status not in REMEDIATING:
        raise Conflict(
            _l("Progress can be reported only after the plan and before the completion report.")
        )
    details = _apply_report(session, req, row)
    if req.status in ("planned", "returned"):
        req.status = "in_progress"
    _audit(session, "requirement.progress_reported", req, actor, **details)
    return row


def submit_for_verification(
    session: Session,
    actor: User,
    requirement_id: int,
    report: ReportInput,
    *,
    lock_version: int | None = None,
) -> ProgressReport:
    """The completion report: remediation is claimed done and goes to the supervisor."""
    req = _for_officer(session, actor, requirement_id)
    row = _build_report(req, actor, report, completion=True)
    task_id = _ready_task(session, req, "remediate", _NOT_IN_REMEDIATION)
    _complete(session, req, task_id, {}, lock_version)
    details = _apply_report(session, req, row)
    req.status, req.submitted_by_id, req.submitted_at = "pending_verification", actor.id, utcnow()
    _audit(session, "requirement.submitted", req, actor, **details)
    return row


def request_extension(
    session: Session,
    actor: User,
    requirement_id: int,
    reason: str,
    new_deadline: datetime,
    *,
    lock_version: int | None = None,
) -> ExtensionRequest:
    """Ask the supervisor for a later deadline; remediation pauses for the decision."""
    req = _for_officer(session, actor, requirement_id)
    why = clean_text(reason, "reason", _l("Give the reason (at most 20,000 characters)."))
    wanted = _later_deadline(req, new_deadline)
    _ready_task(session, req, "remediate", _NOT_IN_REMEDIATION)  # the request is a message
    _send(session, req, "extension_requested", {"deadline": effects.iso(wanted)}, lock_version)
    ext = ExtensionRequest(
        requirement_id=req.id,
        requested_by_id=actor.id,
        reason=why,
        current_deadline=req.deadline,
        requested_deadline=wanted,
    )
    session.add(ext)
    session.flush()
    _audit(
        session,
        "requirement.extension_requested",
        req,
        actor,
        request=ext.id,
        current_deadline=req.deadline,
        requested_deadline=wanted,
    )
    return ext


def _later_deadline(req: Requirement, value: object) -> datetime:
    wanted = check_deadline(value, "new_deadline")
    if wanted <= req.deadline or wanted <= utcnow():
        raise InvalidInput(
            _l("The new deadline must be later than both the current deadline and now."),
            field="new_deadline",
        )
    return wanted


# -- supervisor verbs -------------------------------------------------------------------


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
    req = _for_supervisor(session, actor, requirement_id)
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
    task_id = _ready_task(session, req, "verify", refusal)
    if req.submitted_by_id == actor.id:
        raise NotAllowed(
            _l("You reported this completion, so someone else must verify it (four eyes).")
        )
    _complete(session, req, task_id, {"decision": decision}, lock_version)
    row = Verification(
        requirement_id=req.id, verifier_id=actor.id, decision=decision, grade=grade, reason=why
    )
    session.add(row)
    if grade is not None:
        req.grade = grade
    session.flush()
    _audit(session, "requirement.verified", req, actor, decision=decision, grade=grade, reason=why)
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
    req = _for_supervisor(session, actor, requirement_id)
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
    new = _later_deadline(req, deadline or ext.requested_deadline) if approve else None
    task_id = _ready_task(session, req, "decide_extension", refusal)
    data: dict[str, Any] = {"extension_approved": bool(approve)}
    if new is not None:
        data["new_deadline"] = effects.iso(new)
    _complete(session, req, task_id, data, lock_version)
    ext.status = "approved" if approve else "rejected"
    ext.decided_by_id, ext.decided_at, ext.decision_reason = actor.id, utcnow(), why or None
    before = req.deadline
    if new is not None:
        req.deadline = new
        if req.status == "overdue":
            req.status = "in_progress"
    _audit(
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
    req = _for_supervisor(session, actor, requirement_id)
    why = clean_text(reason, "reason", _l("Give the reason (at most 20,000 characters)."))
    _ready_task(session, req, "remediate", _NOT_IN_REMEDIATION)
    _send(session, req, "withdrawn", {"by": actor.id}, lock_version)
    _audit(session, "requirement.withdrawn", req, actor, reason=why)
    return req
