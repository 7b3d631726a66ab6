"""Delivering the outbox, one claimed row at a time.

Delivering one row takes three steps:

1. **claim** (a short transaction): the oldest due ``pending`` row, ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL (SQLite's ``BEGIN IMMEDIATE`` already serialises writers); render
   it, mark it ``sending`` and commit. Another flusher never sees it as pending again.
2. **send**, outside any transaction, so no lock is held while a mail server thinks.
3. **record** the outcome (a second short transaction): ``sent``; ``pending`` again with
   exponential backoff; or ``dead`` — at once for a permanent refusal (SMTP 5xx, HTTP 4xx),
   or after ``outbox_max_attempts`` transient failures — keeping the server's answer.

*Sent, but the outcome could not be recorded* (the process died, or the database went away
between 2 and 3): the row stays ``sending``. After :data:`LEASE` nobody is working on it any
more, and the next flush decides by channel. Writing an ``.eml`` file again replaces the
same file, and webhook receivers deduplicate on the delivery id (the same on every attempt),
so those rows simply go back to ``pending``. SMTP cannot take a message back, and a second
copy is exactly the duplicate we promised never to send; so such a row goes to the dead
letters with an explanation and its Message-ID (fixed per row, so a resend would carry the
same id), and an administrator who finds it did not arrive retries it from the outbox page.
Nothing is lost — the row is kept and shown — and nothing is sent twice behind anyone's back.

Failures that are not the message's fault do not use up its attempts: with the SMTP server
down, the row tried is put back a minute later and email stops for this pass; a template
error (logged with the template's name) leaves the row pending for when it is fixed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db.models import User
from db.models.notification import Notification, OutboxMessage, Webhook
from db.settings import Settings
from notifier import mail, webhooks
from notifier.outbox import delivery_id
from notifier.render import Renderer, TemplateFailed

log = logging.getLogger(__name__)

#: A row ``sending`` for longer than this was abandoned by its flusher.
LEASE = timedelta(minutes=15)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
#: When every message would fail alike (server down, template broken), look again after.
DOWN_RETRY = timedelta(minutes=1)
TEMPLATE_RETRY = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes, at most 6 hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass
class FlushResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    recovered: int = 0
    #: channel → why it was given up for this pass
    down: dict[str, str] = field(default_factory=dict)


class Undeliverable(Exception):
    """The row can never be delivered as it stands (no address, webhook disabled, …)."""


@dataclass
class Job:
    row_id: int
    channel: str
    message: EmailMessage | None = None
    name: str = ""
    webhook: tuple[str, str] | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _claim(session: Session, now: datetime, skip: set[str]) -> OutboxMessage | None:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if skip:
        stmt = stmt.where(OutboxMessage.channel.not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalar(stmt)


class Flush:
    def __init__(self, factory: sessionmaker[Session], now: datetime, settings: Settings) -> None:
        self.factory, self.now, self.settings = factory, now, settings
        overrides = settings.instance_path / "mail-templates"
        self.renderer = Renderer(settings.base_url, overrides if overrides.is_dir() else None)
        self.mailer = mail.mailer(settings)
        self.result = FlushResult()

    # -- 1. claim -------------------------------------------------------------------------

    def claim(self) -> Job | None:
        """The next row to send, marked ``sending``; None when nothing is due. Rows that
        cannot be sent now are settled on the way (each in its own transaction)."""
        while True:
            with self.factory() as session, session.begin():
                row = _claim(session, self.now, set(self.result.down))
                if row is None:
                    return None
                job = self._prepare_or_settle(session, row)
                if job is not None:
                    row.status, row.claimed_at = "sending", self.now
                    return job

    def _prepare_or_settle(self, session: Session, row: OutboxMessage) -> Job | None:
        try:
            return self._prepare(session, row)
        except TemplateFailed as exc:
            log.error(
                "email template %s failed for outbox row %s (%s): %s; the message stays "
                "pending until the template is fixed",
                exc.template,
                row.id,
                row.template,
                exc.error,
            )
            row.next_attempt_at = self.now + TEMPLATE_RETRY
            row.last_error = str(exc)
            self.result.deferred += 1
        except Undeliverable as exc:
            row.status, row.last_error = "dead", str(exc)
            self.result.dead += 1
            log.warning("outbox row %s is a dead letter: %s", row.id, exc)
        return None

    def _prepare(self, session: Session, row: OutboxMessage) -> Job:
        if row.channel == "webhook":
            return self._prepare_webhook(session, row)
        user = session.get(User, row.user_id) if row.user_id else None
        address = (user.email or "").strip() if user is not None else ""
        if user is None or not user.active or not address:
            raise Undeliverable("the recipient has no email address or is disabled")
        if row.template == "digest":
            rendered = self.renderer.digest(user.locale, row.payload, user.full_name)
        else:
            note = session.get(Notification, row.notification_id)
            if note is None:
                raise Undeliverable("the notification was deleted")
            rendered = self.renderer.notification(
                user.locale, note.kind, note.facts, user.full_name
            )
        message = mail.build_message(
            rendered,
            to=(user.full_name, address),
            settings=self.settings,
            delivery=delivery_id(row.dedupe_key),
            locale=user.locale,
            now=self.now,
        )
        name = f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}"
        return Job(row.id, "email", message=message, name=name)

    def _prepare_webhook(self, session: Session, row: OutboxMessage) -> Job:
        hook = session.get(Webhook, row.webhook_id) if row.webhook_id else None
        if hook is None or not hook.active:
            raise Undeliverable("the webhook was disabled or removed")
        try:
            url = webhooks.check_url(hook.url, self.settings.webhook_allowed_hosts)
        except webhooks.WebhookRefused as exc:
            raise Undeliverable(str(exc.message)) from exc
        return Job(row.id, "webhook", webhook=(url, hook.secret), payload=row.payload)

    # -- 2. send --------------------------------------------------------------------------

    def send(self, job: Job) -> mail.Outcome:
        if job.channel == "webhook" and job.webhook is not None:
            url, secret = job.webhook
            stamp = str(int(time.time()))
            return webhooks.post(url, secret, job.payload, stamp, self.settings.webhook_timeout)
        assert job.message is not None
        return self.mailer.deliver(job.message, job.name)

    # -- 3. record ------------------------------------------------------------------------

    def record(self, job: Job, outcome: mail.Outcome) -> None:
        """Store the outcome; a database hiccup is retried, since the send cannot be."""
        for attempt in range(4):
            try:
                with self.factory() as session, session.begin():
                    row = session.get(OutboxMessage, job.row_id)
                    if row is not None:
                        self._apply(row, outcome)
                return
            except DBAPIError:
                log.warning("recording outbox row %s failed (try %d)", job.row_id, attempt + 1)
                time.sleep(0.2 * 2**attempt)
        log.critical(
            "outbox row %s: %s but the outcome could not be recorded; it stays 'sending'",
            job.row_id,
            outcome.status,
        )

    def _apply(self, row: OutboxMessage, outcome: mail.Outcome) -> None:
        if outcome.status == "down":
            row.status, row.next_attempt_at = "pending", self.now + DOWN_RETRY
            row.last_error = outcome.detail
            self.result.down[row.channel] = outcome.detail
            log.warning("%s delivery unavailable: %s", row.channel, outcome.detail)
            return
        row.attempts += 1
        row.last_error = outcome.detail or None
        if outcome.status == "sent":
            row.status, row.sent_at = "sent", self.now
            self.result.sent += 1
        elif outcome.status == "dead" or row.attempts >= self.settings.outbox_max_attempts:
            row.status = "dead"
            if outcome.status != "dead":
                row.last_error = f"gave up after {row.attempts} attempts: {outcome.detail}"
            self.result.dead += 1
            log.warning("outbox row %s is a dead letter: %s", row.id, row.last_error)
        else:
            row.status, row.next_attempt_at = "pending", self.now + backoff(row.attempts)
            self.result.retried += 1

    # -- rows abandoned while sending -----------------------------------------------------

    def recover_abandoned(self) -> None:
        while True:
            with self.factory() as session, session.begin():
                stmt = (
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == "sending",
                        OutboxMessage.claimed_at < self.now - LEASE,
                    )
                    .order_by(OutboxMessage.id)
                    .limit(1)
                )
                if session.get_bind().dialect.name == "postgresql":
                    stmt = stmt.with_for_update(skip_locked=True)
                row = session.scalar(stmt)
                if row is None:
                    return
                self._settle_abandoned(row)

    def _settle_abandoned(self, row: OutboxMessage) -> None:
        self.result.recovered += 1
        row.attempts += 1
        if row.channel == "webhook" or self.mailer.idempotent:
            row.status, row.next_attempt_at = "pending", self.now
            row.last_error = "interrupted while sending; sent again (the receiver sees one)"
            return
        row.status = "dead"
        msgid = mail.message_id(delivery_id(row.dedupe_key), self.settings)
        row.last_error = (
            "The sender stopped while handing this message to the mail server, so it may or "
            f"may not have arrived (Message-ID {msgid}). "
            "It was not sent again, to never send it twice: check with the recipient, and "
            "retry it if it did not arrive."
        )
        log.warning("outbox row %s: outcome unknown, moved to the dead letters", row.id)
