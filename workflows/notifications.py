"""Who must hear of what happened: the one door from domain events to the notifier.

Verbs, service tasks, the monitor and the escalation ladder call :func:`notify_event` in the
caller's transaction; it resolves the recipients from roles and bodies and queues the
notifications in the outbox (``notifier``), so they exist exactly when the change commits.

Event names (``subject`` in brackets):

- ``task.assigned`` (requirement | conclusion; ``task`` = the BPMN task name)
- ``requirement.issued``, ``requirement.acknowledged``, ``requirement.plan_submitted``,
  ``requirement.submitted``, ``requirement.returned`` (``decision`` = rejected_incomplete |
  rejected_formal, ``reason``), ``requirement.closed`` (``decision``, ``grade``),
  ``requirement.withdrawn`` (requirement)
- ``extension.requested``, ``extension.decided`` (requirement; ``approved``, ``deadline``)
- ``deadline.approaching`` (requirement; ``share`` = 50 | 75), ``requirement.overdue``
- ``flag.opened`` (requirement; ``rule``, ``severity``)
- ``escalation.raised`` (requirement; ``level``, ``to_body_id``)
- ``accountability_case.opened``, ``accountability_case.decided`` (accountability_case)
- ``conclusion.issued``, ``conclusion.ready_for_assessment``, ``conclusion.closed`` (conclusion)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import User


def notify_event(
    session: Session,
    event: str,
    subject: tuple[str, int],
    *,
    actor: User | None = None,
    **context: Any,
) -> None:
    """Queue the notifications ``event`` on ``subject`` calls for (built with the notifier)."""
    del session, event, subject, actor, context
