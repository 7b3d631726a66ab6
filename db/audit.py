"""Append to and verify the hash-chained audit trail.

Each row's hash covers its content and the previous row's hash. Appends are serialised
(an advisory lock on PostgreSQL, the write lock on SQLite) so the chain never forks, and
``seq`` is unique so a racing writer fails loudly instead of branching.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import AuditEvent

GENESIS = "0" * 64
_AUDIT_LOCK_KEY = 0x5245_4D54  # "REMT": one advisory lock id for the chain head
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LOCKED_HEAD = (
    "SELECT pg_advisory_xact_lock(%(k)s); "
    "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
)
_TABLE = cast(Table, AuditEvent.__table__)
_INSERT = insert(_TABLE)
_HEAD = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "action",
    "subject_type",
    "subject_id",
    "body_id",
    "payload",
    "prev_hash",
    "hash",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def compute_hash(event: AuditEvent) -> str:
    material = json.dumps(
        [
            event.seq,
            event.occurred_at.isoformat(timespec="microseconds"),
            event.actor_id,
            event.action,
            event.subject_type,
            event.subject_id,
            event.body_id,
            event.payload,
            event.prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def record(
    session: Session,
    action: str,
    subject: tuple[str, Any],
    *,
    actor_id: int | None = None,
    body_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (flushes, never commits).

    The caller's pending changes are flushed first; the event itself is one core INSERT
    (it runs on every user action). The event returned is not attached to the session.
    """
    session.flush()
    conn = session.connection()
    if conn.dialect.driver == "psycopg2":
        # Lock and head in one round trip: psycopg2 sends both as one simple query, and each
        # statement takes its own snapshot, so the head is read once the lock is held.
        last = conn.exec_driver_sql(_LOCKED_HEAD, {"k": _AUDIT_LOCK_KEY}).first()
    else:
        if conn.dialect.name == "postgresql":
            conn.execute(_LOCK, {"k": _AUDIT_LOCK_KEY})
        last = conn.execute(_HEAD).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        # Microsecond precision, no more: both backends must hand back exactly what we hashed.
        occurred_at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_type=subject[0],
        subject_id=str(subject[1]),
        body_id=body_id,
        payload=_jsonable(payload or {}),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = compute_hash(event)
    values = {column: getattr(event, column) for column in _COLUMNS}
    inserted = conn.execute(_INSERT, values).inserted_primary_key
    assert inserted is not None
    event.id = inserted[0]
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(session: Session, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many rows were checked and the first break."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    for event in session.scalars(stmt):
        if event.seq != expected_seq:
            return checked, ChainBreak(expected_seq, f"row {expected_seq} is missing")
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.seq, "link to the previous row does not match")
        if compute_hash(event) != event.hash:
            return checked, ChainBreak(event.seq, "content was changed after it was recorded")
        expected_prev, expected_seq = event.hash, expected_seq + 1
        checked += 1
    return checked, None
