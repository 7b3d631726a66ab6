"""Which requirements a rule looks at in this pass, and the context its query gets.

A rule looks at every requirement when a full pass is due (first pass, ``--full``, new
parameters or calendar, the clock going back, or — for rules counting working days — a new
day). Otherwise it looks at the requirements in ``monitor_scope``: those changed since the
rules' watermark (less a margin for transactions still open then) and those whose deadline
passed since the last pass. The ids are gathered once per pass into that temporary table.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from db.models import ExtensionRequest, Requirement
from db.models.monitor import MonitorRule, WorkingDay
from workflows.conclusions import VIETNAM
from workflows.monitor.registry import Context, Rule
from workflows.monitor.rules_slow import UNIT_ACTIVE
from workflows.monitor.sql import in_ids
from workflows.monitor.working_days import ordinal_of

#: Changes made this long before a pass may still have been uncommitted when it started.
MARGIN = timedelta(minutes=5)
SCOPE = Table(
    "monitor_scope",
    MetaData(),
    Column("requirement_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)
#: Requirements whose evidence summary this pass left for a later one.
STALE = Table(
    "monitor_stale",
    MetaData(),
    Column("requirement_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)
_CREATE = {
    "postgresql": "CREATE TEMPORARY TABLE IF NOT EXISTS {} "
    "(requirement_id integer PRIMARY KEY) ON COMMIT DROP",
    "sqlite": "CREATE TEMPORARY TABLE IF NOT EXISTS {} (requirement_id integer PRIMARY KEY)",
}


def _fresh_table(session: Session, table: Table) -> Any:
    conn = session.connection()
    conn.exec_driver_sql(_CREATE[conn.dialect.name].format(table.name))
    conn.execute(table.delete())
    return conn


def note_stale(session: Session, ids: list[int]) -> None:
    """Remember the requirements whose evidence facts wait for a later pass."""
    conn = _fresh_table(session, STALE)
    if ids:
        conn.execute(insert(STALE), [{"requirement_id": i} for i in ids])


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
    """Fill ``monitor_scope`` for the rules ``rows`` evaluated incrementally, adding the
    requirements ``touched`` by this pass's preparation; return its size and watermark."""
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
    conn.execute(insert(SCOPE).from_select(["requirement_id"], changed))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE monitor_scope")  # so plans fit the few rows it holds
    return int(conn.execute(select(func.count()).select_from(SCOPE)).scalar_one()), since


def make_context(
    session: Session, rule: Rule, row: MonitorRule, now: datetime, since: datetime | None
) -> Context:
    """The rule's context; ``since`` is the watermark of an incremental pass (None: all)."""
    today = now.astimezone(VIETNAM).date()
    today_ordinal = ordinal_of(session, today)
    params = {**rule.defaults(), **{k: v for k, v in row.parameters.items() if k in rule.params}}
    cutoffs: dict[int, datetime] = {}
    changed = None if since is None else _changed(rule, since)

    waiting = select(STALE.c.requirement_id) if rule.reads_evidence_summary else None

    def scope(column: Any) -> Any:
        looked_at = true() if changed is None else in_ids(column, changed)
        return looked_at if waiting is None else and_(looked_at, column.not_in(waiting))

    def cutoff(days: int) -> datetime:
        if days not in cutoffs:
            cutoffs[days] = _cutoff(session, today_ordinal - days)
        return cutoffs[days]

    return Context(now, today, today_ordinal, params, scope, cutoff, changed)


def _changed(rule: Rule, since: datetime) -> Any:
    ids = select(SCOPE.c.requirement_id)
    if rule.narrow is None:
        return ids
    joined = ids.join(Requirement, Requirement.id == SCOPE.c.requirement_id)
    return joined.where(rule.narrow(since))


def _cutoff(session: Session, ordinal: int) -> datetime:
    """Start of the day after the last day with this ordinal (Vietnamese midnight, in UTC)."""
    last: date | None = session.scalar(
        select(func.max(WorkingDay.day)).where(WorkingDay.ordinal == ordinal)
    )
    if last is None:
        last = session.scalar(select(func.min(WorkingDay.day))) or date(1970, 1, 1)
        last -= timedelta(days=1)
    return datetime.combine(last + timedelta(days=1), time(0), VIETNAM).astimezone(UTC)
