"""The scheduler's notification jobs (``workflows.jobs`` runs them): deliver the outbox,
queue the daily digests. Each takes ``(session_factory, now)`` and returns a small result.

How a row is delivered, and why nothing is sent twice, is in ``notifier.delivery``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import User
from db.settings import Settings, load_settings
from notifier import digest
from notifier.delivery import Flush, FlushResult
from notifier.render import VIETNAM

__all__ = ["DigestResult", "FlushResult", "flush_outbox", "send_digests"]


def flush_outbox(
    factory: sessionmaker[Session],
    now: datetime,
    *,
    settings: Settings | None = None,
    limit: int = 500,
) -> FlushResult:
    """Deliver due outbox rows (at most ``limit``), one claimed row at a time.

    :param settings: SMTP, webhook and link settings (default: from the environment).
    """
    flush = Flush(factory, now, settings or load_settings())
    flush.recover_abandoned()
    try:
        for _ in range(limit):
            job = flush.claim()
            if job is None:
                break
            flush.record(job, flush.send(job))
    finally:
        flush.mailer.close()
    return flush.result


@dataclass
class DigestResult:
    queued: list[int] = field(default_factory=list)
    nothing_to_tell: int = 0


def send_digests(factory: sessionmaker[Session], now: datetime) -> DigestResult:
    """Queue today's digest email for every user with an address and something to tell.

    Idempotent per (user, Vietnamese calendar day): running it again the same day, or in two
    processes at once, queues nothing more. The next :func:`flush_outbox` sends them.
    """
    day = now.astimezone(VIETNAM).date().isoformat()
    result = DigestResult()
    with factory() as session:
        users = list(
            session.scalars(
                select(User.id)
                .where(User.active.is_(True), User.email.is_not(None), User.email != "")
                .order_by(User.id)
            )
        )
    for user_id in users:
        with factory() as session, session.begin():
            queued = digest.queue_digest(session, user_id, now, day)
        if queued is None:
            result.nothing_to_tell += 1
        elif queued:
            result.queued.append(user_id)
    return result
