"""Queue news in the caller's transaction: in-app notifications, emails, webhook calls.

:func:`queue` writes one ``notification`` per recipient, an ``outbox_message`` for each email
to send now, and one for each webhook of the bodies concerned — all in the transaction of the
change that caused them (it flushes, never commits), so they exist exactly when the change
commits. Every row carries a unique ``dedupe_key`` built from the event, its subject, the
caller's ``key`` and the recipient; inserting a key that exists already does nothing (``ON
CONFLICT DO NOTHING``), so a retried job that queues the same news stores and sends it once.

This runs inside every user action, so its statements are built once, with bound
parameters, and run on the connection: one round trip finds the recipients and stores their
notifications, a second stores the emails and webhook calls when there are any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    JSON,
    Connection,
    Executable,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.base import UTCDateTime, utcnow
from db.models import User, UserRole
from db.models.notification import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    Webhook,
)
from notifier.keys import dedupe_key, delivery_id, plain
from notifier.kinds import ALWAYS_IMMEDIATE, DEFAULT_MODES, MODES

__all__ = ["Notice", "Recipients", "dedupe_key", "delivery_id", "insert_outbox", "plain", "queue"]

_NOTIFICATION = typed(Table, Notification.__table__)
_OUTBOX = typed(Table, OutboxMessage.__table__)
_USER = typed(Table, User.__table__)
_ROLE = typed(Table, UserRole.__table__)
_PREF = typed(Table, NotificationPreference.__table__)
_HOOK = typed(Table, Webhook.__table__)
_NOBODY = -1  # ``exclude`` when nobody is excluded (ids are positive)


@dataclass(frozen=True)
class Recipients:
    """Who hears of a notice: the holders of ``role`` in ``body`` for each pair, plus
    ``users``, minus ``exclude`` (whoever caused it); only active accounts."""

    roles: tuple[tuple[int, str], ...] = ()
    users: tuple[int, ...] = ()
    exclude: int | None = None


@dataclass(frozen=True)
class Notice:
    """News about one subject for some users, as the domain resolved it.

    :param key: what tells this news apart from other news of the same event on the same
        subject (a report id, an escalation level, …); equal keys are the same news.
    :param bodies: bodies whose webhooks hear of it.
    """

    event: str
    kind: str
    subject: tuple[str, int]
    facts: dict[str, Any]
    key: str
    recipients: Recipients
    bodies: tuple[int, ...] = field(default_factory=tuple)
    #: False when the caller knows none of ``bodies`` has an active webhook (saves a query).
    webhooks: bool = True


#: The recipients: active holders of the (body, role) pairs, or named, minus whoever acted.
_WHO = and_(
    _USER.c.active.is_(True),
    _USER.c.id != bindparam("exclude"),
    or_(
        _USER.c.id.in_(bindparam("users", expanding=True)),
        exists().where(
            _ROLE.c.user_id == _USER.c.id,
            tuple_(_USER.c.body_id, _ROLE.c.role).in_(bindparam("pairs", expanding=True)),
        ),
    ),
)


@cache
def _notify(dialect: str, forced: bool) -> Executable:
    """One statement that finds the recipients and stores their notifications.

    ``INSERT … SELECT`` over the users with their preference for the kind, skipping keys
    already stored, returning what was stored: finding and writing cost one round trip.
    The delivery is decided in SQL as :func:`notifier.kinds.effective_mode` does it: no
    address → in-app; a kind that is always immediate (``forced``) → immediate; else the
    user's choice, else the kind's default.
    """
    no_email = func.coalesce(func.trim(_USER.c.email), "") == ""
    chosen = _PREF.c.mode.in_([literal(m) for m in MODES])
    delivery = (
        case((no_email, literal("inapp")), else_=literal("immediate"))
        if forced
        else case((no_email, literal("inapp")), (chosen, _PREF.c.mode), else_=bindparam("default"))
    )
    facts = bindparam("facts", type_=JSON)
    pref = and_(_PREF.c.user_id == _USER.c.id, _PREF.c.kind == bindparam("kind"))
    found = (
        select(
            _USER.c.id,
            bindparam("kind", type_=String),
            bindparam("event", type_=String),
            bindparam("subject_type", type_=String),
            bindparam("subject_id", type_=Integer),
            # PostgreSQL must be told the text is JSON; SQLite keeps JSON as text anyway.
            cast(facts, JSON) if dialect == "postgresql" else facts,
            bindparam("key_prefix", type_=String) + cast(_USER.c.id, String),
            delivery,
            bindparam("now", type_=UTCDateTime()),
        )
        .select_from(_USER.outerjoin(_PREF, pref))
        .where(_WHO)
    )
    columns = ["user_id", "kind", "event", "subject_type", "subject_id", "facts"]
    columns += ["dedupe_key", "delivery", "created_at"]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_NOTIFICATION)
        .from_select(columns, found)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(
            _NOTIFICATION.c.id,
            _NOTIFICATION.c.user_id,
            _NOTIFICATION.c.dedupe_key,
            _NOTIFICATION.c.delivery,
        )
    )


_WEBHOOKS = select(_HOOK.c.id, _HOOK.c.body_id, _HOOK.c.kinds).where(
    _HOOK.c.active.is_(True), _HOOK.c.body_id.in_(bindparam("bodies", expanding=True))
)


@cache
def _insert_new(dialect: str, returning: bool) -> Executable:
    """INSERT into the outbox that skips a row whose dedupe key is stored already."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return stmt.returning(_OUTBOX.c.id) if returning else stmt


def _store(conn: Connection, notice: Notice, subject: str, now: datetime) -> list[Any]:
    """Store the notifications of ``notice``: (id, user_id, dedupe_key, delivery) each."""
    who = notice.recipients
    if not who.roles and not who.users:
        return []
    params = {
        "kind": notice.kind,
        "event": notice.event,
        "subject_type": notice.subject[0],
        "subject_id": notice.subject[1],
        "facts": plain(notice.facts),
        "key_prefix": dedupe_key(notice.event, subject, notice.key, limit=230) + "|u",
        "default": DEFAULT_MODES.get(notice.kind, "immediate"),
        "now": now,
        "exclude": who.exclude if who.exclude is not None else _NOBODY,
        "users": list(who.users),
        "pairs": list(who.roles),
    }
    forced = notice.kind in ALWAYS_IMMEDIATE
    return list(conn.execute(_notify(conn.dialect.name, forced), params))


def queue(session: Session, notice: Notice) -> int:
    """Store ``notice`` for its recipients and its bodies' webhooks; return how many
    notifications were new (0 when the same news was queued before)."""
    session.flush()  # the statements below run on the connection, past the unit of work
    conn = session.connection()
    subject = f"{notice.subject[0]}:{notice.subject[1]}"
    now = utcnow()
    stored = _store(conn, notice, subject, now)
    emails = [_email_row(n, notice.kind, now) for n in stored if n.delivery == "immediate"]
    hooks = _webhook_rows(conn, notice, subject, now) if notice.webhooks else []
    _insert(conn, emails + hooks)
    return len(stored)


def _insert(conn: Connection, rows: list[dict[str, Any]], returning: bool = False) -> list[Any]:
    if not rows:
        return []
    stmt = _insert_new(conn.dialect.name, returning)
    # One row (the usual case) as a plain execute, several as one executemany.
    result = conn.execute(stmt, rows[0] if len(rows) == 1 else rows)
    return list(result) if returning else []


def _outbox_row(now: datetime, **values: Any) -> dict[str, Any]:
    return {
        "notification_id": None,
        "user_id": None,
        "webhook_id": None,
        "payload": {},
        **values,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_at": None,
        "sent_at": None,
        "last_error": None,
        "created_at": now,
    }


def _email_row(stored: Any, kind: str, now: datetime) -> dict[str, Any]:
    return _outbox_row(
        now,
        channel="email",
        template=kind,
        dedupe_key=dedupe_key("mail", stored.dedupe_key),
        notification_id=stored.id,
        user_id=stored.user_id,
    )


def _webhook_rows(
    conn: Connection, notice: Notice, subject: str, now: datetime
) -> list[dict[str, Any]]:
    if not notice.bodies:
        return []
    rows = []
    for hook in conn.execute(_WEBHOOKS, {"bodies": list(set(notice.bodies))}):
        if hook.kinds and notice.kind not in hook.kinds:
            continue
        key = dedupe_key(f"hook{hook.id}", notice.event, subject, notice.key)
        body = plain(webhook_body(notice, key, hook.body_id, now.isoformat()))
        rows.append(
            _outbox_row(
                now,
                channel="webhook",
                template=notice.kind,
                dedupe_key=key,
                webhook_id=hook.id,
                payload=body,
            )
        )
    return rows


def webhook_body(notice: Notice, key: str, body_id: int, occurred_at: str) -> dict[str, Any]:
    """The JSON a webhook receives; ``id`` is stable across retries (deduplicate on it)."""
    return {
        "id": delivery_id(key),
        "event": notice.event,
        "kind": notice.kind,
        "occurred_at": occurred_at,
        "subject": {"type": notice.subject[0], "id": notice.subject[1]},
        "body_id": body_id,
        "data": notice.facts,
    }


def insert_outbox(
    session: Session, *, key: str, template: str, user_id: int, payload: dict[str, Any]
) -> bool:
    """One email row outside any notification (a digest); False if ``key`` exists already."""
    row = _outbox_row(
        utcnow(),
        channel="email",
        template=template,
        dedupe_key=key,
        user_id=user_id,
        payload=plain(payload),
    )
    return bool(_insert(session.connection(), [row], returning=True))
