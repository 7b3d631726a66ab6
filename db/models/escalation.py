"""The escalation ladder's thresholds, the escalations raised, and accountability cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.vocabulary import ACCOUNTABILITY_OUTCOMES

#: The kinds a threshold row may name: a body kind, or "default" for every kind without one.
THRESHOLD_SEVERITIES = ("warning", "critical")
ESCALATION_REASONS = ("overdue", "flags", "process", "supervisor")
ESCALATION_DECISIONS = ("noted", "instructed", "accountability")
CASE_REASONS = ("escalation", "not_implementable", "supervisor", "process")
CASE_STATUSES = ("open", "explanation_requested", "explained", "reviewed", "closed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class EscalationThreshold(Base):
    """An administrator's override of when one level of the ladder is reached.

    A level is reached when the requirement is ``overdue_days`` working days past its
    deadline, or has ``open_flags`` open flags of ``flag_severity`` or worse; a null
    criterion never triggers. Rows for ``body_kind = 'default'`` apply to every kind
    without rows of its own; without any row the code's defaults apply.
    """

    __tablename__ = "escalation_threshold"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        CheckConstraint("overdue_days IS NULL OR overdue_days >= 0", name="overdue_days"),
        CheckConstraint("open_flags IS NULL OR open_flags >= 1", name="open_flags"),
        CheckConstraint(_in("flag_severity", THRESHOLD_SEVERITIES), name="flag_severity"),
    )

    body_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    overdue_days: Mapped[int | None]
    open_flags: Mapped[int | None]
    flag_severity: Mapped[str] = mapped_column(String(8), default="critical")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(Base):
    """One rung of the ladder reached by one requirement: at most one per level, ever."""

    __tablename__ = "escalation"
    __table_args__ = (
        UniqueConstraint("requirement_id", "level"),
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        CheckConstraint(_in("reason", ESCALATION_REASONS), name="reason"),
        CheckConstraint(
            "decision IS NULL OR " + _in("decision", ESCALATION_DECISIONS), name="decision"
        ),
        Index("ix_escalation_to_body_raised", "to_body_id", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"))
    level: Mapped[int]
    #: The responsible body the escalation is about, and the body that must now act.
    from_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    to_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    reason: Mapped[str] = mapped_column(String(16))
    #: Why, in figures: working days overdue, the flags that counted.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the ``escalated`` message reached the requirement's process (level 1 only).
    delivered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    #: The requirement's terminal status that ended the escalation.
    resolution: Mapped[str | None] = mapped_column(String(24))


class AccountabilityCase(Base):
    """Handling the responsibility of a body (and officer) for remediation not done."""

    __tablename__ = "accountability_case"
    __table_args__ = (
        CheckConstraint(_in("reason", CASE_REASONS), name="reason"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(
            "decision IS NULL OR " + _in("decision", ACCOUNTABILITY_OUTCOMES), name="decision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation.id"), unique=True)
    subject_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The body whose supervisors handle the case.
    handling_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    explanation_due: Mapped[datetime | None]
    request_note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_at: Mapped[datetime | None]
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The signed decision (PDF), stored content-addressed like evidence.
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_filename: Mapped[str | None] = mapped_column(String(255))
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
