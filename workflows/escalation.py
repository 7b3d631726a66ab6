"""The escalation ladder: responsibility climbs the supervision chain until someone acts.

Level 0 reminds the responsible body; level 1 calls in its head and the supervising body
(the ``escalated`` message puts a ``review_escalation`` task in the supervisors' inbox);
level 2 goes to the supervising body's own supervisor and opens an accountability case;
level 3 reaches the top of the chain. Each level is raised at most once per requirement
(a unique constraint), audited and notified, and every escalation of a requirement is
resolved when the requirement reaches a terminal status (verified closed, or otherwise).
When levels are reached is data: see ``workflows.escalation_thresholds``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.audit import record
from db.base import utcnow
from db.models import ProcessInstance, Requirement, User, UserTask
from db.models.escalation import ESCALATION_DECISIONS, Escalation
from db.vocabulary import TERMINAL_STATUSES
from workflows import accountability, effects, instances  # noqa: F401  (effects: handlers)
from workflows.access import can_see_body
from workflows.bodies import supervision_chain
from workflows.engine import runner
from workflows.engine.catalogue import Effect
from workflows.engine.errors import EngineError
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.inputs import MAX_TEXT
from workflows.notifications import notify_event
from workflows.requirement_steps import Step, complete_step

if TYPE_CHECKING:
    from workflows.ladder import LadderPass

log = logging.getLogger(__name__)
#: The level whose escalation is delivered into the requirement's process.
REVIEWED_LEVEL = 1
#: Decisions after which someone must have written down what they did.
NEEDS_NOTE = frozenset({"instructed", "accountability"})


def target_body(session: Session, req: Requirement, level: int) -> int:
    """The body that must act at ``level`` (the chain stops at its top)."""
    if level == 0:
        return req.responsible_body_id
    # Read once per transaction: raising several levels walks the same chain.
    chains = session.info.setdefault("escalation.chains", {})
    if req.supervising_body_id not in chains:
        chains[req.supervising_body_id] = supervision_chain(session, req.supervising_body_id)
    chain: list[int] = chains[req.supervising_body_id]
    if level == 1:
        return chain[0]
    if level == 2:
        return chain[1] if len(chain) > 1 else chain[0]
    return chain[-1]


def raise_escalation(
    session: Session,
    req: Requirement,
    level: int,
    reason: str,
    facts: Mapping[str, Any],
    *,
    deliver: bool = True,
) -> Escalation | None:
    """Raise ``level`` for ``req`` unless it was raised before; return the new row or None.

    A concurrent raise of the same level loses on the unique constraint, inside a savepoint,
    so the caller's transaction goes on.
    """
    existing = session.scalar(
        select(Escalation.id).where(Escalation.requirement_id == req.id, Escalation.level == level)
    )
    if existing is not None:
        return None
    esc = Escalation(
        requirement_id=req.id,
        level=level,
        from_body_id=req.responsible_body_id,
        to_body_id=target_body(session, req, level),
        reason=reason,
        facts=dict(facts),
    )
    try:
        with session.begin_nested():
            session.add(esc)
    except IntegrityError:
        return None
    if level > 0:
        req.escalation_level = max(req.escalation_level, level)
    _announce(session, req, esc)
    if level == REVIEWED_LEVEL and deliver:
        deliver_escalation(session, esc, req)
    if level == 2:
        accountability.open_case(
            session, req, reason="escalation", handling_body_id=esc.to_body_id, escalation=esc
        )
    return esc


def _announce(session: Session, req: Requirement, esc: Escalation) -> None:
    details: dict[str, Any] = {
        "escalation": esc.id,
        "level": esc.level,
        "to_body_id": esc.to_body_id,
    }
    record(
        session,
        "escalation.raised",
        ("requirement", req.id),
        body_id=req.responsible_body_id,
        payload={**details, "reason": esc.reason, "facts": esc.facts},
    )
    notify_event(
        session, "escalation.raised", ("requirement", req.id), reason=esc.reason, **details
    )


def deliver_escalation(session: Session, esc: Escalation, req: Requirement) -> bool:
    """Hand the ``escalated`` message to the requirement's process, when it waits for one.

    The model catches it only during remediation; elsewhere (not yet acknowledged, awaiting
    verification, an extension being decided) the escalation stays undelivered and the ladder
    tries again on its next pass. It is on the escalations board either way.
    """
    if req.process_instance_id is None or esc.delivered_at is not None:
        return False
    try:
        with session.begin_nested():
            running = instances.load(session, req.process_instance_id)
            if "escalated" not in runner.waiting_messages(running.workflow):
                return False
            payload = {"escalation_id": esc.id, "level": esc.level}
            runner.send_message(running.workflow, "escalated", payload)
            instances.save(session, running)
    except (EngineError, Conflict):
        log.warning("escalation %s not delivered to its process", esc.id, exc_info=True)
        return False
    esc.delivered_at = utcnow()
    return True


def get_escalation(session: Session, actor: User, escalation_id: int) -> Escalation:
    """An escalation whose responsible body or target body is within ``actor``'s reach."""
    esc = session.get(Escalation, escalation_id)
    if esc is None or not (
        can_see_body(session, actor, esc.to_body_id)
        or can_see_body(session, actor, esc.from_body_id)
    ):
        raise NotFound(_l("No such escalation, or it is outside your reach."))
    return esc


def acknowledge_escalation(
    session: Session, actor: User, escalation_id: int, decision: str, note: str = ""
) -> Escalation:
    """A supervisor of the target body (or above) takes the escalation in hand.

    ``decision``: ``noted``, ``instructed`` (the unit was told what to do) or
    ``accountability`` (open an accountability case now). Completes the process's
    ``review_escalation`` task when it is there.
    """
    esc = get_escalation(session, actor, escalation_id)
    if not actor.has_role("supervisor") or not can_see_body(session, actor, esc.to_body_id):
        raise NotAllowed(_l("Only a supervisor of the body the escalation went to can do this."))
    if decision not in ESCALATION_DECISIONS:
        raise InvalidInput(_l("Choose what you decided."), field="decision")
    text = (note or "").strip()
    if (decision in NEEDS_NOTE and not text) or len(text) > MAX_TEXT:
        raise InvalidInput(_l("Write what was decided (at most 20,000 characters)."), field="note")
    if esc.acknowledged_at is not None or esc.resolved_at is not None:
        raise Conflict(_l("This escalation has already been handled. Reload the page."))
    req = session.get(Requirement, esc.requirement_id)
    assert req is not None
    _complete_review(session, req, decision)
    esc.acknowledged_at, esc.acknowledged_by_id = utcnow(), actor.id
    esc.decision, esc.note = decision, text or None
    details = {"escalation": esc.id, "level": esc.level, "decision": decision, "note": text}
    record(
        session,
        "escalation.acknowledged",
        ("requirement", req.id),
        actor_id=actor.id,
        body_id=req.responsible_body_id,
        payload=details,
    )
    notify_event(
        session, "escalation.acknowledged", ("requirement", req.id), actor=actor, **details
    )
    if decision == "accountability":
        accountability.open_case(
            session,
            req,
            reason="supervisor",
            handling_body_id=esc.to_body_id,
            actor=actor,
            details=text,
        )
    return esc


def _complete_review(session: Session, req: Requirement, decision: str) -> None:
    if req.process_instance_id is None:
        return
    task_id = session.scalar(
        select(UserTask.task_id).where(
            UserTask.instance_id == req.process_instance_id, UserTask.name == "review_escalation"
        )
    )
    if task_id is None:  # never delivered, or the process moved on and cancelled it
        return
    running = instances.load(session, req.process_instance_id)
    complete_step(session, Step(running, task_id), {"escalation_decision": decision}, None)


def deescalate(session: Session, req: Requirement, now: datetime | None = None) -> list[int]:
    """Resolve every open escalation of a requirement that reached a terminal status.

    Call it right after a verb closes a requirement; the ladder also does it on each pass.
    Returns the levels resolved.
    """
    if req.status not in TERMINAL_STATUSES:
        return []
    open_rows = session.scalars(
        select(Escalation).where(
            Escalation.requirement_id == req.id, Escalation.resolved_at.is_(None)
        )
    ).all()
    if not open_rows:
        return []
    when = now or utcnow()
    for esc in open_rows:
        esc.resolved_at, esc.resolution = when, req.status
    req.escalation_level = 0
    levels = sorted(e.level for e in open_rows)
    record(
        session,
        "escalation.resolved",
        ("requirement", req.id),
        body_id=req.responsible_body_id,
        payload={"levels": levels, "status": req.status},
    )
    notify_event(session, "escalation.resolved", ("requirement", req.id), levels=levels)
    return levels


def escalate_effect(session: Session, row: ProcessInstance, effect: Effect) -> None:
    """A model's ``escalate`` service task: raise that level now (not delivered back into
    the very process that asked: it is being saved)."""
    if row.subject_type != "requirement":
        return
    req = session.get(Requirement, int(row.subject_id))
    if req is None or req.process_instance_id not in (None, row.id):
        log.warning("process instance %s names no requirement it drives", row.id)
        return
    facts = {"task": effect.task_name, "instance": row.id}
    raise_escalation(session, req, int(effect.params["level"]), "process", facts, deliver=False)


def run_ladder(factory: sessionmaker[Session], now: datetime) -> LadderPass:
    """One pass of the ladder at ``now`` (the scheduler's job); see ``workflows.ladder``."""
    from workflows.ladder import run_pass

    return run_pass(factory, now)


instances.EFFECT_HANDLERS["escalate"] = escalate_effect
