"""Saving an instance with core statements keeps every guarantee of the unit of work:
optimistic locking, one transaction, and a loaded row that says what the database holds."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from db.audit import record, verify_chain
from db.models import AuditEvent, ProcessInstance, UserTask
from workflows import definitions, instances
from workflows import requirements as verbs
from workflows.engine import runner


@pytest.fixture
def started(session):
    definitions.deploy_shipped(session)
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return instances.start(
        session, "requirement", ("requirement", 1), {}, {"requirement_id": 1, "deadline": deadline}
    ).row


def _task(session, instance_id):
    return session.scalar(select(UserTask.task_id).where(UserTask.instance_id == instance_id))


@contextmanager
def _statements(session):
    """The SQL the session's connection runs inside the block."""
    seen: list[str] = []
    conn = session.connection()

    def listen(*args):
        seen.append(args[2])

    event.listen(conn, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", listen)


def _rows(factory, instance_id):
    with factory() as s:
        row = s.get(ProcessInstance, instance_id)
        tasks = s.scalars(select(UserTask.name).where(UserTask.instance_id == instance_id))
        return row.lock_version, row.state, list(tasks), s.scalar(select(func.count(AuditEvent.id)))


def test_a_save_from_an_outdated_load_is_stale_and_writes_nothing(committed):
    """Loaded, then someone else saved: the core UPDATE matches no row and nothing is written."""
    instance_id = committed.start(days=30)
    with committed.factory() as mine:
        running = instances.load(mine, instance_id)
        mine.commit()  # the page was shown; the user takes a while
        with committed.factory.begin() as theirs:
            instances.complete_task(theirs, instance_id, _task(theirs, instance_id), {})
        before = _rows(committed.factory, instance_id)
        runner.complete(running.workflow, next(iter(running.projected)), {})
        with pytest.raises(instances.StaleInstance), mine.begin():
            instances.save(mine, running)
    assert _rows(committed.factory, instance_id) == before
    assert before[2] == ["submit_plan"]


def test_a_save_moves_the_lock_version_of_the_loaded_row_without_a_flush(session, started):
    seen = started.lock_version
    task_id = _task(session, started.id)
    with _statements(session) as updates:
        instances.complete_task(session, started.id, task_id, {})
        assert not session.dirty  # nothing left for the unit of work
    assert sum(s.startswith("UPDATE process_instance") for s in updates) == 1
    assert started.lock_version == seen + 1
    stored = session.execute(
        select(ProcessInstance.lock_version, ProcessInstance.state).where(
            ProcessInstance.id == started.id
        )
    ).one()
    assert tuple(stored) == (started.lock_version, started.state)


def test_the_next_save_in_the_same_transaction_is_not_stale(session, started):
    for name in ("acknowledge", "submit_plan"):
        task_id = session.scalar(
            select(UserTask.task_id).where(
                UserTask.instance_id == started.id, UserTask.name == name
            )
        )
        instances.complete_task(session, started.id, task_id, {}, lock_version=started.lock_version)
    assert [t for t in session.scalars(select(UserTask.name))] == ["remediate"]


def test_a_rolled_back_savepoint_leaves_the_loaded_row_as_stored(session, started):
    seen, state = started.lock_version, started.state
    task_id = _task(session, started.id)
    with pytest.raises(RuntimeError), session.begin_nested():
        instances.complete_task(session, started.id, task_id, {})
        raise RuntimeError("the caller failed after the save")
    assert (started.lock_version, started.state) == (seen, state)
    instances.complete_task(session, started.id, task_id, {}, lock_version=seen)
    assert started.lock_version == seen + 1


def test_an_audit_record_is_stored_as_returned_and_chained(session):
    first = record(session, "test.first", ("thing", 1), payload={"n": 1})
    second = record(session, "test.second", ("thing", 2), payload={"n": 2})
    stored = session.get(AuditEvent, second.id)
    assert stored is not None and stored is not second
    assert (stored.seq, stored.prev_hash, stored.hash) == (first.seq + 1, first.hash, second.hash)
    assert verify_chain(session)[1] is None


def test_a_verb_reads_the_requirement_with_its_process_in_one_query(
    session, cast, make_requirement
):
    req = make_requirement()
    req_id = req.id
    session.commit()
    session.expire_all()
    officer = cast.officer
    assert officer.roles  # the request's user is loaded before the verb runs
    with _statements(session) as statements:
        verbs.acknowledge_requirement(session, officer, req_id)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    # The requirement with its process in one query; the task comes from the loaded process.
    assert sum("FROM requirement" in s for s in reads) == 1
    assert not any("FROM user_task" in s for s in reads)
    assert req.status == "acknowledged"


def test_concurrent_writers_append_one_unbroken_audit_chain(committed):
    """The head is read under the chain's lock (one round trip on PostgreSQL), so writers
    racing in separate transactions never fork the chain."""
    barrier, failures = threading.Barrier(3), []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with committed.factory.begin() as s:
                    record(s, "test.race", ("writer", n), payload={"i": i})
        except Exception as exc:  # noqa: BLE001 — reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    with committed.factory() as s:
        assert verify_chain(s) == (45, None)
