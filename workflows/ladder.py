"""One pass of the escalation ladder (the scheduler runs it every few minutes).

The pass reads, in batches, the open requirements that are overdue, carry open flags or
wait for a delivery, together with the figures that decide their level, and works only on
those that need something. Each of those is claimed (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and handled in its own transaction with fresh figures, so several scheduler
processes share the work and one failing requirement never holds back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Body, Requirement
from db.models.escalation import Escalation
from db.models.monitor import Flag
from db.vocabulary import TERMINAL_STATUSES
from workflows.calendar import WorkingCalendar, load_calendar
from workflows.deadlines import vietnam_date as vn_date
from workflows.escalation import deescalate, deliver_escalation, raise_escalation
from workflows.escalation_thresholds import DEFAULT_KIND, Ladder, level_reached, load_ladders

log = logging.getLogger(__name__)
BATCH = 500
COUNTED_SEVERITIES = ("warning", "critical")
#: Statuses in which the requirement's process is in remediation (workflows.requirements).
REMEDIATING = ("planned", "in_progress", "returned", "overdue")


@dataclass
class LadderPass:
    raised: list[tuple[int, int]] = field(default_factory=list)  # (requirement, level)
    delivered: list[int] = field(default_factory=list)  # escalation ids
    resolved: list[int] = field(default_factory=list)  # requirement ids
    failed: dict[int, str] = field(default_factory=dict)  # requirement id -> error


@dataclass(frozen=True)
class Standing:
    """What decides a requirement's level, read in one query."""

    requirement_id: int
    deadline: datetime
    status: str
    submitted_at: datetime | None
    kind: str
    top: int | None  # the highest level raised so far
    undelivered: bool  # a level-1 escalation still waits to reach the process
    warning: int  # open flags by severity
    critical: int

    def overdue_days(self, now: datetime, cal: WorkingCalendar) -> int:
        """Working days past the deadline. The clock stops while the supervisor holds a
        completion report: that delay is theirs (the monitor watches it)."""
        stopped = self.status == "pending_verification" and self.submitted_at is not None
        end = self.submitted_at if stopped and self.submitted_at else now
        return cal.working_days_between(vn_date(self.deadline), vn_date(end))

    def target(self, ladders: dict[str, Ladder], days: int) -> int | None:
        ladder = ladders.get(self.kind) or ladders[DEFAULT_KIND]
        return level_reached(ladder, days, {"warning": self.warning, "critical": self.critical})

    def needs_work(self, ladders: dict[str, Ladder], days: int) -> bool:
        target = self.target(ladders, days)
        climbs = target is not None and (self.top is None or target > self.top)
        return climbs or self.undelivered


def _flag_count(severity: str) -> Any:
    return (
        select(func.count())
        .where(
            Flag.requirement_id == Requirement.id, Flag.status == "open", Flag.severity == severity
        )
        .scalar_subquery()
    )


def _undelivered() -> ColumnElement[bool]:
    """A level-1 escalation waits for delivery, and the process may take it now: the model
    catches ``escalated`` only while remediating, so only those statuses are worth a try."""
    waiting = exists().where(
        Escalation.requirement_id == Requirement.id,
        Escalation.level == 1,
        Escalation.delivered_at.is_(None),
        Escalation.acknowledged_at.is_(None),
        Escalation.resolved_at.is_(None),
    )
    return (
        waiting & Requirement.status.in_(REMEDIATING) & Requirement.process_instance_id.is_not(None)
    )


def _standings_query() -> Select[Any]:
    top = select(func.max(Escalation.level)).where(Escalation.requirement_id == Requirement.id)
    return (
        select(
            Requirement.id,
            Requirement.deadline,
            Requirement.status,
            Requirement.submitted_at,
            Body.kind,
            top.scalar_subquery(),
            _undelivered(),
            _flag_count("warning"),
            _flag_count("critical"),
        )
        .join(Body, Body.id == Requirement.responsible_body_id)
        .where(Requirement.status.not_in(TERMINAL_STATUSES))
    )


def _read(session: Session, stmt: Select[Any]) -> list[Standing]:
    return [
        Standing(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), int(r[7]), int(r[8]))
        for r in session.execute(stmt)
    ]


def candidates(session: Session, now: datetime, after: int) -> list[Standing]:
    """The next batch of open requirements the ladder may have work on."""
    flagged = exists().where(
        Flag.requirement_id == Requirement.id,
        Flag.status == "open",
        Flag.severity.in_(COUNTED_SEVERITIES),
    )
    stmt = (
        _standings_query()
        .where(Requirement.id > after, or_(Requirement.deadline < now, flagged, _undelivered()))
        .order_by(Requirement.id)
        .limit(BATCH)
    )
    return _read(session, stmt)


def standing_of(session: Session, requirement_id: int) -> Standing | None:
    found = _read(session, _standings_query().where(Requirement.id == requirement_id))
    return found[0] if found else None


def _claim(session: Session, requirement_id: int) -> Requirement | None:
    stmt = select(Requirement).where(Requirement.id == requirement_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Requirement)
    return session.scalar(stmt)


def _facts(session: Session, req_id: int, days: int) -> dict[str, Any]:
    flags = session.execute(
        select(Flag.id, Flag.rule_id, Flag.severity)
        .where(
            Flag.requirement_id == req_id,
            Flag.status == "open",
            Flag.severity.in_(COUNTED_SEVERITIES),
        )
        .order_by(Flag.id)
    )
    listed = [{"id": f.id, "rule": f.rule_id, "severity": f.severity} for f in flags]
    return {"overdue_days": days, "flags": listed}


def advance(
    session: Session,
    req: Requirement,
    now: datetime,
    ladders: dict[str, Ladder],
    cal: WorkingCalendar,
    result: LadderPass,
) -> None:
    """Raise every level ``req`` has reached and not yet had; retry a pending delivery."""
    standing = standing_of(session, req.id)
    if standing is None:
        return
    days = standing.overdue_days(now, cal)
    target = standing.target(ladders, days)
    first = 0 if standing.top is None else standing.top + 1
    ladder = ladders.get(standing.kind) or ladders[DEFAULT_KIND]
    facts = _facts(session, req.id, days) if target is not None and target >= first else {}
    for level in range(first, (target if target is not None else -1) + 1):
        threshold = ladder[level]
        by_days = threshold.overdue_days is not None and days >= threshold.overdue_days
        esc = raise_escalation(session, req, level, "overdue" if by_days else "flags", facts)
        if esc is not None:
            result.raised.append((req.id, level))
            if esc.delivered_at is not None:
                result.delivered.append(esc.id)
    pending = session.scalars(
        select(Escalation).where(
            Escalation.requirement_id == req.id,
            Escalation.level == 1,
            Escalation.delivered_at.is_(None),
            Escalation.acknowledged_at.is_(None),
            Escalation.resolved_at.is_(None),
        )
    ).all()
    for esc in pending:
        if deliver_escalation(session, esc, req):
            result.delivered.append(esc.id)


def _each_claimed(
    factory: sessionmaker[Session],
    ids: list[int],
    work: Callable[[Session, Requirement, LadderPass], None],
    result: LadderPass,
) -> None:
    """Run ``work`` on each requirement in its own transaction, skipping those another
    process holds (it is doing the same work); count only what was committed."""
    for req_id in ids:
        done = LadderPass()
        try:
            with factory() as session, session.begin():
                req = _claim(session, req_id)
                if req is not None:
                    work(session, req, done)
        except Exception as exc:  # noqa: BLE001 — one bad requirement must not stop the rest
            log.exception("escalation ladder failed on requirement %s", req_id)
            result.failed[req_id] = f"{type(exc).__name__}: {exc}"
            continue
        result.raised += done.raised
        result.delivered += done.delivered
        result.resolved += done.resolved


def _closed_with_open_escalations(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Requirement.id)
            .where(
                Requirement.status.in_(TERMINAL_STATUSES),
                exists().where(
                    Escalation.requirement_id == Requirement.id, Escalation.resolved_at.is_(None)
                ),
            )
            .order_by(Requirement.id)
        )
    )


def run_pass(factory: sessionmaker[Session], now: datetime) -> LadderPass:
    """Resolve the escalations of closed requirements, then climb the ladder at ``now``."""
    result = LadderPass()
    with factory() as session:
        closed = _closed_with_open_escalations(session)
        ladders = load_ladders(session)

    def resolve(session: Session, req: Requirement, done: LadderPass) -> None:
        if deescalate(session, req, now):
            done.resolved.append(req.id)

    _each_claimed(factory, closed, resolve, result)
    after = 0
    while True:
        with factory() as session:
            batch = candidates(session, now, after)
            if not batch:
                return result
            after = batch[-1].requirement_id
            earliest = min(vn_date(s.deadline) for s in batch)
            cal = load_calendar(session, earliest, vn_date(now))
        todo = [s.requirement_id for s in batch if s.needs_work(ladders, s.overdue_days(now, cal))]

        def climb(session: Session, req: Requirement, done: LadderPass) -> None:
            advance(session, req, now, ladders, cal, done)  # noqa: B023 — used at once

        _each_claimed(factory, todo, climb, result)
