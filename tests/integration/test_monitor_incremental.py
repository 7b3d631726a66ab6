"""An incremental pass leaves exactly the flags a full pass would: after it, a full pass at
the same moment opens and resolves nothing.

The incremental pass judges a copy of the changed requirements (``monitor_scope``) and
resolves their flags in one statement; these tests hold that to the full pass, which reads
the tables themselves — on the demo (every rule planted, changed through the real verbs)
and on the benchmark's generated data (PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from db.models import Requirement, User
from db.models.monitor import Flag
from workflows import requirements as verbs
from workflows import verification
from workflows.inputs import ReportInput
from workflows.monitor import PassResult, run_pass
from workflows.monitor.passes import run_in_session


def _active(session) -> Counter[str]:
    rows = session.execute(select(Flag.rule_id).where(Flag.resolved_at.is_(None)))
    return Counter(rule for (rule,) in rows)


def _nothing_left(result: PassResult) -> dict[str, tuple[int, int]]:
    """What a full pass still changed, by rule: (opened, resolved); empty when nothing."""
    return {
        rule: (result.opened.get(rule, 0), result.resolved.get(rule, 0))
        for rule in set(result.opened) | set(result.resolved)
        if result.opened.get(rule) or result.resolved.get(rule)
    }


def _user(session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def test_after_the_verbs_change_the_demo_a_full_pass_finds_nothing_more(session, tmp_path):
    from workflows.demo import load_demo

    load_demo(session, tmp_path)  # plants every rule and runs the first (whole) pass
    officer, supervisor = _user(session, "canbo.bd"), _user(session, "giamsat.hn")
    mine = session.scalars(
        select(Requirement).where(Requirement.responsible_body_id == officer.body_id)
    ).all()
    changed = Counter()
    for req in mine:
        status = req.status
        if status == "issued":
            verbs.acknowledge_requirement(session, officer, req.id)
        elif status in ("in_progress", "planned", "returned", "overdue"):
            report = ReportInput("Đã triển khai thêm một phần việc.", 70, None, ())
            verbs.report_progress(session, officer, req.id, report)
        elif status == "pending_verification":
            verification.verify_requirement(session, supervisor, req.id, "implemented")
        else:
            continue
        changed[status] += 1
    assert changed["issued"] and changed["pending_verification"], changed
    session.flush()
    before = _active(session)
    now = datetime.now(UTC) + timedelta(minutes=1)

    incremental = run_in_session(session, now)
    assert not incremental.full, "every rule should have looked only at what changed"
    assert incremental.changed >= sum(changed.values())
    assert incremental.total_resolved > 0 and _active(session) != before

    full = run_in_session(session, now, full=True)
    assert _nothing_left(full) == {}


def test_after_a_change_to_generated_data_a_full_pass_finds_nothing_more(pg_url):
    """The benchmark's data trips every rule at scale; 10 % of it changes as in the bench."""
    from db.engine import make_engine, make_session_factory
    from db.migrate import upgrade
    from tests.conftest import PG_ADMIN_URL
    from workflows.bench import temporary_postgres
    from workflows.bench_monitor import backfill
    from workflows.bench_monitor_data import CHANGE_SQL, generate

    with temporary_postgres(PG_ADMIN_URL) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            generate(engine, 4000, 800)
            factory = make_session_factory(engine)
            backfill(factory)
            first = run_pass(factory, datetime.now(UTC), notify=False)
            assert len(first.full) == len(first.opened) and first.total_opened > 500
            with engine.begin() as conn:
                for statement in CHANGE_SQL:
                    conn.execute(text(statement), {"n": 400, "now": datetime.now(UTC)})
            now = datetime.now(UTC)
            incremental = run_pass(factory, now, notify=False)
            assert not incremental.full and incremental.changed >= 300
            assert incremental.total_opened > 0 and incremental.total_resolved > 0
            full = run_pass(factory, now, full=True, notify=False)
            assert _nothing_left(full) == {}
        finally:
            engine.dispose()
