"""Everything the requirement page shows, read in a few queries: the requirement in its
context, what the viewer may do now, and the timeline of what happened.

The timeline is the requirement's audit trail (every verb, service task, flag and escalation
writes one) joined with the reports and their evidence; the trail is hash-chained, so the
page shows the same history an auditor verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.base import utcnow
from db.models import (
    AuditEvent,
    Body,
    Evidence,
    ExtensionRequest,
    ProcessInstance,
    ProgressReport,
    Requirement,
    User,
    UserTask,
    Verification,
)
from db.models.escalation import Escalation
from db.models.monitor import Flag
from workflows import deadlines
from workflows.access import can_see_body
from workflows.errors import NotFound
from workflows.escalation_board import escalations_of
from workflows.i18n import _l
from workflows.monitor.flags import flags_of_requirement
from workflows.requirement_steps import get_requirement

#: Tasks each side acts on, by the role that may act.
OFFICER_TASKS = frozenset({"acknowledge", "submit_plan", "remediate"})
SUPERVISOR_TASKS = frozenset({"verify", "decide_extension", "review_escalation"})
#: While remediating, progress may be reported (a table row, not a process step).
REPORTABLE = frozenset({"planned", "in_progress", "returned", "overdue"})


@dataclass
class TimelineEntry:
    at: datetime
    action: str
    actor: str | None
    payload: dict[str, Any]
    report: ProgressReport | None = None


@dataclass
class RequirementView:
    requirement: Requirement
    responsible: Body
    supervising: Body
    officer: User | None
    process: ProcessInstance | None
    ready: list[str]
    pending_extension: ExtensionRequest | None
    verifications: list[Verification]
    timeline: list[TimelineEntry]
    working_days_left: int | None
    flags: list[Flag] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    body_names: dict[int, str] = field(default_factory=dict)
    can_act_as_officer: bool = False
    can_act_as_supervisor: bool = False
    officer_actions: set[str] = field(default_factory=set)
    supervisor_actions: set[str] = field(default_factory=set)


def requirement_view(session: Session, actor: User, requirement_id: int) -> RequirementView:
    """The page's data; :class:`NotFound` when the requirement is outside ``actor``'s reach."""
    req = get_requirement(session, actor, requirement_id)
    process = (
        session.get(ProcessInstance, req.process_instance_id) if req.process_instance_id else None
    )
    ready = list(
        session.scalars(
            select(UserTask.name).where(UserTask.instance_id == req.process_instance_id)
        )
    )
    view = RequirementView(
        requirement=req,
        responsible=session.get_one(Body, req.responsible_body_id),
        supervising=session.get_one(Body, req.supervising_body_id),
        officer=session.get(User, req.responsible_officer_id)
        if req.responsible_officer_id
        else None,
        process=process,
        ready=ready,
        pending_extension=session.scalar(
            select(ExtensionRequest).where(
                ExtensionRequest.requirement_id == req.id, ExtensionRequest.status == "pending"
            )
        ),
        verifications=list(
            session.scalars(
                select(Verification)
                .where(Verification.requirement_id == req.id)
                .order_by(Verification.id)
            )
        ),
        timeline=timeline(session, req),
        working_days_left=(
            deadlines.working_days_left(session, req.deadline, utcnow()) if req.is_open else None
        ),
    )
    view.flags = flags_of_requirement(session, req.id)
    view.escalations = escalations_of(session, actor, req.id)
    targets = {e.to_body_id for e in view.escalations}
    if targets:
        view.body_names = {
            i: n for i, n in session.execute(select(Body.id, Body.name).where(Body.id.in_(targets)))
        }
    _what_actor_may_do(session, actor, view)
    return view


def _what_actor_may_do(session: Session, actor: User, view: RequirementView) -> None:
    req = view.requirement
    view.can_act_as_officer = actor.has_role("officer") and actor.body_id == req.responsible_body_id
    view.can_act_as_supervisor = actor.has_role("supervisor") and can_see_body(
        session, actor, req.supervising_body_id
    )
    if view.can_act_as_officer:
        view.officer_actions = {t for t in view.ready if t in OFFICER_TASKS}
        if req.status in REPORTABLE:
            view.officer_actions.add("report")
        if "remediate" in view.ready:
            view.officer_actions.add("extension")
    if view.can_act_as_supervisor:
        view.supervisor_actions = {t for t in view.ready if t in SUPERVISOR_TASKS}
        if "remediate" in view.ready:
            view.supervisor_actions.add("withdraw")


def timeline(session: Session, req: Requirement) -> list[TimelineEntry]:
    """What happened to ``req``, newest first."""
    events = session.execute(
        select(AuditEvent, User.full_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_type == "requirement", AuditEvent.subject_id == str(req.id))
        .order_by(AuditEvent.seq.desc())
    ).all()
    reports = {
        r.id: r
        for r in session.scalars(
            select(ProgressReport)
            .where(ProgressReport.requirement_id == req.id)
            .options(selectinload(ProgressReport.evidence))
        )
    }
    entries = []
    for event, actor_name in events:
        payload = event.payload or {}
        report_id = payload.get("report")
        entries.append(
            TimelineEntry(
                at=event.occurred_at,
                action=event.action,
                actor=actor_name,
                payload=payload,
                report=reports.get(report_id) if isinstance(report_id, int) else None,
            )
        )
    return entries


def evidence_for_download(session: Session, actor: User, evidence_id: int) -> Evidence:
    """An evidence file's metadata, if ``actor`` may see its requirement (else NotFound)."""
    found = session.execute(
        select(Evidence, ProgressReport.requirement_id)
        .join(ProgressReport, ProgressReport.id == Evidence.report_id)
        .where(Evidence.id == evidence_id)
    ).first()
    if found is None:
        raise NotFound(_l("No such file, or it is outside your reach."))
    get_requirement(session, actor, found[1])
    return found[0]
