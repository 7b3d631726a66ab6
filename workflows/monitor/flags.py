"""Flags for people: the board's query (only requirements in reach) and dismissing a flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import Body, Conclusion, Requirement, User
from db.models.monitor import SEVERITIES, Flag
from workflows.access import can_see_body, in_reach, visible_bodies
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.inputs import clean_text
from workflows.monitor.registry import all_rules

BOARD_ROLES = ("supervisor", "observer", "admin")
STATUSES = ("open", "dismissed", "resolved")


@dataclass(frozen=True)
class FlagFilter:
    rule: str | None = None
    severity: str | None = None
    body_id: int | None = None
    #: Open for at least this many days.
    min_age_days: int | None = None
    status: str = "open"


def _in_reach(actor: User) -> Any:
    reach = visible_bodies(actor)
    return or_(
        Requirement.responsible_body_id.in_(reach), Requirement.supervising_body_id.in_(reach)
    )


def _rows() -> Select[*tuple[Any, ...]]:
    """Flag, requirement, conclusion number, responsible body's code and name."""
    return (
        select(Flag, Requirement, Conclusion.number, Body.code, Body.name)
        .join(Requirement, Requirement.id == Flag.requirement_id)
        .join(Conclusion, Conclusion.id == Requirement.conclusion_id)
        .join(Body, Body.id == Requirement.responsible_body_id)
    )


def board_query(
    session: Session, actor: User, wanted: FlagFilter, now: datetime
) -> Select[*tuple[Any, ...]]:
    """Flags on requirements within ``actor``'s reach, newest first, filtered."""
    if not actor.has_role(*BOARD_ROLES):
        raise NotAllowed(_l("Only supervisors and observers see the flags board."))
    _check_filter(session, actor, wanted)
    stmt = (
        _rows()
        .where(Flag.status == wanted.status, _in_reach(actor))
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
    )
    if wanted.rule:
        stmt = stmt.where(Flag.rule_id == wanted.rule)
    if wanted.severity:
        stmt = stmt.where(Flag.severity == wanted.severity)
    if wanted.body_id:
        stmt = stmt.where(Requirement.responsible_body_id == wanted.body_id)
    if wanted.min_age_days:
        stmt = stmt.where(Flag.opened_at <= now - timedelta(days=wanted.min_age_days))
    return stmt


def _check_filter(session: Session, actor: User, wanted: FlagFilter) -> None:
    if wanted.rule and wanted.rule not in all_rules():
        raise InvalidInput(_l("Choose a known rule."), field="rule")
    if wanted.severity and wanted.severity not in SEVERITIES:
        raise InvalidInput(_l("Choose a known severity."), field="severity")
    if wanted.status not in STATUSES:
        raise InvalidInput(_l("Choose a known status."), field="status")
    if wanted.min_age_days is not None and not 0 <= wanted.min_age_days <= 36_500:
        raise InvalidInput(_l("Enter an age in days from 0 to 36500."), field="min_age_days")
    if wanted.body_id and not can_see_body(session, actor, wanted.body_id):
        raise InvalidInput(_l("That body is outside your reach."), field="body_id")


def count_open(session: Session, actor: User) -> int:
    """Open flags in reach (for the navigation badge)."""
    stmt = (
        select(func.count())
        .select_from(Flag)
        .join(Requirement, Requirement.id == Flag.requirement_id)
        .where(Flag.status == "open", _in_reach(actor))
    )
    return int(session.scalar(stmt) or 0)


def flags_of_requirement(session: Session, requirement_id: int) -> list[Flag]:
    """Every flag of one requirement, newest first (for its timeline; reach checked there)."""
    stmt = (
        select(Flag)
        .where(Flag.requirement_id == requirement_id)
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
    )
    return list(session.scalars(stmt))


def flag_in_reach(session: Session, actor: User, flag_id: int) -> Any:
    """The board's row of one flag (flag, requirement, conclusion number, body), or NotFound."""
    if not actor.has_role(*BOARD_ROLES):
        raise NotAllowed(_l("Only supervisors and observers see the flags board."))
    found = session.execute(_rows().where(Flag.id == flag_id, _in_reach(actor))).first()
    if found is None:
        raise NotFound(_l("No such flag, or it is outside your reach."))
    return found


def dismiss_flag(session: Session, actor: User, flag_id: int, reason: str) -> Flag:
    """A supervisor of the supervising body (or above) sets an open flag aside, saying why.

    The flag stays dismissed while its cause lasts; if the cause goes and comes back, the
    monitor opens a new flag.
    """
    found = flag_in_reach(session, actor, flag_id)
    flag, req = found.Flag, found.Requirement
    if not actor.has_role("supervisor") or not can_see_body(
        session, actor, req.supervising_body_id
    ):
        raise NotAllowed(
            _l("Only a supervisor of the supervising body, or of a body above it, can do this.")
        )
    why = clean_text(reason, "reason", _l("Give the reason (at most 20,000 characters)."))
    if flag.status != "open":
        raise Conflict(_l("This flag is no longer open."))
    flag.status, flag.dismissed_by_id = "dismissed", actor.id
    flag.dismissed_at, flag.dismiss_reason = utcnow(), why
    record(
        session,
        "flag.dismissed",
        ("flag", flag.id),
        actor_id=actor.id,
        body_id=req.supervising_body_id,
        payload={"requirement": req.id, "rule": flag.rule_id, "reason": why},
    )
    return flag


def bodies_in_reach(session: Session, actor: User) -> list[tuple[int, str, str]]:
    """(id, code, name) of the bodies the board's body filter offers."""
    stmt = select(Body.id, Body.code, Body.name).where(in_reach(actor, Body.id)).order_by(Body.code)
    return [(row.id, row.code, row.name) for row in session.execute(stmt)]
