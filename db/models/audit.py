"""The hash-chained, append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class AuditEvent(Base):
    """One recorded change. ``seq`` is gap-free and ``prev_hash`` links to the row before,
    so an edited, inserted or deleted row breaks the chain where it happened."""

    __tablename__ = "audit_event"
    # A record's history (a requirement's timeline) in order.
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
