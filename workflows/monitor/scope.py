"""Which requirements a rule looks at in this pass, and the context its query gets.

A rule looks at every requirement when a full pass is due (first pass, ``--full``, new
parameters or calendar, the clock going back, or — for rules counting working days — a new
day). Otherwise it looks at the requirements changed since the rules' watermark (less a
margin for transactions still open then) and those whose deadline passed since the last
pass. Those rows are copied once per pass into the temporary table ``monitor_scope``, and
the rules read that small table instead of each probing the requirement table for the same
few thousand rows again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.schema import CreateTable

from db.models import ExtensionRequest, Requirement
from db.models.monitor import MonitorRule, WorkingDay
from workflows.conclusions import VIETNAM
from workflows.monitor.registry import Context, Rule
from workflows.monitor.rules_slow import UNIT_ACTIVE
from workflows.monitor.sql import in_ids, listed_ids
from workflows.monitor.working_days import ordinal_of

#: Changes made this long before a pass may still have been uncommitted when it started.
MARGIN = timedelta(minutes=5)
_REQUIREMENT = cast(Table, Requirement.__table__)
#: The requirement rows an incremental pass judges, copied column for column.
SCOPE = Table(
    "monitor_scope",
    MetaData(),
    *(
        Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False)
        for c in _REQUIREMENT.c
    ),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
#: ``monitor_scope`` seen as requirements, for rules written against ``Requirement``.
CHANGED = aliased(Requirement, SCOPE, adapt_on_names=True)
#: Requirements whose evidence summary this pass left for a later one.
STALE = Table(
    "monitor_stale",
    MetaData(),
    Column("requirement_id", Integer, primary_key=True, autoincrement=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _fresh_table(session: Session, table: Table) -> Any:
    """The temporary ``table``, empty (SQLite keeps it for the connection's life)."""
    conn = session.connection()
    conn.execute(CreateTable(table, if_not_exists=True))
    conn.execute(table.delete())
    return conn


def note_stale(session: Session, ids: list[int]) -> None:
    """Remember the requirements whose evidence facts wait for a later pass."""
    conn = _fresh_table(session, STALE)
    if ids:
        conn.execute(insert(STALE).from_select(["requirement_id"], listed_ids(conn, ids)))


def needs_full(rule: Rule, row: MonitorRule, now: datetime, full: bool) -> bool:
    last = row.evaluated_at
    if full or row.full_pass_needed or last is None or row.changes_seen_until is None:
        return True
    if now < last:  # the clock went back (or --now in the past): trust nothing
        return True
    return rule.daily and last.astimezone(VIETNAM).date() != now.astimezone(VIETNAM).date()


def gather_changes(
    session: Session, rows: list[MonitorRule], now: datetime, touched: list[int]
) -> tuple[int, datetime]:
    """Copy into ``monitor_scope`` the requirements the rules ``rows`` evaluated
    incrementally look at, with those ``touched`` by this pass's preparation; return how
    many and the watermark."""
    since = min(r.changes_seen_until for r in rows if r.changes_seen_until) - MARGIN
    last = min(r.evaluated_at for r in rows if r.evaluated_at)
    came_due = and_(
        Requirement.status.in_(UNIT_ACTIVE),
        Requirement.deadline > last,
        Requirement.deadline <= now,
    )
    changed = union(
        select(Requirement.id).where(
            or_(
                Requirement.updated_at > since,
                came_due,
                Requirement.id.in_(bindparam("touched", touched, expanding=True)),
            )
        ),
        select(ExtensionRequest.requirement_id).where(
            or_(ExtensionRequest.created_at > since, ExtensionRequest.decided_at > since)
        ),
    )
    conn = _fresh_table(session, SCOPE)
    copied = select(*_REQUIREMENT.c).where(in_ids(_REQUIREMENT.c.id, changed))
    # Not analysed: the statements that read it are planned for a few rows anyway (nested
    # loops through indexes, see passes._planner), and the planner sizes a table that was
    # never analysed by its pages.
    done = conn.execute(insert(SCOPE).from_select([c.name for c in SCOPE.c], copied))
    return int(done.rowcount), since


@dataclass(frozen=True)
class Day:
    """Today as the rules count it: the Vietnamese date, its working-day ordinal, and the
    cut-off instants ``n`` working days back (looked up once per pass)."""

    date: date
    ordinal: int
    cutoff: Callable[[int], datetime]


def pass_day(session: Session, now: datetime) -> Day:
    today = now.astimezone(VIETNAM).date()
    ordinal = ordinal_of(session, today)
    cutoffs: dict[int, datetime] = {}

    def cutoff(days: int) -> datetime:
        if days not in cutoffs:
            cutoffs[days] = _cutoff(session, ordinal - days)
        return cutoffs[days]

    return Day(today, ordinal, cutoff)


def make_context(
    rule: Rule, row: MonitorRule, now: datetime, day: Day, since: datetime | None
) -> Context:
    """The rule's context; ``since`` is the watermark of an incremental pass (None: all)."""
    params = {**rule.defaults(), **{k: v for k, v in row.parameters.items() if k in rule.params}}
    requirement: Any = Requirement if since is None else CHANGED
    judged: Any = true()
    if since is not None and rule.narrow is not None:
        judged = rule.narrow(requirement, since)
    if rule.reads_evidence_summary:  # an anti-join: NOT IN would be costed on every probe
        waits = exists().where(STALE.c.requirement_id == requirement.id)
        judged = and_(judged, ~waits)
    changed = None if since is None else select(requirement.id).where(judged)

    def scope(column: Any) -> Any:
        return true() if changed is None else in_ids(column, changed)

    return Context(
        now, day.date, day.ordinal, params, requirement, judged, scope, day.cutoff, changed
    )


def _cutoff(session: Session, ordinal: int) -> datetime:
    """Start of the day after the last day with this ordinal (Vietnamese midnight, in UTC)."""
    last: date | None = session.scalar(
        select(func.max(WorkingDay.day)).where(WorkingDay.ordinal == ordinal)
    )
    if last is None:
        last = session.scalar(select(func.min(WorkingDay.day))) or date(1970, 1, 1)
        last -= timedelta(days=1)
    return datetime.combine(last + timedelta(days=1), time(0), VIETNAM).astimezone(UTC)
