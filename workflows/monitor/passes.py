"""One monitor pass: prepare what rules share, collect each enabled rule's hits, then reconcile
the flags of all of them at once.

A pass is one transaction. On PostgreSQL it runs only if no other pass does (a try-lock:
another scheduler process skips rather than waits) and claims the rules' rows with
``FOR UPDATE SKIP LOCKED``; on SQLite the single writer lock does the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from db.models.monitor import MonitorRule
from workflows.conclusions import VIETNAM
from workflows.monitor import evidence_facts, reconcile
from workflows.monitor.registry import Rule, all_rules, ensure_rules
from workflows.monitor.scope import (
    gather_changes,
    make_context,
    needs_full,
    note_stale,
    pass_day,
)
from workflows.monitor.signatures import sign_missing
from workflows.monitor.working_days import ensure_working_days, rebuild_working_days

WORK_MEM = "64MB"
#: Reports signed per pass at most: a burst is worked off over the next passes, and the
#: copied-report rule looks at each requirement again once its reports are signed.
SIGN_PER_PASS = 200
#: Evidence summaries redone per pass at most (the rest wait, see ``scope.note_stale``).
SUMMARIES_PER_PASS = 500
_PASS_LOCK = 0x5245_4D4E  # "REMN": one monitor pass at a time


@dataclass
class PassResult:
    """What one pass did, rule by rule."""

    now: datetime
    opened: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    full: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    signed: int = 0
    #: Requirements looked at by the rules evaluated incrementally.
    changed: int = 0
    #: (rule, requirement) of flags opened, the first thousand.
    new_flags: list[tuple[str, int]] = field(default_factory=list)
    #: Seconds each rule took, and the preparation.
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_opened(self) -> int:
        return sum(self.opened.values())

    @property
    def total_resolved(self) -> int:
        return sum(self.resolved.values())


def run_pass(
    session_factory: sessionmaker[Session],
    now: datetime,
    *,
    full: bool = False,
    only: tuple[str, ...] = (),
    notify: bool = True,
) -> PassResult:
    """Evaluate every enabled rule (or only ``only``) at ``now`` and commit.

    ``notify=False`` opens flags without telling anyone: for a first pass over a database
    of old requirements, which would otherwise announce years of history at once.
    """
    with session_factory.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Everything a pass writes is derived from the tables it reads (flags,
            # summaries, signatures, the watermark, the news of new flags), so its commit
            # need not wait for the disk: a crash in that moment loses a pass that the
            # next one redoes.
            session.execute(text("SET LOCAL synchronous_commit = off"))
        return run_in_session(session, now, full=full, only=only, notify=notify)


def run_in_session(
    session: Session,
    now: datetime,
    *,
    full: bool = False,
    only: tuple[str, ...] = (),
    notify: bool = True,
) -> PassResult:
    """The pass inside the caller's transaction (flushes, never commits)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    result, started, wall = PassResult(now=now), perf_counter(), utcnow()
    if not _try_lock(session):
        result.skipped.append("(another pass is running)")
        return result
    touched = _prepare(session, now, full, result)
    rows = _claim(session, ensure_rules(session), only, result)
    rules = all_rules()
    whole = {row.id: needs_full(rules[row.id], row, now, full) for row in rows}
    incremental = [row for row in rows if not whole[row.id]]
    since = None
    if incremental:
        result.changed, since = gather_changes(session, incremental, now, touched)
    result.seconds["(prepare)"] = perf_counter() - started
    _reconcile(session, rules, rows, whole, since, now, result, notify)
    for row in rows:
        row.changes_seen_until, row.evaluated_at, row.full_pass_needed = wall, now, False
    session.flush()
    _restore(session)
    return result


def _try_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PASS_LOCK})
    # Hash joins over a million rows stay in memory instead of spilling to disk, and an
    # incremental pass reaches its few thousand rows through indexes (the tables are
    # cached: a random read costs about what a sequential one does).
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    session.execute(text("SET LOCAL random_page_cost = 1.1"))
    # Compiling a statement to machine code costs up to 0.2 s and is chosen by cost
    # estimates, which the planner switches below inflate: the pass's statements are
    # index lookups or plain scans that gain little from it.
    session.execute(text("SET LOCAL jit = off"))
    return bool(got.scalar_one())


def _restore(session: Session) -> None:
    """Planner settings back to normal for whatever else the caller's transaction does."""
    if session.get_bind().dialect.name == "postgresql":
        for setting in (
            "work_mem",
            "random_page_cost",
            "jit",
            "enable_nestloop",
            "enable_hashjoin",
            "enable_mergejoin",
        ):
            session.execute(text(f"SET LOCAL {setting} TO DEFAULT"))


def _prepare(session: Session, now: datetime, full: bool, result: PassResult) -> list[int]:
    """The calendar table, report signatures and evidence facts the rules read; return the
    requirements whose signatures or evidence facts changed (the rules look at them)."""
    if full:
        rebuild_working_days(session)
    ensure_working_days(session, now.astimezone(VIETNAM).date())
    started = perf_counter()
    result.signed, signed = sign_missing(session, limit=SIGN_PER_PASS)
    result.seconds["(prepare: signatures)"] = perf_counter() - started
    started = perf_counter()
    summed, stale = evidence_facts.refresh(session, limit=SUMMARIES_PER_PASS)
    note_stale(session, stale)
    result.seconds["(prepare: evidence)"] = perf_counter() - started
    return sorted(set(signed) | set(summed))


def _claim(
    session: Session, known: dict[str, MonitorRule], only: tuple[str, ...], result: PassResult
) -> list[MonitorRule]:
    """The enabled rules' rows, locked for this pass (those locked elsewhere are skipped)."""
    wanted = sorted(r.id for r in known.values() if r.enabled and (not only or r.id in only))
    stmt = select(MonitorRule).where(MonitorRule.id.in_(wanted)).order_by(MonitorRule.id)
    rows = list(session.scalars(stmt.with_for_update(skip_locked=True)))
    result.skipped += sorted(set(wanted) - {r.id for r in rows})
    return rows


def _reconcile(
    session: Session,
    rules: Mapping[str, Rule],
    rows: list[MonitorRule],
    whole: dict[str, bool],
    since: datetime | None,
    now: datetime,
    result: PassResult,
    notify: bool,
) -> None:
    """Collect every rule's hits, then resolve and open flags for all of them at once."""
    conn = session.connection()
    few = _planner(conn)
    reconcile.start(conn)
    day = pass_day(session, now)
    looked = []
    for row in rows:
        started = perf_counter()
        rule = rules[row.id]
        ctx = make_context(rule, row, now, day, None if whole[row.id] else since)
        few(ctx.changed is not None)
        reconcile.collect_hits(conn, rule, ctx)
        looked.append((rule, ctx))
        if ctx.changed is None:
            result.full.append(rule.id)
        result.seconds[row.id] = perf_counter() - started
    started = perf_counter()
    reconcile.collected(conn, looked)
    resolved = reconcile.resolve(conn, looked, now, few)
    result.seconds["(resolve)"] = perf_counter() - started
    started = perf_counter()
    many = any(ctx.changed is None for _, ctx in looked)
    few(not many)
    counts, opened = reconcile.open_new(conn, now, told=notify, many=many)
    result.seconds["(open)"] = perf_counter() - started
    started = perf_counter()
    for (rule, ctx), row in zip(looked, rows, strict=True):
        mine = opened.get(rule.id, [])
        result.resolved[rule.id], result.opened[rule.id] = resolved[rule.id], counts[rule.id]
        room = 1000 - len(result.new_flags)
        result.new_flags += [(rule.id, requirement_id) for _, requirement_id, _ in mine[:room]]
        if notify and mine:
            reconcile.notify(session, rule, row, ctx, mine)
    if notify:
        result.seconds["(notify)"] = perf_counter() - started


def _planner(conn: Any) -> reconcile.Planner:
    """A switch between plans for a few changed rows and plans for every row."""
    if conn.dialect.name != "postgresql":
        return lambda few: None

    def few_rows(few: bool) -> None:
        # An incremental pass reaches a few thousand changed rows through indexes; the
        # planner, misled by tables filled moments ago, would hash a million instead.
        setting = "off" if few else "on"
        conn.exec_driver_sql(f"SET LOCAL enable_hashjoin = {setting}")
        conn.exec_driver_sql(f"SET LOCAL enable_mergejoin = {setting}")

    return few_rows


def rule_statement(session: Session, rule_id: str, now: datetime) -> Select[Any]:
    """The query a full pass of ``rule_id`` runs (for EXPLAIN in the benchmark)."""
    rule, row = all_rules()[rule_id], ensure_rules(session)[rule_id]
    note_stale(session, [])  # the (empty) table the evidence rules consult
    return rule.query(make_context(rule, row, now, pass_day(session, now), None))
