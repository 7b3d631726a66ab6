"""Email: build the message, then hand it to SMTP or, without an SMTP host, to a file.

The embedded default writes each message to ``<instance>/mail/<name>.eml`` (the admin page
shows them); ``REMTRACK_SMTP_HOST`` switches to SMTP with STARTTLS or SSL and login.

Every outcome is one of :class:`Outcome`'s statuses, so the flusher needs no knowledge of
``smtplib``: ``sent``; ``retry`` (a 4xx answer: try this message later); ``dead`` (a 5xx
answer about this message, e.g. an unknown mailbox: retrying cannot help); ``down`` (no
server, or it refuses us as a sender or our login: every message would fail alike, so the
flusher keeps them all pending and stops emailing for this pass).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Literal

from db.settings import SMTP_SECURITY_PORTS, Settings
from notifier.render import VIETNAM, Rendered


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "retry", "dead", "down"]
    detail: str = ""


SENT = Outcome("sent")


def message_id(delivery: str, settings: Settings) -> str:
    """A Message-ID fixed by the outbox row, so a resent message is recognisably the same."""
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "remtrack.invalid"
    return f"<{delivery}@{domain}>"


def build_message(
    rendered: Rendered,
    *,
    to: tuple[str, str],
    settings: Settings,
    delivery: str,
    locale: str,
    now: datetime,
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML as the richer part."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.smtp_from
    msg["To"] = formataddr(to)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now.astimezone(VIETNAM))  # as its readers live it
    msg["Message-ID"] = message_id(delivery, settings)
    # Tells vacation responders and mailing lists not to answer or loop.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    msg["Content-Language"] = locale  # after the parts: setting content clears Content-*
    return msg


class FileMailer:
    """Writes messages to a folder; writing the same name twice leaves one file."""

    #: Sending a message again cannot duplicate it: see ``notifier.jobs``.
    idempotent = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, msg: EmailMessage, name: str) -> Outcome:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            final = self.folder / f"{name}.eml"
            partial = final.with_suffix(".eml.part")
            partial.write_bytes(msg.as_bytes())
            os.replace(partial, final)  # readers never see half a message
        except OSError as exc:
            return Outcome("down", f"cannot write {self.folder}: {exc}")
        return SENT

    def close(self) -> None:
        """Nothing to close."""


def _code_outcome(code: int, text: bytes | str) -> Outcome:
    answer = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    detail = f"{code} {answer}".strip()
    return Outcome("dead" if 500 <= code < 600 else "retry", detail)


class SmtpMailer:
    """One SMTP connection per flush, opened on the first message and reused."""

    idempotent = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.smtp_ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        port = s.smtp_port or SMTP_SECURITY_PORTS[s.smtp_security]
        conn: smtplib.SMTP
        if s.smtp_security == "ssl":
            conn = smtplib.SMTP_SSL(s.smtp_host, port, timeout=s.smtp_timeout, context=self._tls())
        else:
            conn = smtplib.SMTP(s.smtp_host, port, timeout=s.smtp_timeout)
        try:
            if s.smtp_security == "starttls":
                conn.starttls(context=self._tls())
            if s.smtp_username:
                conn.login(s.smtp_username, s.smtp_password)
        except Exception:
            conn.close()
            raise
        return conn

    def deliver(self, msg: EmailMessage, name: str) -> Outcome:
        del name
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _code_outcome(code, text)
        except smtplib.SMTPDataError as exc:
            return _code_outcome(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as exc:
            self.close()
            return Outcome("down", f"{exc.smtp_code} {exc.smtp_error!r} (check the SMTP settings)")
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Outcome("down", f"{type(exc).__name__}: {exc}")
        return SENT

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None


def mailer(settings: Settings) -> FileMailer | SmtpMailer:
    """SMTP when a host is configured, else the instance folder's ``mail/``."""
    if settings.smtp_host:
        return SmtpMailer(settings)
    return FileMailer(settings.instance_path / "mail")
