"""What the escalations board and the accountability case list show, within the user's reach.

An escalation is in reach when the body it is about or the body it went to is; so is a case
with its unit or its handling body. Both lists read tables only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Body, Conclusion, Requirement, User
from db.models.escalation import CASE_STATUSES, AccountabilityCase, Escalation
from workflows.access import can_see_body, visible_bodies
from workflows.escalation import get_escalation
from workflows.inbox import PAGE_SIZE, Page

STATES = ("open", "acknowledged", "resolved", "all")


@dataclass(frozen=True)
class BoardFilters:
    level: int | None = None
    body_id: int | None = None
    #: Only escalations raised at least this many days ago.
    min_age_days: int | None = None
    state: str = "open"

    def cleaned(self) -> BoardFilters:
        """Unknown values are dropped rather than refused: a filter link may be stale."""
        age = self.min_age_days
        return BoardFilters(
            self.level if self.level in (0, 1, 2, 3) else None,
            self.body_id if isinstance(self.body_id, int) else None,
            age if isinstance(age, int) and 0 <= age <= 3650 else None,
            self.state if self.state in STATES else "open",
        )


def _state(state: str) -> ColumnElement[bool] | None:
    if state == "open":
        return Escalation.resolved_at.is_(None) & Escalation.acknowledged_at.is_(None)
    if state == "acknowledged":
        return Escalation.resolved_at.is_(None) & Escalation.acknowledged_at.is_not(None)
    if state == "resolved":
        return Escalation.resolved_at.is_not(None)
    return None


def _board_query(user: User, filters: BoardFilters, now: datetime) -> Select[*tuple[Any, ...]]:
    reach = visible_bodies(user)
    source, target = aliased(Body, name="source"), aliased(Body, name="target")
    stmt = (
        select(Escalation, Requirement, Conclusion.number, source, target)
        .join(Requirement, Requirement.id == Escalation.requirement_id)
        .join(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .join(source, source.id == Escalation.from_body_id)
        .join(target, target.id == Escalation.to_body_id)
        .where(or_(Escalation.from_body_id.in_(reach), Escalation.to_body_id.in_(reach)))
    )
    state = _state(filters.state)
    if state is not None:
        stmt = stmt.where(state)
    if filters.level is not None:
        stmt = stmt.where(Escalation.level == filters.level)
    if filters.body_id is not None:
        stmt = stmt.where(
            or_(
                Escalation.from_body_id == filters.body_id, Escalation.to_body_id == filters.body_id
            )
        )
    if filters.min_age_days is not None:
        stmt = stmt.where(Escalation.raised_at <= now - timedelta(days=filters.min_age_days))
    return stmt


def board(session: Session, user: User, filters: BoardFilters, now: datetime, page: int) -> Page:
    """One page of escalations, highest level and oldest first. Items are rows of
    (escalation, requirement, conclusion number, responsible body, target body)."""
    stmt = _board_query(user, filters, now)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        stmt.order_by(Escalation.level.desc(), Escalation.raised_at, Escalation.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(items=list(rows), total=total, page=page)


def bodies_in_reach(session: Session, user: User) -> list[tuple[int, str, str]]:
    """(id, code, name) of every body the user may filter on."""
    rows = session.execute(
        select(Body.id, Body.code, Body.name)
        .where(Body.id.in_(visible_bodies(user)))
        .order_by(Body.code)
    )
    return [(r.id, r.code, r.name) for r in rows]


def escalations_of(session: Session, user: User, requirement_id: int) -> list[Escalation]:
    """A requirement's escalations, lowest level first, for its page and timeline."""
    reach = visible_bodies(user)
    return list(
        session.scalars(
            select(Escalation)
            .where(
                Escalation.requirement_id == requirement_id,
                or_(Escalation.from_body_id.in_(reach), Escalation.to_body_id.in_(reach)),
            )
            .order_by(Escalation.level)
        )
    )


def cases(session: Session, user: User, status: str | None, page: int) -> Page:
    """One page of accountability cases in reach, open ones first, newest first.
    Items are rows of (case, unit, handling body, conclusion number, requirement seq)."""
    reach = visible_bodies(user)
    unit, handler = aliased(Body, name="unit"), aliased(Body, name="handler")
    stmt = (
        select(AccountabilityCase, unit, handler, Conclusion.number, Requirement.seq)
        .join(unit, unit.id == AccountabilityCase.subject_body_id)
        .join(handler, handler.id == AccountabilityCase.handling_body_id)
        .outerjoin(Requirement, Requirement.id == AccountabilityCase.requirement_id)
        .outerjoin(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .where(
            or_(
                AccountabilityCase.subject_body_id.in_(reach),
                AccountabilityCase.handling_body_id.in_(reach),
            )
        )
    )
    if status in CASE_STATUSES:
        stmt = stmt.where(AccountabilityCase.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    closed_last = (AccountabilityCase.status == "closed").asc()
    rows = session.execute(
        stmt.order_by(
            closed_last, AccountabilityCase.opened_at.desc(), AccountabilityCase.id.desc()
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(items=list(rows), total=total, page=page)


@dataclass(frozen=True)
class EscalationView:
    escalation: Escalation
    requirement: Requirement
    conclusion_number: str
    source: Body
    target: Body
    acknowledged_by: str | None
    can_act: bool


def escalation_view(session: Session, user: User, escalation_id: int) -> EscalationView:
    """One escalation with what its page shows, if within ``user``'s reach."""
    esc = get_escalation(session, user, escalation_id)
    req = session.get(Requirement, esc.requirement_id)
    source, target = session.get(Body, esc.from_body_id), session.get(Body, esc.to_body_id)
    assert req is not None and source is not None and target is not None
    conclusion = session.get(Conclusion, req.conclusion_id)
    by = session.get(User, esc.acknowledged_by_id) if esc.acknowledged_by_id else None
    open_ = esc.acknowledged_at is None and esc.resolved_at is None
    return EscalationView(
        escalation=esc,
        requirement=req,
        conclusion_number=conclusion.number if conclusion else "",
        source=source,
        target=target,
        acknowledged_by=by.full_name if by else None,
        can_act=open_ and user.has_role("supervisor") and can_see_body(session, user, target.id),
    )
