"""Conclusions, their requirements and the records of remediating them.

Status and decision values mirror ``workflows.engine.catalogue`` (``db`` may not import
``workflows``); a test keeps the two lists equal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from db.base import Base, utcnow
from db.vocabulary import REQUIREMENT_STATUSES, TERMINAL_STATUSES, VERIFY_DECISIONS

CONCLUSION_SOURCES = (
    "party_inspection",
    "party_supervision",
    "state_inspection",
    "state_audit",
    "investigation",
)
CONCLUSION_STATUSES = ("draft", "issued", "in_progress", "closed")
CATEGORIES = ("financial", "disciplinary", "institutional", "administrative", "referral")
GRADES = ("full", "most", "partial", "none")
EXTENSION_STATUSES = ("pending", "approved", "rejected")
#: VND amounts are whole đồng; 18 digits keeps them exact on SQLite's 64-bit integers too.
MAX_AMOUNT = Decimal(10) ** 18


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class _ExactNumeric(Numeric[Decimal]):
    """NUMERIC that hands values to the driver and back untouched (no float round trip)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: Any) -> None:
        return None


class Money(TypeDecorator[Decimal]):
    """Whole đồng as ``Decimal``, stored ``NUMERIC(20, 0)``.

    SQLite's driver would pass a ``Decimal`` through a float and lose digits past 2**53;
    there, whole numbers go in and come back as exact integers instead.
    """

    impl = Numeric(20, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return _ExactNumeric(20, 0)
        return dialect.type_descriptor(Numeric(20, 0))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return int(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Conclusion(Base):
    """An inspection / audit / investigation conclusion (kết luận)."""

    __tablename__ = "conclusion"
    __table_args__ = (
        CheckConstraint(_in("source", CONCLUSION_SOURCES), name="source"),
        CheckConstraint(_in("status", CONCLUSION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    issuing_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    issue_date: Mapped[date]
    subject_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    assessment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # Indexed: the inbox joins tasks to what they are about through it.
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )

    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="conclusion", order_by="Requirement.seq"
    )

    def __repr__(self) -> str:
        return f"<Conclusion {self.number}>"


class Requirement(Base):
    """One requirement (kiến nghị) of a conclusion, remediated by one body."""

    __tablename__ = "requirement"
    __table_args__ = (
        UniqueConstraint("conclusion_id", "seq", name="conclusion_seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("status", REQUIREMENT_STATUSES), name="status"),
        CheckConstraint("grade IS NULL OR " + _in("grade", GRADES), name="grade"),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_percent"),
        CheckConstraint("escalation_level BETWEEN 0 AND 3", name="escalation_level"),
        CheckConstraint("target_amount IS NULL OR target_amount >= 0", name="target_amount"),
        CheckConstraint("recovered_amount >= 0", name="recovered_amount"),
        # The monitor's due/overdue scans and the inboxes of both sides.
        Index("ix_requirement_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conclusion_id: Mapped[int] = mapped_column(ForeignKey("conclusion.id"))
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    responsible_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    responsible_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    supervising_body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    deadline: Mapped[datetime]
    original_deadline: Mapped[datetime]
    target_amount: Mapped[Decimal | None] = mapped_column(Money())
    recovered_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    progress_percent: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(24), default="issued")
    grade: Mapped[str | None] = mapped_column(String(8))
    escalation_level: Mapped[int] = mapped_column(default=0)
    plan: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_report_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Indexed: the inbox joins tasks to what they are about through it.
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )

    conclusion: Mapped[Conclusion] = relationship(back_populates="requirements")

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def __repr__(self) -> str:
        return f"<Requirement {self.conclusion_id}/{self.seq} {self.status}>"


class ProgressReport(Base):
    """What the responsible body reported; history lives here, never in the process."""

    __tablename__ = "progress_report"
    __table_args__ = (
        CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),
        CheckConstraint("amount_recovered >= 0", name="amount_recovered"),
        Index("ix_progress_report_requirement_created", "requirement_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int]
    #: The total recovered so far as the author declares it (not an increment).
    amount_recovered: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    is_completion: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence: Mapped[list[Evidence]] = relationship(back_populates="report", order_by="Evidence.id")


class Evidence(Base):
    """Metadata of a file attached to a report; the file itself is stored by its sha256."""

    __tablename__ = "evidence"
    __table_args__ = (CheckConstraint("size >= 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    # Indexed: the same file turning up for another requirement is a "recycled" flag.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    doc_number: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[date | None]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[ProgressReport] = relationship(back_populates="evidence")


class ExtensionRequest(Base):
    __tablename__ = "extension_request"
    __table_args__ = (CheckConstraint(_in("status", EXTENSION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    current_deadline: Mapped[datetime]
    requested_deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class Verification(Base):
    __tablename__ = "verification"
    __table_args__ = (
        CheckConstraint(_in("decision", VERIFY_DECISIONS), name="decision"),
        CheckConstraint("grade IS NULL OR " + _in("grade", GRADES), name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(24))
    grade: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
