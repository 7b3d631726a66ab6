"""What the catalogue operations of the shipped models do to our tables.

Service tasks only *ask* (see ``workflows.engine.catalogue``); ``workflows.instances.save``
hands each effect to the handler registered here, in the same transaction. Importing this
module registers the handlers (``workflows.requirements`` imports it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import Conclusion, ProcessInstance, Requirement
from db.vocabulary import TERMINAL_STATUSES
from workflows import instances
from workflows.engine.catalogue import Effect
from workflows.notifications import notify_event

log = logging.getLogger(__name__)


def iso(moment: datetime) -> str:
    """The aware UTC ISO string timers and task data expect (trap 5)."""
    return moment.astimezone(UTC).isoformat()


S = TypeVar("S", Requirement, Conclusion)


def _subject_id(row: ProcessInstance) -> int | None:
    try:
        return int(row.subject_id)
    except ValueError:
        return None


def _subject(session: Session, row: ProcessInstance, model: type[S]) -> S | None:
    """The row the instance drives, unless that row points at another instance."""
    ident = _subject_id(row)
    found = session.get(model, ident) if ident is not None else None
    if found is None or found.process_instance_id not in (None, row.id):
        log.warning("process instance %s names no %s it drives", row.id, model.__tablename__)
        return None
    return found


def set_status(session: Session, row: ProcessInstance, effect: Effect) -> None:
    status = str(effect.params["status"])
    if row.subject_type == "requirement":
        req = _subject(session, row, Requirement)
        if req is not None:
            _set_requirement_status(session, req, status, effect.task_name)
    elif row.subject_type == "conclusion":
        conclusion = _subject(session, row, Conclusion)
        if conclusion is not None:
            _set_conclusion_status(session, conclusion, status, effect.task_name)


def _set_requirement_status(session: Session, req: Requirement, status: str, task: str) -> None:
    before, req.status = req.status, status
    if status in TERMINAL_STATUSES and req.closed_at is None:
        req.closed_at = utcnow()
    record(
        session,
        "requirement.status_changed",
        ("requirement", req.id),
        body_id=req.responsible_body_id,
        payload={"from": before, "to": status, "task": task},
    )
    change: dict[str, Any] = {"from": before, "to": status}
    notify_event(session, "requirement.status_changed", ("requirement", req.id), **change)
    if status in TERMINAL_STATUSES:
        _conclude_if_all_closed(session, req.conclusion_id)


def _conclude_if_all_closed(session: Session, conclusion_id: int) -> None:
    """The last requirement to close lets the conclusion go to its final assessment."""
    still_open = session.scalar(
        select(func.count()).where(
            Requirement.conclusion_id == conclusion_id,
            Requirement.status.not_in(TERMINAL_STATUSES),
        )
    )
    conclusion = session.get(Conclusion, conclusion_id)
    if still_open or conclusion is None or conclusion.process_instance_id is None:
        return
    if conclusion.status != "in_progress":
        return
    instances.send_message(session, conclusion.process_instance_id, "requirements_closed")
    record(
        session,
        "conclusion.requirements_closed",
        ("conclusion", conclusion.id),
        body_id=conclusion.issuing_body_id,
    )
    notify_event(session, "conclusion.requirements_closed", ("conclusion", conclusion.id))


def _set_conclusion_status(
    session: Session, conclusion: Conclusion, status: str, task: str
) -> None:
    before, conclusion.status = conclusion.status, status
    if status == "closed" and conclusion.closed_at is None:
        conclusion.closed_at = utcnow()
    record(
        session,
        "conclusion.status_changed",
        ("conclusion", conclusion.id),
        body_id=conclusion.issuing_body_id,
        payload={"from": before, "to": status, "task": task},
    )


def start_requirements(session: Session, row: ProcessInstance, effect: Effect) -> None:
    """One ``requirement`` instance per requirement of the conclusion not yet started."""
    conclusion = _subject(session, row, Conclusion) if row.subject_type == "conclusion" else None
    if conclusion is None:
        return
    pending = session.scalars(
        select(Requirement)
        .where(
            Requirement.conclusion_id == conclusion.id, Requirement.process_instance_id.is_(None)
        )
        .order_by(Requirement.seq)
    ).all()
    for req in pending:
        running = instances.start(
            session,
            "requirement",
            ("requirement", req.id),
            {"officer": req.responsible_body_id, "supervisor": req.supervising_body_id},
            {"requirement_id": req.id, "deadline": iso(req.deadline)},
        )
        req.process_instance_id = running.row.id
    session.flush()
    record(
        session,
        "conclusion.requirements_started",
        ("conclusion", conclusion.id),
        body_id=conclusion.issuing_body_id,
        payload={"requirements": [r.id for r in pending]},
    )


def notify(session: Session, row: ProcessInstance, effect: Effect) -> None:
    """A model's ``notify`` service task: the notifier decides who hears of it."""
    ident = _subject_id(row)
    if ident is None:
        return
    to = str(effect.params["to"])
    notify_event(
        session,
        "process.notify",
        (row.subject_type, ident),
        kind=effect.params["kind"],
        to=to,
        body_id=row.role_bodies.get(to),
        task=effect.task_name,
    )


instances.EFFECT_HANDLERS.update(
    {
        "set_status": set_status,
        "start_requirements": start_requirements,
        "notify": notify,
    }
)

from workflows import accountability, escalation  # noqa: E402, F401  (register their effects)
