"""The in-app side: a user's notifications, unread count, marking read, and preferences.

Every function here acts for one user on that user's own rows only; a notification id of
someone else's is treated as not existing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models.notification import Notification, NotificationPreference
from notifier.kinds import ALWAYS_IMMEDIATE, KINDS, MODES, SUMMARY, effective_mode


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def page(
    session: Session, user_id: int, *, unread_only: bool, number: int, size: int = 30
) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether more follow."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = list(
        session.scalars(
            stmt.order_by(Notification.id.desc()).limit(size + 1).offset((number - 1) * size)
        )
    )
    return rows[:size], len(rows) > size


def get_own(session: Session, user_id: int, notification_id: int) -> Notification | None:
    return session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs."""
    note = get_own(session, user_id, notification_id)
    if note is None:
        return False
    if note.read_at is None:
        note.read_at = now
        session.flush()
    return True


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Preferences:
    #: kind → mode in effect (defaults filled in)
    modes: dict[str, str]
    summary: bool


def preferences(session: Session, user_id: int) -> Preferences:
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    modes = {kind: effective_mode(kind, chosen.get(kind)) for kind in KINDS}
    return Preferences(modes=modes, summary=chosen.get(SUMMARY) != "off")


def set_preferences(
    session: Session, user_id: int, modes: dict[str, str], summary: bool
) -> Preferences:
    """Store the user's choices; unknown kinds and modes are refused with ValueError, and
    the kinds that are always immediate keep that mode whatever was sent."""
    for kind, mode in modes.items():
        if kind not in KINDS or mode not in MODES:
            raise ValueError(f"unknown kind or mode: {kind}={mode}")
    rows = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    wanted = {k: m for k, m in modes.items() if k not in ALWAYS_IMMEDIATE}
    wanted[SUMMARY] = "digest" if summary else "off"
    for kind, mode in wanted.items():
        if kind in rows:
            rows[kind].mode = mode
        else:
            session.add(NotificationPreference(user_id=user_id, kind=kind, mode=mode))
    session.flush()
    return preferences(session, user_id)
