"""Verbs on one requirement, in the order its life cycle takes them.

Each verb checks who may act (through ``workflows.access``), validates, advances the
requirement's process (load → step → save, refusing a stale ``lock_version``), changes the
rows and writes the audit event — in the caller's transaction: it flushes, never commits.
Everything that can be refused is refused before anything is written.

The officer's verbs are here; the supervisor's are in ``workflows.verification``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import (
    Evidence,
    ExtensionRequest,
    ProgressReport,
    Requirement,
    User,
)
from workflows import effects
from workflows.errors import Conflict
from workflows.i18n import _l
from workflows.inputs import (
    ReportInput,
    check_evidence,
    clean_text,
    parse_amount,
    parse_percent,
)
from workflows.requirement_steps import (
    NOT_IN_REMEDIATION,
    Step,
    audit,
    complete_step,
    for_officer,
    later_deadline,
    ready_task,
    send_message,
)

#: Where progress may still be reported: after the plan, before the completion report.
REMEDIATING = frozenset({"planned", "in_progress", "returned", "overdue"})


def _step_then_status(
    session: Session, step: Step, lock_version: int | None, req: Requirement, status: str
) -> None:
    """Complete the step, then take ``status`` — unless the process set one while stepping
    (a deadline already passed makes it "overdue"), which is the truer one."""
    before = req.status
    complete_step(session, step, {}, lock_version)
    if req.status == before:
        req.status = status


def acknowledge_requirement(
    session: Session, actor: User, requirement_id: int, *, lock_version: int | None = None
) -> Requirement:
    """The responsible body confirms it received the requirement."""
    req = for_officer(session, actor, requirement_id)
    refusal = _l("This requirement is not waiting for acknowledgement.")
    step = ready_task(session, req, "acknowledge", refusal)
    _step_then_status(session, step, lock_version, req, "acknowledged")
    req.acknowledged_at = utcnow()
    audit(session, "requirement.acknowledged", req, actor)
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
    req = for_officer(session, actor, requirement_id)
    text = clean_text(
        plan, "plan", _l("Describe the remediation plan (at most 20,000 characters).")
    )
    refusal = _l("This requirement is not waiting for a remediation plan.")
    step = ready_task(session, req, "submit_plan", refusal)
    _step_then_status(session, step, lock_version, req, "planned")
    req.plan, req.planned_at = text, utcnow()
    audit(session, "requirement.plan_submitted", req, actor)
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
    check_evidence(report.evidence)
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
    req = for_officer(session, actor, requirement_id, with_process=False)
    row = _build_report(req, actor, report, completion=False)
    if req.status not in REMEDIATING:
        raise Conflict(
            _l("Progress can be reported only after the plan and before the completion report.")
        )
    details = _apply_report(session, req, row)
    if req.status in ("planned", "returned"):
        req.status = "in_progress"
    audit(session, "requirement.progress_reported", req, actor, **details)
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
    req = for_officer(session, actor, requirement_id)
    row = _build_report(req, actor, report, completion=True)
    step = ready_task(session, req, "remediate", NOT_IN_REMEDIATION)
    complete_step(session, step, {}, lock_version)
    # Set before the report's flush, so the requirement is updated once.
    req.status, req.submitted_by_id, req.submitted_at = "pending_verification", actor.id, utcnow()
    details = _apply_report(session, req, row)
    audit(session, "requirement.submitted", req, actor, **details)
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
    req = for_officer(session, actor, requirement_id)
    why = clean_text(reason, "reason", _l("Give the reason (at most 20,000 characters)."))
    wanted = later_deadline(req, new_deadline)
    step = ready_task(session, req, "remediate", NOT_IN_REMEDIATION)  # the request is a message
    send_message(
        session, step, "extension_requested", {"deadline": effects.iso(wanted)}, lock_version
    )
    ext = ExtensionRequest(
        requirement_id=req.id,
        requested_by_id=actor.id,
        reason=why,
        current_deadline=req.deadline,
        requested_deadline=wanted,
    )
    session.add(ext)
    session.flush()
    audit(
        session,
        "requirement.extension_requested",
        req,
        actor,
        request=ext.id,
        current_deadline=req.deadline,
        requested_deadline=wanted,
    )
    return ext
