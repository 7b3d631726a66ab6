"""What goes into a user's daily digest.

Two parts: the notifications the user chose to receive daily (``digest`` mode) not yet
digested, and a summary of what stands in their reach — overdue, due soon, flagged,
escalated. The summary needs the domain's idea of reach, which lives above this package, so
the domain registers a :data:`SummaryProvider` (``workflows.notifications`` does, when it is
imported) and this module only merges what providers return.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from db.models import Body, Conclusion, Requirement, User
from db.models.monitor import Flag
from db.models.notification import Notification, NotificationPreference, OutboxMessage
from db.vocabulary import TERMINAL_STATUSES
from notifier.facts import excerpt
from notifier.kinds import SUMMARY
from notifier.outbox import dedupe_key, insert_outbox

#: (session, user, now) → {"overdue": [...], "due_soon": [...], "flagged": [...],
#: "escalated": [...], "counts": {section: total}, "due_days": n}; lists hold at most a
#: screenful of items (dicts with path, conclusion_number, seq, excerpt, deadline, …).
SummaryProvider = Callable[[Session, User, datetime], dict[str, Any]]
SECTIONS = ("overdue", "due_soon", "flagged", "escalated")
PROVIDERS: list[SummaryProvider] = []
#: At most this many notifications are listed in one digest (all are marked as digested).
MAX_LISTED = 50


#: How far ahead "due soon" looks, and how many requirements each section lists.
DUE_DAYS = 7
LISTED = 10


def register(provider: SummaryProvider) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def wants_summary(session: Session, user_id: int) -> bool:
    mode = session.scalar(
        select(NotificationPreference.mode).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == SUMMARY
        )
    )
    return mode != "off"


def undigested(session: Session, user_id: int, now: datetime) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.delivery == "digest",
                Notification.digested_at.is_(None),
                Notification.created_at <= now,
            )
            .order_by(Notification.id)
        )
    )


def summary(session: Session, user: User, now: datetime) -> dict[str, Any]:
    merged = summary_empty()
    for provider in PROVIDERS:
        part = provider(session, user, now)
        for section in SECTIONS:
            merged[section].extend(part.get(section, []))
            merged["counts"][section] += part.get("counts", {}).get(section, 0)
        merged["due_days"] = part.get("due_days", merged["due_days"])
    return merged


def content(
    session: Session, user: User, now: datetime, day: str, notes: list[Notification]
) -> dict[str, Any] | None:
    """The digest of ``user`` for ``day``, or None when there is nothing to tell."""
    found = summary(session, user, now) if wants_summary(session, user.id) else summary_empty()
    found["day"] = day
    found["counts"]["notifications"] = len(notes)
    found["notifications"] = [
        {"kind": n.kind, "facts": n.facts, "created_at": n.created_at.isoformat()}
        for n in notes[-MAX_LISTED:]
    ]
    if not any(found["counts"].values()):
        return None
    return found


def summary_empty() -> dict[str, Any]:
    return {**{s: [] for s in SECTIONS}, "counts": dict.fromkeys(SECTIONS, 0), "due_days": DUE_DAYS}


def queue_digest(session: Session, user_id: int, now: datetime, day: str) -> bool | None:
    """Queue ``user_id``'s digest of ``day`` and mark its notifications as digested.

    :returns: True when queued, False when it was queued already (by this or another
        process: the dedupe key decides), None when there is nothing to tell.
    """
    key = dedupe_key("digest", f"u{user_id}", day)
    if session.scalar(select(exists().where(OutboxMessage.dedupe_key == key))):
        return False
    user = session.get(User, user_id)
    if user is None:
        return None
    notes = undigested(session, user_id, now)
    found = content(session, user, now, day, notes)
    if found is None:
        return None
    if not insert_outbox(session, key=key, template="digest", user_id=user_id, payload=found):
        return False
    for note in notes:
        note.digested_at = now
    session.flush()
    return True


def _items(session: Session, stmt: Select[*tuple[Any, ...]]) -> tuple[list[dict[str, Any]], int]:
    """The first :data:`LISTED` requirements ``stmt`` selects, as digest items, and the total."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(LISTED)).all() if total else []
    items = [
        {
            "path": f"/requirements/{r.id}",
            "conclusion_number": r.number,
            "seq": r.seq,
            "excerpt": excerpt(r.text, 140),
            "deadline": r.deadline.isoformat(),
            "responsible_body": r.body,
            "level": r.escalation_level,
            "flags": getattr(r, "flags", None),
        }
        for r in rows
    ]
    return items, total


def _open_in_reach(reach: Select[int], *extra: Any) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(
            Requirement.id,
            Requirement.seq,
            Requirement.text,
            Requirement.deadline,
            Requirement.escalation_level,
            Conclusion.number,
            Body.name.label("body"),
        )
        .join(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .join(Body, Body.id == Requirement.responsible_body_id)
        .where(
            Requirement.status.not_in(TERMINAL_STATUSES),
            or_(
                Requirement.responsible_body_id.in_(reach),
                Requirement.supervising_body_id.in_(reach),
            ),
            *extra,
        )
    )
    return stmt


def requirements_in_reach(session: Session, reach: Select[int], now: datetime) -> dict[str, Any]:
    """The digest summary over the open requirements of the bodies ``reach`` selects
    (the caller decides the reach: ``workflows.access``)."""
    waiting = Requirement.status != "pending_verification"  # the unit has done its part
    overdue = _open_in_reach(reach, waiting, Requirement.deadline < now).order_by(
        Requirement.deadline, Requirement.id
    )
    soon = _open_in_reach(
        reach,
        waiting,
        Requirement.deadline >= now,
        Requirement.deadline < now + timedelta(days=DUE_DAYS),
    ).order_by(Requirement.deadline, Requirement.id)
    escalated = _open_in_reach(reach, Requirement.escalation_level > 0).order_by(
        Requirement.escalation_level.desc(), Requirement.deadline, Requirement.id
    )
    flagged = _flagged(reach)
    found: dict[str, Any] = {"counts": {}, "due_days": DUE_DAYS}
    for section, stmt in (
        ("overdue", overdue),
        ("due_soon", soon),
        ("escalated", escalated),
        ("flagged", flagged),
    ):
        found[section], found["counts"][section] = _items(session, stmt)
    return found


def _flagged(reach: Select[int]) -> Select[*tuple[Any, ...]]:
    """Open requirements with open flags, most flagged first."""
    flags = (
        select(Flag.requirement_id, func.count().label("flags"))
        .where(Flag.status == "open", Flag.resolved_at.is_(None))
        .group_by(Flag.requirement_id)
        .subquery()
    )
    return (
        _open_in_reach(reach)
        .add_columns(flags.c.flags)
        .join(flags, flags.c.requirement_id == Requirement.id)
        .order_by(flags.c.flags.desc(), Requirement.deadline, Requirement.id)
    )
