"""What every requirement verb shares: who may act, taking one process step with engine
errors put in the user's words, and the audit event.

Officers act for their own body only; supervisors act for the supervising body or any body
above it in the supervision chain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import ProcessInstance, Requirement, User
from workflows import instances
from workflows.access import can_see_body, visible_bodies
from workflows.engine import runner
from workflows.engine.errors import EngineError, MessageNotExpected, TaskNotReady
from workflows.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.inputs import check_deadline
from workflows.notifications import notify_event

log = logging.getLogger(__name__)
#: ``session.info`` key: process instances read with their requirement, by id.
_PROCESSES = "requirement_steps.processes"


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


def _candidate(session: Session, requirement_id: int, with_process: bool) -> Requirement | None:
    """The requirement by id alone, for a caller that checks reach itself; with
    ``with_process`` its process instance comes in the same query and is kept in the
    session for :func:`ready_task` (one round trip less on every step)."""
    if not with_process:
        return session.get(Requirement, requirement_id)
    found = session.execute(
        select(Requirement, ProcessInstance)
        .outerjoin(ProcessInstance, ProcessInstance.id == Requirement.process_instance_id)
        .where(Requirement.id == requirement_id)
    ).first()
    if found is None:
        return None
    req, process = found
    if process is not None:
        # The identity map holds rows weakly: keep it until ready_task takes it.
        session.info.setdefault(_PROCESSES, {})[process.id] = process
    return req


def for_officer(
    session: Session, actor: User, requirement_id: int, *, with_process: bool = True
) -> Requirement:
    if actor.has_role("officer"):
        req = _candidate(session, requirement_id, with_process)
        # The responsible body is the officer's own, which is always within reach; only a
        # refusal needs the reach query (to tell "not found" from "not allowed").
        if req is not None and req.responsible_body_id == actor.body_id:
            return req
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("officer") or actor.body_id != req.responsible_body_id:
        raise NotAllowed(_l("Only an officer of the responsible body can do this."))
    return req


def for_supervisor(
    session: Session, actor: User, requirement_id: int, *, with_process: bool = True
) -> Requirement:
    if actor.has_role("supervisor"):
        req = _candidate(session, requirement_id, with_process)
        # A supervising body within reach puts the requirement within reach.
        if req is not None and can_see_body(session, actor, req.supervising_body_id):
            return req
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("supervisor") or not can_see_body(
        session, actor, req.supervising_body_id
    ):
        raise NotAllowed(
            _l("Only a supervisor of the supervising body, or of a body above it, can do this.")
        )
    return req


@dataclass
class Step:
    """The requirement's process, loaded once per verb, and the READY task to complete."""

    running: instances.Running
    task_id: str


def ready_task(session: Session, req: Requirement, name: str, refusal: Any) -> Step:
    """Load the requirement's process and find its READY user task ``name`` (what
    ``user_task`` shows: both are written in one transaction), or refuse with ``refusal``."""
    if req.process_instance_id is None:
        raise Conflict(refusal)
    row = session.info.get(_PROCESSES, {}).pop(req.process_instance_id, None)
    with engine_errors():
        running = (
            instances.resume(row)
            if row is not None
            else instances.load(session, req.process_instance_id)
        )
    task_id = next((t.task_id for t in running.projected.values() if t.spec_name == name), None)
    if task_id is None:
        raise Conflict(refusal)
    return Step(running, task_id)


def complete_step(
    session: Session, step: Step, data: Mapping[str, Any], lock_version: int | None
) -> None:
    instances.check_version(step.running.row, lock_version)
    with engine_errors():
        runner.complete(step.running.workflow, step.task_id, data)
        instances.save(session, step.running)


def send_message(
    session: Session,
    step: Step,
    message: str,
    payload: Mapping[str, Any],
    lock_version: int | None,
) -> None:
    """Deliver ``message`` to the process ``step`` loaded (its task shows the stage allows it)."""
    instances.check_version(step.running.row, lock_version)
    with engine_errors():
        runner.send_message(step.running.workflow, message, payload)
        instances.save(session, step.running)


def audit(session: Session, action: str, req: Requirement, actor: User, **payload: Any) -> None:
    # ``record`` flushes the verb's pending changes before it appends.
    record(
        session,
        action,
        ("requirement", req.id),
        actor_id=actor.id,
        body_id=req.responsible_body_id,
        payload=payload,
    )
    notify_event(session, action, ("requirement", req.id), actor=actor, **payload)


NOT_IN_REMEDIATION = _l("This requirement is not in remediation now. Reload the page.")


def later_deadline(req: Requirement, value: object) -> datetime:
    wanted = check_deadline(value, "new_deadline")
    if wanted <= req.deadline or wanted <= utcnow():
        raise InvalidInput(
            _l("The new deadline must be later than both the current deadline and now."),
            field="new_deadline",
        )
    return wanted
