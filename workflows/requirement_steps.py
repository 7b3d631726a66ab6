"""What every requirement verb shares: who may act, taking one process step with engine
errors put in the user's words, and the audit event.

Officers act for their own body only; supervisors act for the supervising body or any body
above it in the supervision chain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import (
    Requirement,
    User,
    UserTask,
)
from workflows import instances
from workflows.access import can_see_body, visible_bodies
from workflows.engine import runner
from workflows.engine.errors import EngineError, MessageNotExpected, TaskNotReady
from workflows.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.inputs import check_deadline

log = logging.getLogger(__name__)


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


def for_officer(session: Session, actor: User, requirement_id: int) -> Requirement:
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("officer") or actor.body_id != req.responsible_body_id:
        raise NotAllowed(_l("Only an officer of the responsible body can do this."))
    return req


def for_supervisor(session: Session, actor: User, requirement_id: int) -> Requirement:
    req = get_requirement(session, actor, requirement_id)
    if not actor.has_role("supervisor") or not can_see_body(
        session, actor, req.supervising_body_id
    ):
        raise NotAllowed(
            _l("Only a supervisor of the supervising body, or of a body above it, can do this.")
        )
    return req


def ready_task(session: Session, req: Requirement, name: str, refusal: Any) -> str:
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


def complete_step(
    session: Session,
    req: Requirement,
    task_id: str,
    data: Mapping[str, Any],
    lock_version: int | None,
) -> None:
    assert req.process_instance_id is not None  # ready_task found a task of it
    with engine_errors():
        instances.complete_task(session, req.process_instance_id, task_id, data, lock_version)


def send_message(
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


def audit(session: Session, action: str, req: Requirement, actor: User, **payload: Any) -> None:
    session.flush()
    record(
        session,
        action,
        ("requirement", req.id),
        actor_id=actor.id,
        body_id=req.responsible_body_id,
        payload=payload,
    )


NOT_IN_REMEDIATION = _l("This requirement is not in remediation now. Reload the page.")


def later_deadline(req: Requirement, value: object) -> datetime:
    wanted = check_deadline(value, "new_deadline")
    if wanted <= req.deadline or wanted <= utcnow():
        raise InvalidInput(
            _l("The new deadline must be later than both the current deadline and now."),
            field="new_deadline",
        )
    return wanted
