"""The working-day calendar, the monitor's rules and their flags, report signatures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.models.remediation import Requirement, Verification

CALENDAR_KINDS = ("off", "working")
RULE_KINDS = ("slow", "formal")
SEVERITIES = ("info", "warning", "critical")
FLAG_STATUSES = ("open", "dismissed", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _partial(condition: str) -> dict[str, Any]:
    """The keyword arguments of an index over only the rows meeting ``condition``."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


class CalendarDay(Base):
    """A day an administrator declared off (a bridge day) or worked (a make-up day)."""

    __tablename__ = "calendar_day"
    __table_args__ = (CheckConstraint(_in("kind", CALENDAR_KINDS), name="kind"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkingDay(Base):
    """The calendar materialised for set-based SQL: ``ordinal`` counts the working days
    from a fixed epoch up to and including ``day``, so working days in ``(a, b]`` are
    ``ordinal(b) - ordinal(a)`` for every row of a query at once."""

    __tablename__ = "working_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    ordinal: Mapped[int]
    working: Mapped[bool]


class MonitorRule(Base):
    """One rule's settings; its logic lives in ``workflows.monitor.rules``."""

    __tablename__ = "monitor_rule"
    __table_args__ = (
        CheckConstraint(_in("kind", RULE_KINDS), name="kind"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Wall-clock time up to which changed rows have been looked at (the watermark).
    changes_seen_until: Mapped[datetime | None]
    #: The ``now`` the rule was last evaluated at (what "came due since" is measured from).
    evaluated_at: Mapped[datetime | None]
    #: Set when parameters or the calendar change: the next pass looks at every row.
    full_pass_needed: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flag(Base):
    """A rule's hit on one requirement; at most one active per (requirement, rule).

    Active means the cause is still there (``resolved_at`` is null). A dismissed flag stays
    active, so the pass does not open it again, until its cause goes away.
    """

    __tablename__ = "flag"
    __table_args__ = (
        CheckConstraint(_in("status", FLAG_STATUSES), name="status"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        Index(
            "uq_flag_active_requirement_rule",
            "requirement_id",
            "rule_id",
            unique=True,
            **_partial("resolved_at IS NULL"),
        ),
        # Active flags only: resolving a flag then writes one index entry fewer (a pass
        # resolves thousands), and a whole pass finds a rule's active flags in it.
        Index(
            "ix_flag_active_rule_status",
            "rule_id",
            "status",
            **_partial("resolved_at IS NULL"),
        ),
        Index("ix_flag_status_opened_at", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("monitor_rule.id"))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="open")
    #: What the explanation is filled with: which evidence, which report, how many days.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    dismissed_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)


class ReportSignature(Base):
    """A progress report's bottom-k MinHash sketch and its closest earlier report.

    Reports never change, so the comparison is made once, when the signature is computed;
    the rule then only compares ``similarity`` with its threshold.
    """

    __tablename__ = "report_signature"
    __table_args__ = (Index("ix_report_signature_similarity", "similarity"),)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), primary_key=True
    )
    sketch: Mapped[bytes] = mapped_column(LargeBinary)
    similar_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_report.id", ondelete="SET NULL")
    )
    similarity: Mapped[float | None] = mapped_column(Float)


class ReportAnchor(Base):
    """The smallest shingle hashes of a report: reports sharing one are candidate copies."""

    __tablename__ = "report_anchor"
    __table_args__ = (Index("ix_report_anchor_key_report", "anchor", "report_id"),)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(primary_key=True)
    anchor: Mapped[int] = mapped_column(BigInteger)


class EvidenceSummary(Base):
    """What a requirement's evidence shows, kept up to date by the monitor as evidence
    arrives (evidence never changes), so its rules read one row per requirement.

    The partial indexes hold the few rows a rule hits (a recycled file, a document dated
    before the conclusion): a pass over every requirement reads those, not a million.
    """

    __tablename__ = "evidence_summary"
    __table_args__ = (
        Index(
            "ix_evidence_summary_recycled",
            "requirement_id",
            **_partial("recycled_evidence_id IS NOT NULL"),
        ),
        Index(
            "ix_evidence_summary_predates",
            "predates_issue_days",
            **_partial("predates_issue_days > 0"),
        ),
    )

    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), primary_key=True)
    evidence_count: Mapped[int]
    #: Files that give the number of a document (e.g. the amended regulation).
    cited_count: Mapped[int]
    earliest_doc_date: Mapped[date | None]
    earliest_evidence_id: Mapped[int | None]
    #: How many days the earliest document is dated before the conclusion was issued
    #: (negative: after it). A conclusion's issue date never changes once issued.
    predates_issue_days: Mapped[int | None]
    #: The first file already given earlier for another requirement, and that requirement;
    #: ``foreign_*`` the same, counting only requirements of other conclusions.
    recycled_evidence_id: Mapped[int | None]
    recycled_from_id: Mapped[int | None]
    foreign_recycled_evidence_id: Mapped[int | None]
    foreign_recycled_from_id: Mapped[int | None]
    #: The newest evidence counted (what the next refresh starts after).
    last_evidence_id: Mapped[int] = mapped_column(index=True)


# The incremental pass asks "which requirements changed since the watermark" on every pass.
Index("ix_requirement_updated_at", Requirement.updated_at)
# The recurrence rule looks up a conclusion's closed requirements of a category, from the
# index alone (a whole pass reads it instead of the table).
Index(
    "ix_requirement_closed_kind",
    Requirement.conclusion_id,
    Requirement.category,
    postgresql_include=["closed_at", "id"],
    **_partial("status = 'closed'"),
)
# The formal-only rule reads the few such rejections, not every verification.
Index(
    "ix_verification_formal_only",
    Verification.requirement_id,
    Verification.id,
    **_partial("decision = 'formal_only'"),
)
