"""Notifications: what a user was told (in-app), what is still to be delivered (the outbox),
how each user wants to hear of each kind, and the webhooks bodies registered.

A notification and its outbox rows are written in the transaction of the change that caused
them, so they exist exactly when the change commits; ``dedupe_key`` is unique, so the same
news queued twice (a retried job) is stored, and sent, once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

#: How a notification reaches its user besides the in-app list.
DELIVERIES = ("immediate", "digest", "inapp")
#: What a user may choose per kind ("off" only for the daily summary).
PREFERENCE_MODES = ("immediate", "digest", "inapp", "off")
CHANNELS = ("email", "webhook")
OUTBOX_STATUSES = ("pending", "sending", "sent", "dead")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Notification(Base):
    """One piece of news for one user: the in-app list reads these."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(_in("delivery", DELIVERIES), name="delivery"),
        # The bell's unread count and the digest's pick both start from the user.
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    #: What the templates show, as it was when the event happened.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    delivery: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    #: When a daily digest took it (``delivery == "digest"`` only).
    digested_at: Mapped[datetime | None]


class Webhook(Base):
    """A body's endpoint for JSON events, signed with HMAC-SHA256 under ``secret``."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    #: Notification kinds sent; empty means every kind.
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """One delivery to make: an email (a notification or a digest) or a webhook call."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The flusher's claim: the due rows of one status, oldest first.
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    #: The email template (a notification kind, or ``digest``) or the webhook's event kind.
    template: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id"), index=True)
    #: A digest's content or a webhook's JSON body, fixed when queued.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(Base):
    """How one user wants one kind delivered; no row means the kind's default."""

    __tablename__ = "notification_preference"
    __table_args__ = (CheckConstraint(_in("mode", PREFERENCE_MODES), name="mode"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12))
