"""Reading conclusions: the list a user may see and one conclusion with its requirements.

A conclusion is visible to the bodies that issued it or are its subject (and to those above
them), and to any body that remediates or supervises one of its requirements; that body
sees the requirements within its reach and only counts the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from db.models import Body, Conclusion, Requirement, User, UserTask
from db.vocabulary import TERMINAL_STATUSES
from workflows.access import visible_bodies
from workflows.errors import NotFound
from workflows.i18n import _l
from workflows.inbox import PAGE_SIZE, Page


def _visible(actor: User) -> ColumnElement[bool]:
    reach = visible_bodies(actor)
    touches = exists().where(
        Requirement.conclusion_id == Conclusion.id,
        or_(
            Requirement.responsible_body_id.in_(reach),
            Requirement.supervising_body_id.in_(reach),
        ),
    )
    return or_(
        Conclusion.issuing_body_id.in_(reach), Conclusion.subject_body_id.in_(reach), touches
    )


@dataclass(frozen=True)
class ConclusionRow:
    conclusion: Conclusion
    issuer: str
    requirements: int
    closed: int


def conclusions_page(session: Session, actor: User, query: str = "", page: int = 1) -> Page:
    """Visible conclusions, newest issue date first, optionally searched by number or title."""
    stmt = select(Conclusion).where(_visible(actor))
    text = query.strip()
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(Conclusion.number.ilike(like), Conclusion.title.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    found = session.scalars(
        stmt.order_by(Conclusion.issue_date.desc(), Conclusion.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    counts = _requirement_counts(session, [c.id for c in found])
    issuers = {
        i: n
        for i, n in session.execute(
            select(Body.id, Body.name).where(Body.id.in_({c.issuing_body_id for c in found}))
        )
    }
    rows = [ConclusionRow(c, issuers[c.issuing_body_id], *counts.get(c.id, (0, 0))) for c in found]
    return Page(list(rows), total, page)


def _requirement_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    closed = func.count().filter(Requirement.status.in_(TERMINAL_STATUSES))
    return {
        cid: (int(total), int(done or 0))
        for cid, total, done in session.execute(
            select(Requirement.conclusion_id, func.count(), closed)
            .where(Requirement.conclusion_id.in_(ids))
            .group_by(Requirement.conclusion_id)
        )
    }


@dataclass
class ConclusionView:
    conclusion: Conclusion
    issuer: Body
    subject: Body
    requirements: list[tuple[Requirement, str]]
    hidden: int
    target: Decimal
    recovered: Decimal
    awaiting_assessment: bool
    can_assess: bool


def conclusion_view(session: Session, actor: User, conclusion_id: int) -> ConclusionView:
    conclusion = session.scalar(
        select(Conclusion).where(Conclusion.id == conclusion_id, _visible(actor))
    )
    if conclusion is None:
        raise NotFound(_l("No such conclusion, or it is outside your reach."))
    reach: set[int] = {int(i) for (i,) in session.execute(visible_bodies(actor))}
    issuer_side = conclusion.issuing_body_id in reach or conclusion.subject_body_id in reach
    names = _body_names(session, conclusion)
    shown = [
        (r, names[r.responsible_body_id])
        for r in conclusion.requirements
        if issuer_side or r.responsible_body_id in reach or r.supervising_body_id in reach
    ]
    awaiting = bool(
        conclusion.process_instance_id
        and session.scalar(
            select(UserTask.id).where(
                UserTask.instance_id == conclusion.process_instance_id,
                UserTask.name == "final_assessment",
            )
        )
    )
    return ConclusionView(
        conclusion=conclusion,
        issuer=session.get_one(Body, conclusion.issuing_body_id),
        subject=session.get_one(Body, conclusion.subject_body_id),
        requirements=shown,
        hidden=len(conclusion.requirements) - len(shown),
        target=sum((r.target_amount or Decimal(0) for r, _ in shown), Decimal(0)),
        recovered=sum((r.recovered_amount for r, _ in shown), Decimal(0)),
        awaiting_assessment=awaiting,
        can_assess=awaiting
        and actor.has_role("supervisor")
        and conclusion.issuing_body_id in reach,
    )


def _body_names(session: Session, conclusion: Conclusion) -> dict[int, Any]:
    ids = {r.responsible_body_id for r in conclusion.requirements}
    return {i: n for i, n in session.execute(select(Body.id, Body.name).where(Body.id.in_(ids)))}
