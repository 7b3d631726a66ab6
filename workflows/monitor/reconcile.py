"""One rule's evaluation: its hits go into a temporary table once; flags no longer hit are
resolved and new hits open flags — each one set-based statement over the rule's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import JSON

from db.models.monitor import Flag, MonitorRule
from workflows.monitor.registry import Context, Rule
from workflows.notifications import notify_each

_FLAGS = cast(Table, Flag.__table__)
HITS = Table(
    "monitor_hit",
    MetaData(),
    Column("requirement_id", Integer, primary_key=True),
    Column("facts", JSON),
    prefixes=["TEMPORARY"],
)
_CREATE_HITS = {
    "postgresql": "CREATE TEMPORARY TABLE IF NOT EXISTS monitor_hit "
    "(requirement_id integer PRIMARY KEY, facts json) ON COMMIT DROP",
    "sqlite": "CREATE TEMPORARY TABLE IF NOT EXISTS monitor_hit "
    "(requirement_id integer PRIMARY KEY, facts text)",
}


def collect_hits(conn: Connection, rule: Rule, ctx: Context) -> None:
    """Replace the temporary table's rows with the rule's hits."""
    conn.exec_driver_sql(_CREATE_HITS[conn.dialect.name])
    conn.execute(HITS.delete())
    conn.execute(insert(HITS).from_select(["requirement_id", "facts"], rule.query(ctx)))


def resolve(conn: Connection, rule: Rule, ctx: Context, now: datetime) -> int:
    """Resolve the rule's active flags in scope that are no longer hit (a dismissed flag
    stays dismissed, with its resolution time)."""
    flag, stale = _FLAGS, aliased(_FLAGS, name="stale")
    gone = select(stale.c.id).where(
        stale.c.rule_id == rule.id,
        stale.c.resolved_at.is_(None),
        ~exists().where(HITS.c.requirement_id == stale.c.requirement_id),
    )
    if ctx.changed is not None:  # from the few changed rows to their flags, not the reverse
        gone = gone.where(ctx.scope(stale.c.requirement_id))
    done = conn.execute(
        update(flag)
        .where(flag.c.id.in_(gone))
        .values(
            resolved_at=now,
            status=func.coalesce(func.nullif(flag.c.status, literal("open")), literal("resolved")),
        )
    )
    return int(done.rowcount or 0)


def open_new(conn: Connection, rule: Rule, row: MonitorRule, now: datetime) -> list[Any]:
    """Open a flag for every hit without an active one; (flag id, requirement id, facts)
    of each."""
    flag = _FLAGS
    active = exists().where(
        flag.c.requirement_id == HITS.c.requirement_id,
        flag.c.rule_id == rule.id,
        flag.c.resolved_at.is_(None),
    )
    new = select(
        HITS.c.requirement_id,
        literal(rule.id),
        literal(row.severity),
        literal("open"),
        HITS.c.facts,
        literal(now, Flag.opened_at.type),
    ).where(~active)
    columns = ["requirement_id", "rule_id", "severity", "status", "facts", "opened_at"]
    inserted = conn.execute(
        insert(flag)
        .from_select(columns, new)
        .returning(flag.c.id, flag.c.requirement_id, flag.c.facts)
    )
    return list(inserted)


def notify(session: Session, rule: Rule, row: MonitorRule, ctx: Context, opened: list[Any]) -> None:
    """Tell of the flags just opened, all in one go (a pass may open hundreds)."""
    extra = {"share": ctx.params["share"]} if rule.event == "deadline.approaching" else {}
    common = {"rule": rule.id, "severity": row.severity, **extra}
    notify_each(
        session,
        rule.event,
        [
            (("requirement", requirement_id), {**common, "flag": flag_id, "facts": facts})
            for flag_id, requirement_id, facts in opened
        ],
    )
