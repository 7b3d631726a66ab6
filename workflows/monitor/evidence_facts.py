"""``evidence_summary``: what each requirement's evidence shows, refreshed as evidence arrives.

Evidence rows are never changed or deleted, so a requirement's summary only needs redoing
when it gets a new file. Each pass redoes the summaries of requirements with evidence newer
than what their summary counted (looking back ``LATE_WINDOW`` ids for rows committed late);
``everything`` redoes them all. The four evidence rules then read one row per requirement
instead of joining a million files four times.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from db.models import Conclusion, Evidence, ProgressReport, Requirement
from db.models.monitor import EvidenceSummary
from workflows.monitor.sql import days_between

LATE_WINDOW = 10_000
_SUMMARY = cast(Table, EvidenceSummary.__table__)
E, P, S = Evidence, ProgressReport, EvidenceSummary


def refresh(
    session: Session, limit: int | None = None, *, everything: bool = False
) -> tuple[list[int], list[int]]:
    """Redo at most ``limit`` summaries that new evidence made stale (all of them on the first
    run); return the requirements redone and those still stale (for a later pass)."""
    ids = _stale(session, everything)
    first_run = session.scalar(select(S.requirement_id).limit(1)) is None
    now, later = (ids, []) if limit is None or first_run else (ids[:limit], ids[limit:])
    for start in range(0, len(now), 5000):
        _redo(session, now[start : start + 5000])
    return now, later


def _stale(session: Session, everything: bool) -> list[int]:
    stmt = select(P.requirement_id).join(E, E.report_id == P.id).distinct()
    if not everything:
        last = session.scalar(select(func.max(S.last_evidence_id))) or 0
        counted = exists().where(S.requirement_id == P.requirement_id, S.last_evidence_id >= E.id)
        stmt = stmt.where(E.id > last - LATE_WINDOW, ~counted)
    return sorted(session.scalars(stmt))


def _redo(session: Session, ids: list[int]) -> None:
    conn = session.connection()
    conn.execute(delete(_SUMMARY).where(_SUMMARY.c.requirement_id.in_(ids)))
    cited = case((and_(E.doc_number.is_not(None), E.doc_number != ""), 1), else_=0)
    counts = (
        select(
            P.requirement_id,
            func.count(E.id).label("evidence_count"),
            func.sum(cited).label("cited_count"),
            func.min(E.doc_date).label("earliest_doc_date"),
            days_between(Conclusion.issue_date, func.min(E.doc_date)).label("predates"),
            func.max(E.id).label("last_evidence_id"),
        )
        .join(E, E.report_id == P.id)
        .join(Requirement, Requirement.id == P.requirement_id)
        .join(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .where(P.requirement_id.in_(ids))
        .group_by(P.requirement_id, Conclusion.issue_date)
        .subquery("counts")
    )
    # Each row written once, whole: its earliest file and first recycled one come along.
    rows = select(
        *counts.c,
        _earliest(counts.c.requirement_id, counts.c.earliest_doc_date),
        _recycled(counts.c.requirement_id, foreign=False),
    )
    columns = ["requirement_id", "evidence_count", "cited_count", "earliest_doc_date"]
    columns += ["predates_issue_days", "last_evidence_id"]
    columns += ["earliest_evidence_id", "recycled_evidence_id"]
    conn.execute(insert(_SUMMARY).from_select(columns, rows))
    mine = _SUMMARY.c.requirement_id.in_(ids)
    # Recycled files are rare: the rest is worked out for those requirements only.
    recycled = and_(mine, _SUMMARY.c.recycled_evidence_id.is_not(None))
    conn.execute(
        update(_SUMMARY)
        .where(recycled)
        .values(
            foreign_recycled_evidence_id=_recycled(_SUMMARY.c.requirement_id, foreign=True),
            recycled_from_id=_source(_SUMMARY.c.recycled_evidence_id, foreign=False),
        )
    )
    conn.execute(
        update(_SUMMARY)
        .where(recycled, _SUMMARY.c.foreign_recycled_evidence_id.is_not(None))
        .values(
            foreign_recycled_from_id=_source(_SUMMARY.c.foreign_recycled_evidence_id, foreign=True)
        )
    )


def _earliest(owner: Any, earliest_date: Any) -> Any:
    """The file of ``owner`` dated ``earliest_date`` (the lowest id among equals)."""
    return (
        select(E.id)
        .join(P, P.id == E.report_id)
        .where(P.requirement_id == owner, E.doc_date == earliest_date)
        .order_by(E.id)
        .limit(1)
        .scalar_subquery()
    )


def _earlier_elsewhere(mine: Any, owner: Any, foreign: bool, *, lowest: bool = False) -> Any:
    """Requirements (other than ``owner``) given an earlier file with ``mine``'s fingerprint;
    with ``lowest``, the lowest such requirement's id."""
    e2, p2 = aliased(E, name="e2"), aliased(P, name="p2")
    found = (
        select(func.min(p2.requirement_id) if lowest else p2.requirement_id)
        .join(e2, e2.report_id == p2.id)
        .where(e2.sha256 == mine.sha256, e2.id < mine.id, p2.requirement_id != owner)
    )
    if not foreign:
        # Nested two levels deep: name what is the outer query's (the file, the summary).
        return found.correlate_except(e2, p2)
    r2, own = aliased(Requirement, name="r2"), aliased(Requirement, name="own")
    found = found.join(r2, r2.id == p2.requirement_id).where(
        r2.conclusion_id
        != select(own.conclusion_id).where(own.id == owner).correlate_except(own).scalar_subquery()
    )
    return found.correlate_except(e2, p2, r2)


def _recycled(owner: Any, foreign: bool) -> Any:
    """``owner``'s first file that was already given for another requirement."""
    e1, p1 = aliased(E, name="e1"), aliased(P, name="p1")
    elsewhere = _earlier_elsewhere(e1, owner, foreign)
    return (
        select(func.min(e1.id))
        .join(p1, p1.id == e1.report_id)
        .where(p1.requirement_id == owner, elsewhere.exists())
        .scalar_subquery()
    )


def _source(evidence_id: Any, foreign: bool) -> Any:
    """The (lowest) other requirement that file was given for first."""
    e1 = aliased(E, name="e1")
    lowest = _earlier_elsewhere(e1, _SUMMARY.c.requirement_id, foreign, lowest=True)
    return lowest.where(e1.id == evidence_id).scalar_subquery()
