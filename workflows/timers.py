"""Firing due timers, one claimed instance at a time.

Only instances whose ``next_timer_at`` has come are loaded. Each is claimed and advanced in
its own transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several scheduler
processes share the work, and one failing instance never holds back the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import ProcessInstance
from workflows import (
    effects,  # noqa: F401  (registers what service tasks do to our tables)
    instances,
)
from workflows.engine import runner

log = logging.getLogger(__name__)


@dataclass
class TimerPass:
    fired: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def _claim_next(session: Session, now: datetime, after_id: int) -> int | None:
    stmt = (
        select(ProcessInstance.id)
        .where(
            ProcessInstance.status == "running",
            ProcessInstance.next_timer_at <= now,
            ProcessInstance.id > after_id,
        )
        .order_by(ProcessInstance.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalar(stmt)


def fire_due_timers(factory: sessionmaker[Session], now: datetime) -> TimerPass:
    """Advance every instance with a timer due at ``now``; return what happened.

    The cursor (``id > last``) guarantees the pass ends even if an instance's timer
    stays due after firing (for instance when the model re-arms it in the past).
    """
    result, last = TimerPass(), 0
    while True:
        with factory() as session, session.begin():
            instance_id = _claim_next(session, now, last)
            if instance_id is None:
                return result
            last = instance_id
            try:
                with session.begin_nested(), instances.advancing(session, instance_id) as running:
                    runner.fire_timers(running.workflow, now)
                result.fired.append(instance_id)
            except Exception as exc:  # noqa: BLE001 — one bad instance must not stop the rest
                log.exception("timer of process instance %s failed", instance_id)
                result.failed[instance_id] = f"{type(exc).__name__}: {exc}"
