"""What the administrator sees and does: the outbox and its dead letters, the mail the
embedded default wrote to ``<instance>/mail/``, and the bodies' webhooks.

Retrying and configuring are recorded in the audit trail. The web views check the admin
role; these functions trust their caller on that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import record
from db.models import Body, User
from db.models.notification import OUTBOX_STATUSES, OutboxMessage, Webhook
from notifier.kinds import KINDS
from notifier.webhooks import WebhookRefused, check_url, new_secret

PAGE = 50
_EML_NAME = re.compile(r"^\d{8}-\d{6}-\d+\.eml$")


def status_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    for status, n in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ):
        counts[status] = n
    return counts


def rows(session: Session, status: str, number: int) -> tuple[list[Any], bool]:
    """A page of outbox rows of ``status`` (newest first) with the recipient's user name."""
    found = session.execute(
        select(OutboxMessage, User.username, Webhook.url)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .outerjoin(Webhook, Webhook.id == OutboxMessage.webhook_id)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.id.desc())
        .limit(PAGE + 1)
        .offset((number - 1) * PAGE)
    ).all()
    return list(found[:PAGE]), len(found) > PAGE


def retry(session: Session, actor: User, row_id: int, now: datetime) -> bool:
    """Give a dead letter a fresh set of attempts from now; False if it is not one."""
    row = session.get(OutboxMessage, row_id)
    if row is None or row.status != "dead":
        return False
    previous = row.last_error
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    row.claimed_at = None
    session.flush()
    record(
        session,
        "outbox.retried",
        ("outbox_message", row.id),
        actor_id=actor.id,
        payload={"channel": row.channel, "last_error": previous},
    )
    return True


# -- the .eml files of the embedded default ------------------------------------------------


@dataclass(frozen=True)
class MailFile:
    name: str
    to: str
    subject: str
    date: str


def _parse(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def mail_files(folder: Path, number: int) -> tuple[list[MailFile], bool]:
    """A page of the written messages, newest first (the names sort by time)."""
    names = sorted((p.name for p in folder.glob("*.eml") if _EML_NAME.match(p.name)), reverse=True)
    chosen = names[(number - 1) * PAGE : number * PAGE]
    listed = []
    for name in chosen:
        msg = _parse(folder / name)
        listed.append(MailFile(name, str(msg["To"]), str(msg["Subject"]), str(msg["Date"])))
    return listed, len(names) > number * PAGE


def mail_file(folder: Path, name: str) -> dict[str, str] | None:
    """One message's headers and both parts; None for a name that is not a message of ours
    (so no path outside the folder can ever be read)."""
    if not _EML_NAME.match(name) or not (folder / name).is_file():
        return None
    msg = _parse(folder / name)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    found = {h: str(msg[h] or "") for h in ("From", "To", "Subject", "Date", "Message-ID")}
    found["text"] = text.get_content() if text is not None else ""
    found["html"] = html.get_content() if html is not None else ""
    return found


# -- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookInput:
    body_id: int | None
    url: str
    kinds: tuple[str, ...] = ()
    description: str = ""
    active: bool = True


def _checked(session: Session, data: WebhookInput, allowed_hosts: str) -> dict[str, Any]:
    if data.body_id is None or session.get(Body, data.body_id) is None:
        raise WebhookRefused(_l("Choose the body the webhook belongs to."), field="body_id")
    unknown = sorted(set(data.kinds) - set(KINDS))
    if unknown:
        raise WebhookRefused(
            _l("Unknown notification kind: %(kind)s", kind=unknown[0]), field="kinds"
        )
    return {
        "body_id": data.body_id,
        "url": check_url(data.url, allowed_hosts),
        "kinds": sorted(set(data.kinds)),
        "description": (data.description or "").strip()[:255],
        "active": bool(data.active),
    }


def save_webhook(
    session: Session,
    actor: User,
    data: WebhookInput,
    allowed_hosts: str,
    webhook: Webhook | None = None,
) -> Webhook:
    """Create or change a webhook after checking its address (:class:`WebhookRefused`)."""
    values = _checked(session, data, allowed_hosts)
    if webhook is None:
        webhook = Webhook(secret=new_secret(), created_by_id=actor.id, **values)
        session.add(webhook)
    else:
        for name, value in values.items():
            setattr(webhook, name, value)
    session.flush()
    record(
        session,
        "webhook.saved",
        ("webhook", webhook.id),
        actor_id=actor.id,
        body_id=webhook.body_id,
        payload={k: v for k, v in values.items() if k != "description"},
    )
    return webhook


def rotate_secret(session: Session, actor: User, webhook: Webhook) -> str:
    webhook.secret = new_secret()
    session.flush()
    record(
        session,
        "webhook.secret_rotated",
        ("webhook", webhook.id),
        actor_id=actor.id,
        body_id=webhook.body_id,
    )
    return webhook.secret


def webhooks(session: Session) -> list[Any]:
    return list(
        session.execute(
            select(Webhook, Body.code, Body.name)
            .join(Body, Body.id == Webhook.body_id)
            .order_by(Body.code, Webhook.id)
        )
    )
