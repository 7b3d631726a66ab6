"""Queue news in the caller's transaction: in-app notifications, emails, webhook calls.

:func:`queue` writes one ``notification`` per recipient, an ``outbox_message`` for each email
to send now, and one for each webhook of the bodies concerned — all in the transaction of the
change that caused them (it flushes, never commits), so they exist exactly when the change
commits. Every row carries a unique ``dedupe_key`` built from the event, its subject, the
caller's ``key`` and the recipient; inserting a key that exists already does nothing (``ON
CONFLICT DO NOTHING``), so a retried job that queues the same news stores and sends it once.

This runs inside every user action, so its statements are built once, with bound
parameters, and run on the connection: one round trip finds the recipients and stores their
notifications, a second stores the emails and webhook calls when there are any. The same
two serve :func:`queue_many`, however many notices it is given (the notices travel as one
JSON parameter), so a monitor pass that opens hundreds of flags does not pay per flag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Executable,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    select,
    true,
    union,
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

__all__ = [
    "Notice",
    "Recipients",
    "dedupe_key",
    "delivery_id",
    "insert_outbox",
    "plain",
    "queue",
    "queue_many",
]

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


#: One row per notice (``n`` numbers them) and one per recipient target of a notice: a
#: (body, role) pair or a named user. Both travel as one JSON parameter each.
_NOTICE_FIELDS = (
    ("n", Integer),
    ("kind", String),
    ("event", String),
    ("subject_type", String),
    ("subject_id", Integer),
    ("facts", JSON),
    ("key_prefix", String),
    ("fallback", String),
    ("exclude", Integer),
    ("forced", Boolean),
)
_TARGET_FIELDS = (("n", Integer), ("body_id", Integer), ("role", String), ("user_id", Integer))


def _records(dialect: str, name: str, fields: tuple[tuple[str, Any], ...]) -> Any:
    """The rows of the JSON array parameter ``name`` as a table with ``fields``."""
    param = bindparam(name, type_=String)
    if dialect == "postgresql":
        rows = func.json_to_recordset(param).table_valued(
            *(column(field, kind()) for field, kind in fields)
        )
        return rows.render_derived(name=name, with_types=True)
    each = func.json_each(param).table_valued("value")
    picked = (func.json_extract(each.c.value, f"$.{field}").label(field) for field, _ in fields)
    return select(*picked).subquery(name)


@cache
def _notify(dialect: str) -> Executable:
    """One statement that finds the recipients of every notice and stores their
    notifications, skipping keys already stored, returning what was stored: however many
    notices, finding and writing cost one round trip.

    The recipients are the active holders of a notice's (body, role) pairs and its named
    users, less the one who caused it. The delivery is decided in SQL as
    :func:`notifier.kinds.effective_mode` does it: no address → in-app; a kind that is
    always immediate (``forced``) → immediate; else the user's choice, else the kind's
    default (``fallback``).
    """
    notices = _records(dialect, "notices", _NOTICE_FIELDS)
    targets = _records(dialect, "targets", _TARGET_FIELDS)
    named = select(targets.c.n, _USER.c.id.label("user_id")).join_from(
        targets, _USER, _USER.c.id == targets.c.user_id
    )
    holders = (
        select(targets.c.n, _USER.c.id.label("user_id"))
        .join_from(targets, _USER, _USER.c.body_id == targets.c.body_id)
        .join(_ROLE, and_(_ROLE.c.user_id == _USER.c.id, _ROLE.c.role == targets.c.role))
    )
    who = union(named, holders).subquery("who")
    no_email = func.coalesce(func.trim(_USER.c.email), "") == ""
    chosen = _PREF.c.mode.in_([literal(m) for m in MODES])
    delivery = case(
        (no_email, literal("inapp")),
        (notices.c.forced == true(), literal("immediate")),
        (chosen, _PREF.c.mode),
        else_=notices.c.fallback,
    )
    pref = and_(_PREF.c.user_id == _USER.c.id, _PREF.c.kind == notices.c.kind)
    found = (
        select(
            _USER.c.id,
            notices.c.kind,
            notices.c.event,
            notices.c.subject_type,
            notices.c.subject_id,
            # PostgreSQL must be told the text is JSON; SQLite keeps JSON as text anyway.
            cast(notices.c.facts, JSON) if dialect == "postgresql" else notices.c.facts,
            notices.c.key_prefix + cast(_USER.c.id, String),
            delivery,
            bindparam("now", type_=UTCDateTime()),
        )
        .select_from(
            who.join(notices, notices.c.n == who.c.n)
            .join(_USER, _USER.c.id == who.c.user_id)
            .outerjoin(_PREF, pref)
        )
        .where(_USER.c.active.is_(True), _USER.c.id != notices.c.exclude)
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
            _NOTIFICATION.c.kind,
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


def _subject(notice: Notice) -> str:
    return f"{notice.subject[0]}:{notice.subject[1]}"


def _store(conn: Connection, notices: Sequence[Notice], now: datetime) -> list[Any]:
    """Store the notifications of ``notices``: (id, user_id, dedupe_key, delivery, kind)."""
    rows, targets = [], []
    for n, notice in enumerate(notices):
        who = notice.recipients
        targets += [{"n": n, "body_id": b, "role": r} for b, r in who.roles]
        targets += [{"n": n, "user_id": u} for u in who.users]
        key = dedupe_key(notice.event, _subject(notice), notice.key, limit=230)
        rows.append(
            {
                "n": n,
                "kind": notice.kind,
                "event": notice.event,
                "subject_type": notice.subject[0],
                "subject_id": notice.subject[1],
                "facts": plain(notice.facts),
                "key_prefix": key + "|u",
                "fallback": DEFAULT_MODES.get(notice.kind, "immediate"),
                "exclude": who.exclude if who.exclude is not None else _NOBODY,
                "forced": notice.kind in ALWAYS_IMMEDIATE,
            }
        )
    if not targets:
        return []
    params = {"notices": json.dumps(rows), "targets": json.dumps(targets), "now": now}
    return list(conn.execute(_notify(conn.dialect.name), params))


def queue(session: Session, notice: Notice) -> int:
    """Store ``notice`` for its recipients and its bodies' webhooks; return how many
    notifications were new (0 when the same news was queued before)."""
    return queue_many(session, [notice])


def queue_many(session: Session, notices: Sequence[Notice]) -> int:
    """:func:`queue` for many notices at once, in a fixed number of statements (the
    monitor opens hundreds of flags in one pass); return how many notifications were new."""
    if not notices:
        return 0
    session.flush()  # the statements below run on the connection, past the unit of work
    conn = session.connection()
    now = utcnow()
    stored = _store(conn, notices, now)
    emails = [_email_row(n, now) for n in stored if n.delivery == "immediate"]
    hooks = _webhook_rows(conn, [n for n in notices if n.webhooks], now)
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


def _email_row(stored: Any, now: datetime) -> dict[str, Any]:
    return _outbox_row(
        now,
        channel="email",
        template=stored.kind,
        dedupe_key=dedupe_key("mail", stored.dedupe_key),
        notification_id=stored.id,
        user_id=stored.user_id,
    )


def _webhook_rows(conn: Connection, notices: list[Notice], now: datetime) -> list[dict[str, Any]]:
    """One outbox row per notice and active webhook of its bodies that wants its kind."""
    bodies = {b for notice in notices for b in notice.bodies}
    if not bodies:
        return []
    hooks: dict[int, list[Any]] = {}
    for hook in conn.execute(_WEBHOOKS, {"bodies": sorted(bodies)}):
        hooks.setdefault(hook.body_id, []).append(hook)
    rows = []
    for notice in notices:
        for body in dict.fromkeys(notice.bodies):
            for hook in hooks.get(body, ()):
                if hook.kinds and notice.kind not in hook.kinds:
                    continue
                key = dedupe_key(f"hook{hook.id}", notice.event, _subject(notice), notice.key)
                payload = plain(webhook_body(notice, key, hook.body_id, now.isoformat()))
                rows.append(
                    _outbox_row(
                        now,
                        channel="webhook",
                        template=notice.kind,
                        dedupe_key=key,
                        webhook_id=hook.id,
                        payload=payload,
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
