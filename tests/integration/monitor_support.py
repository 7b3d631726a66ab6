"""Helpers for the monitor's tests: drive a requirement through the real verbs, then move
its timestamps with plain UPDATEs (the verbs stamp the real clock), then run a pass."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Requirement
from db.models.monitor import Flag
from workflows import requirements as verbs
from workflows import verification
from workflows.inputs import EvidenceInput, ReportInput
from workflows.monitor import run_pass

_files = itertools.count(1)


def sha(label: str | None = None) -> str:
    return hashlib.sha256((label or f"file-{next(_files)}").encode()).hexdigest()


def evidence(
    digest: str | None = None, doc_number: str | None = "15/QĐ-UBND", doc_date: date | None = None
) -> EvidenceInput:
    return EvidenceInput(
        sha256=digest or sha(),
        filename=f"quyet-dinh-{next(_files)}.pdf",
        content_type="application/pdf",
        size=1024,
        doc_number=doc_number,
        doc_date=doc_date,
    )


class Life:
    """One cast's verbs, shortened: ``life.remediating(req)``, ``life.submit(req, ...)``."""

    def __init__(self, session: Session, cast: Any) -> None:
        self.session, self.cast = session, cast

    def acknowledge(self, req: Requirement) -> Requirement:
        verbs.acknowledge_requirement(self.session, self.cast.officer, req.id)
        return req

    def remediating(self, req: Requirement) -> Requirement:
        self.acknowledge(req)
        verbs.submit_plan(self.session, self.cast.officer, req.id, "Kế hoạch khắc phục.")
        return req

    def report(
        self, req: Requirement, text: str = "Đang triển khai.", percent: int = 10, **kw: Any
    ) -> Any:
        return verbs.report_progress(
            self.session, self.cast.officer, req.id, ReportInput(text, percent, **kw)
        )

    def submit(
        self,
        req: Requirement,
        text: str = "Đã hoàn thành việc khắc phục theo kết luận.",
        evidence: tuple[EvidenceInput, ...] | None = None,
        amount: Decimal | int | None = None,
    ) -> Any:
        files = (globals()["evidence"](),) if evidence is None else evidence
        report = ReportInput(text, 100, amount_recovered=amount, evidence=files)
        return verbs.submit_for_verification(self.session, self.cast.officer, req.id, report)

    def verify(self, req: Requirement, decision: str, reason: str = "") -> Any:
        return verification.verify_requirement(
            self.session, self.cast.supervisor, req.id, decision, reason=reason
        )

    def extend(self, req: Requirement, days: int, approve: bool = True) -> Any:
        wanted = self.deadline(req) + timedelta(days=days)
        verbs.request_extension(
            self.session, self.cast.officer, req.id, "Cần thêm thời gian.", wanted
        )
        reason = "" if approve else "Không đủ căn cứ."
        return verification.decide_extension(
            self.session, self.cast.supervisor, req.id, approve, reason
        )

    def deadline(self, req: Requirement) -> datetime:
        return self.session.scalar(select(Requirement.deadline).where(Requirement.id == req.id))

    def backdate(self, req: Requirement, **days_ago: int) -> None:
        """Set timestamps (``created_at=40`` …) to that many days before the real now."""
        now = datetime.now(UTC)
        values = {column: now - timedelta(days=n) for column, n in days_ago.items()}
        self.session.execute(update(Requirement).where(Requirement.id == req.id).values(**values))
        self.session.expire_all()


def run(session_factory: Any, days: float = 0, **kw: Any) -> Any:
    """A monitor pass at the real now plus ``days`` (time travel)."""
    return run_pass(session_factory, datetime.now(UTC) + timedelta(days=days), **kw)


def flags(session: Session, rule: str | None = None, **where: Any) -> list[Flag]:
    session.expire_all()
    stmt = select(Flag).order_by(Flag.id)
    if rule:
        stmt = stmt.where(Flag.rule_id == rule)
    for column, value in where.items():
        stmt = stmt.where(getattr(Flag, column) == value)
    return list(session.scalars(stmt))


def flagged(session: Session, rule: str) -> set[int]:
    """Requirements with an active (open or dismissed, unresolved) flag of ``rule``."""
    return {f.requirement_id for f in flags(session, rule) if f.resolved_at is None}
