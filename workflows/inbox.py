"""What waits for whom: a user's inbox (READY tasks of their body) and the supervisor's
verification queue. Both read projections and tables only, never process instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Body, Conclusion, Requirement, User, UserTask
from db.models.escalation import AccountabilityCase
from db.models.remediation import CATEGORIES
from db.vocabulary import REQUIREMENT_STATUSES
from workflows.access import visible_bodies

PAGE_SIZE = 25
#: A task is "due soon" when this many working days or fewer are left.
DUE_SOON_WORKING_DAYS = 5


@dataclass(frozen=True)
class InboxFilters:
    conclusion_id: int | None = None
    category: str | None = None
    status: str | None = None

    def cleaned(self) -> InboxFilters:
        """Unknown values are dropped rather than refused: a filter link may be stale."""
        return InboxFilters(
            self.conclusion_id if isinstance(self.conclusion_id, int) else None,
            self.category if self.category in CATEGORIES else None,
            self.status if self.status in REQUIREMENT_STATUSES else None,
        )


@dataclass(frozen=True)
class InboxItem:
    task_name: str
    task_title: str
    due_at: datetime | None
    requirement_id: int | None
    requirement_seq: int | None
    requirement_text: str | None
    category: str | None
    status: str | None
    conclusion_id: int | None
    conclusion_number: str | None
    case_id: int | None = None


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    size: int = PAGE_SIZE
    facets: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _inbox_query(user: User) -> Select[*tuple[Any, ...]]:
    """READY tasks of the user's body in the user's roles, with what they are about.

    A task belongs to a requirement's process, a conclusion's (its final assessment) or an
    accountability case's; each is joined on the instance, so one query serves all.
    """
    own_conclusion = aliased(Conclusion)
    due = func.coalesce(UserTask.due_at, Requirement.deadline)
    return (
        select(
            UserTask.name,
            UserTask.title,
            due.label("due"),
            Requirement.id,
            Requirement.seq,
            Requirement.text,
            Requirement.category,
            Requirement.status,
            func.coalesce(Conclusion.id, own_conclusion.id),
            func.coalesce(Conclusion.number, own_conclusion.number),
            AccountabilityCase.id,
        )
        .outerjoin(Requirement, Requirement.process_instance_id == UserTask.instance_id)
        .outerjoin(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .outerjoin(own_conclusion, own_conclusion.process_instance_id == UserTask.instance_id)
        .outerjoin(
            AccountabilityCase, AccountabilityCase.process_instance_id == UserTask.instance_id
        )
        .where(UserTask.body_id == user.body_id, UserTask.role.in_(sorted(user.roles)))
    )


def inbox(session: Session, user: User, filters: InboxFilters, page: int = 1) -> Page:
    """The user's open tasks, earliest due first (tasks without a due date last)."""
    filters = filters.cleaned()
    query = _inbox_query(user)
    conditions = []
    if filters.conclusion_id is not None:
        conditions.append(
            or_(
                Requirement.conclusion_id == filters.conclusion_id,
                UserTask.instance_id.in_(
                    select(Conclusion.process_instance_id).where(
                        Conclusion.id == filters.conclusion_id
                    )
                ),
            )
        )
    if filters.category is not None:
        conditions.append(Requirement.category == filters.category)
    if filters.status is not None:
        conditions.append(Requirement.status == filters.status)
    if conditions:
        query = query.where(and_(*conditions))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        query.order_by(func.coalesce(UserTask.due_at, Requirement.deadline).is_(None))
        .order_by(func.coalesce(UserTask.due_at, Requirement.deadline), UserTask.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page([InboxItem(*row) for row in rows], total, page)


def inbox_conclusions(session: Session, user: User) -> list[tuple[int, str]]:
    """The conclusions that have tasks in the user's inbox, for the filter."""
    sub = _inbox_query(user).subquery()
    ids_numbers = session.execute(
        select(sub.c[8], sub.c[9]).where(sub.c[8].is_not(None)).distinct().order_by(sub.c[9])
    ).all()
    return [(int(i), str(n)) for i, n in ids_numbers]


def verification_queue(session: Session, user: User, page: int = 1) -> Page:
    """Completion reports awaiting verification by a body in the supervisor's reach,
    oldest first: the supervisors are watched for backlog too."""
    reach = visible_bodies(user)
    responsible = aliased(Body)
    query = (
        select(Requirement, Conclusion.number, responsible.name)
        .join(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .join(responsible, responsible.id == Requirement.responsible_body_id)
        .where(
            Requirement.status == "pending_verification",
            Requirement.supervising_body_id.in_(reach),
        )
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        query.order_by(Requirement.submitted_at, Requirement.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page([tuple(r) for r in rows], total, page)
