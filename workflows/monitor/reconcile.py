"""A pass's reconciliation: every rule's hits go into one temporary table; then the flags no
longer hit are resolved and new hits open flags — set-based statements over all the rules
at once, not one round of them per rule (an incremental pass would otherwise pay for
seventeen scans of the same changed requirements)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
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
_RULES = cast(Table, MonitorRule.__table__)
#: Keyed in the order of the flags' unique index, so that a whole pass merges the two
#: without sorting hundreds of thousands of hits.
HITS = Table(
    "monitor_hit",
    MetaData(),
    Column("requirement_id", Integer, primary_key=True),
    Column("rule_id", String(32), primary_key=True),
    Column("facts", JSON),
    prefixes=["TEMPORARY"],
)
_CREATE_HITS = {
    "postgresql": "CREATE TEMPORARY TABLE IF NOT EXISTS monitor_hit (rule_id varchar(32), "
    "requirement_id integer, facts json, PRIMARY KEY (requirement_id, rule_id)) ON COMMIT DROP",
    "sqlite": "CREATE TEMPORARY TABLE IF NOT EXISTS monitor_hit (rule_id varchar(32), "
    "requirement_id integer, facts text, PRIMARY KEY (requirement_id, rule_id))",
}
Planner = Callable[[bool], None]


def start(conn: Connection) -> None:
    """An empty hits table for this pass."""
    conn.exec_driver_sql(_CREATE_HITS[conn.dialect.name])
    conn.execute(HITS.delete())


def collect_hits(conn: Connection, rule: Rule, ctx: Context) -> None:
    """Add the rule's hits to the pass's hits table."""
    found = rule.query(ctx).subquery("found")
    rows = select(literal(rule.id, String), found.c.requirement_id, found.c.facts)
    conn.execute(insert(HITS).from_select(["rule_id", "requirement_id", "facts"], rows))


def collected(conn: Connection, looked: Sequence[tuple[Rule, Context]]) -> None:
    """Every rule's hits are in: after a rule looked at every requirement (hundreds of
    thousands of hits), statistics for the planner that reconciles them."""
    if conn.dialect.name == "postgresql" and any(ctx.changed is None for _, ctx in looked):
        conn.exec_driver_sql("ANALYZE monitor_hit")


def resolve(
    conn: Connection, looked: Sequence[tuple[Rule, Context]], now: datetime, few: Planner
) -> Counter[str]:
    """Resolve the active flags the rules ``looked`` at that are no longer hit (a dismissed
    flag stays dismissed, with its resolution time); how many, by rule.

    One statement for the rules that looked at every requirement, and one for those that
    looked at the pass's changed requirements: it reads their flags once, each rule's
    only where the rule judged the row (the evidence rules leave out the requirements whose
    summary waits; a rule may narrow its rows). ``few(True)`` tunes the planner for a few
    changed rows.
    """
    whole = [rule.id for rule, ctx in looked if ctx.changed is None]
    alike: dict[Any, list[tuple[Rule, Context]]] = defaultdict(list)
    for rule, ctx in looked:
        if ctx.changed is not None:
            alike[(rule.narrow, rule.reads_evidence_summary)].append((rule, ctx))
    done: Counter[str] = Counter()
    if whole:
        few(False)
        flag = _FLAGS
        gone = and_(flag.c.rule_id.in_(whole), flag.c.resolved_at.is_(None), _unhit(flag))
        done += _resolve(conn, gone, now)
    if alike:
        few(True)
        groups = [([rule.id for rule, _ in group], group[0][1]) for group in alike.values()]
        done += _resolve(conn, _FLAGS.c.id.in_(_gone_among_changed(groups)), now)
    return done


def _gone_among_changed(groups: list[tuple[list[str], Context]]) -> Any:
    """Active flags of the changed requirements with no hit in this pass, for each group
    of rules only where its context judged the requirement (from the few changed rows to
    their flags, not the reverse)."""
    stale = aliased(_FLAGS, name="stale")
    requirement = groups[0][1].requirement
    judged = or_(*(and_(stale.c.rule_id.in_(ids), ctx.judged) for ids, ctx in groups))
    return (
        select(stale.c.id)
        .join_from(requirement, stale, stale.c.requirement_id == requirement.id)
        .where(stale.c.resolved_at.is_(None), judged, _unhit(stale))
    )


def _unhit(stale: Any) -> Any:
    return ~exists().where(
        HITS.c.rule_id == stale.c.rule_id, HITS.c.requirement_id == stale.c.requirement_id
    )


def _resolve(conn: Connection, gone: Any, now: datetime) -> Counter[str]:
    """Resolve the flags meeting ``gone``; how many, by rule."""
    flag = _FLAGS
    done = conn.execute(
        update(flag)
        .where(gone)
        .values(
            resolved_at=now,
            status=func.coalesce(func.nullif(flag.c.status, literal("open")), literal("resolved")),
        )
        .returning(flag.c.rule_id)
    )
    return Counter(rule_id for (rule_id,) in done)


def open_new(
    conn: Connection, now: datetime, *, told: bool, many: bool
) -> tuple[Counter[str], dict[str, list[Any]]]:
    """Open a flag for every hit without an active one, with its rule's severity; return
    how many by rule, and by rule the (flag id, requirement id, facts) of each when they are
    to be told — else of the first thousand only, without their facts (a first pass over
    old data opens hundreds of thousands). ``many``: a rule looked at every requirement."""
    if many and conn.dialect.name == "postgresql":
        # The hits are checked against the very table being written: a nested loop over
        # it (chosen when the flags look few, as before a first pass) would scan every
        # row inserted so far again for each of hundreds of thousands of hits.
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
    flag = _FLAGS
    active = exists().where(
        flag.c.requirement_id == HITS.c.requirement_id,
        flag.c.rule_id == HITS.c.rule_id,
        flag.c.resolved_at.is_(None),
    )
    new = (
        select(
            HITS.c.requirement_id,
            HITS.c.rule_id,
            _RULES.c.severity,
            literal("open"),
            HITS.c.facts,
            literal(now, Flag.opened_at.type),
        )
        .join_from(HITS, _RULES, _RULES.c.id == HITS.c.rule_id)
        .where(~active)
    )
    columns = ["requirement_id", "rule_id", "severity", "status", "facts", "opened_at"]
    returned = [flag.c.rule_id, flag.c.requirement_id, flag.c.id]
    inserted = conn.execute(
        insert(flag)
        .from_select(columns, new)
        .returning(*returned, *([flag.c.facts] if told else []))
    )
    counts: Counter[str] = Counter()
    opened: dict[str, list[Any]] = defaultdict(list)
    for seen, (rule_id, requirement_id, flag_id, *facts) in enumerate(inserted):
        counts[rule_id] += 1
        if told or seen < 1000:
            opened[rule_id].append((flag_id, requirement_id, facts[0] if facts else None))
    if many and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_nestloop = on")
    return counts, opened


def notify(session: Session, rule: Rule, row: MonitorRule, ctx: Context, opened: list[Any]) -> None:
    """Tell of the rule's flags just opened, all in one go (a pass may open hundreds)."""
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
