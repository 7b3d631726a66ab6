"""Definitions and instances in the database: versions, projection, locking, timers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, ProcessDefinition, ProcessInstance, UserTask
from workflows import definitions, instances
from workflows.engine.errors import BpmnRefused, TaskNotReady
from workflows.timers import fire_due_timers

REQUIREMENT = (definitions.SHIPPED / "requirement.bpmn").read_bytes()


@pytest.fixture
def deployed(session):
    return {d.definition.key: d.definition for d in definitions.deploy_shipped(session)}


def _start(session, bodies, days=30.0):
    deadline = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    return instances.start(
        session,
        "requirement",
        ("requirement", 1),
        {"officer": bodies[0].id, "supervisor": bodies[1].id},
        {"requirement_id": 1, "deadline": deadline},
    )


def _tasks(session, row):
    return session.execute(
        select(UserTask.name, UserTask.role, UserTask.body_id).where(UserTask.instance_id == row.id)
    ).all()


def test_every_shipped_model_deploys_as_version_one(deployed):
    assert set(deployed) == {"requirement", "conclusion", "referral", "accountability"}
    assert {d.version for d in deployed.values()} == {1}


def test_deploying_identical_content_twice_creates_no_new_version(session, deployed):
    again = definitions.deploy(session, REQUIREMENT)
    assert not again.created and again.definition.id == deployed["requirement"].id


def test_changed_content_is_a_new_version_and_running_instances_stay(session, deployed, make_body):
    running = _start(session, [make_body(), make_body()])
    changed = REQUIREMENT.replace(b"Acknowledge requirement", b"Acknowledge the requirement")
    v2 = definitions.deploy(session, changed)
    assert v2.created and v2.definition.version == 2
    session.refresh(running.row)
    assert running.row.definition_id == deployed["requirement"].id
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "definition.deployed",
            AuditEvent.subject_id == str(v2.definition.id),
        )
    )


def test_a_refused_model_stores_nothing(session, deployed):
    bad = REQUIREMENT.replace(b'id="set_status"', b'id="format_disk"', 1)
    before = session.scalar(select(func.count()).select_from(ProcessDefinition))
    with pytest.raises(BpmnRefused) as refused:
        definitions.deploy(session, bad)
    assert any("format_disk" in p.message for p in refused.value.problems)
    assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == before


def test_a_model_deployed_under_another_key_is_refused(session):
    with pytest.raises(BpmnRefused, match="give the process the id 'conclusion'"):
        definitions.deploy(session, REQUIREMENT, expected_key="conclusion")


def test_a_new_instance_puts_the_acknowledgement_in_the_units_inbox(session, deployed, make_body):
    unit, supervisor = make_body(), make_body()
    running = _start(session, [unit, supervisor])
    assert _tasks(session, running.row) == [("acknowledge", "officer", unit.id)]
    assert running.row.next_timer_at is None


def test_state_is_stored_compressed_without_the_spec(session, deployed, make_body):
    running = _start(session, [make_body(), make_body()])
    assert len(running.row.state) <= 4096
    assert b"spec" not in running.row.state  # compressed bytes, not JSON text


def test_completing_tasks_moves_the_projection_and_arms_the_deadline(session, deployed, make_body):
    unit, supervisor = make_body(), make_body()
    row = _start(session, [unit, supervisor], days=10).row
    for name in ("acknowledge", "submit_plan"):
        task_id = session.scalar(
            select(UserTask.task_id).where(UserTask.instance_id == row.id, UserTask.name == name)
        )
        instances.complete_task(session, row.id, task_id, {})
    assert _tasks(session, row) == [("remediate", "officer", unit.id)]
    assert row.next_timer_at is not None
    assert abs((row.next_timer_at - datetime.now(UTC)) - timedelta(days=10)) < timedelta(minutes=1)


def test_a_stale_lock_version_is_refused_and_changes_nothing(session, deployed, make_body):
    row = _start(session, [make_body(), make_body()]).row
    seen = row.lock_version
    task_id = session.scalar(select(UserTask.task_id).where(UserTask.instance_id == row.id))
    instances.complete_task(session, row.id, task_id, {}, lock_version=seen)
    state = row.state
    with pytest.raises(instances.StaleInstance, match="Reload"):
        instances.complete_task(session, row.id, task_id, {}, lock_version=seen)
    assert row.state == state


def test_completing_a_task_that_is_no_longer_ready_is_refused(session, deployed, make_body):
    row = _start(session, [make_body(), make_body()]).row
    task_id = session.scalar(select(UserTask.task_id).where(UserTask.instance_id == row.id))
    instances.complete_task(session, row.id, task_id, {})
    with pytest.raises(TaskNotReady):
        instances.complete_task(session, row.id, task_id, {})


def test_due_timers_fire_and_only_due_instances_are_loaded(committed):
    now = datetime.now(UTC)
    due = committed.start(days=1, into_remediation=True)
    later = committed.start(days=30, into_remediation=True)
    not_started = committed.start(days=1)  # no timer armed before remediation
    result = fire_due_timers(committed.factory, now + timedelta(days=2))
    assert result.fired == [due] and result.failed == {}
    with committed.factory() as s:
        assert s.get(ProcessInstance, due).next_timer_at is None
        assert s.get(ProcessInstance, later).next_timer_at > now + timedelta(days=29)
        assert s.get(ProcessInstance, not_started).next_timer_at is None
    assert fire_due_timers(committed.factory, now + timedelta(days=2)).fired == []


def test_two_threads_completing_one_task_lose_nothing(committed):
    instance_id = committed.start(days=30)
    with committed.factory() as s:
        row = s.get(ProcessInstance, instance_id)
        seen = row.lock_version
        task_id = s.scalar(select(UserTask.task_id).where(UserTask.instance_id == row.id))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act() -> None:
        with committed.factory() as s:
            barrier.wait()
            try:
                with s.begin():
                    instances.complete_task(s, instance_id, task_id, {}, lock_version=seen)
                outcomes.append("won")
            except (instances.StaleInstance, TaskNotReady) as exc:
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=act) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("won") == 1, outcomes
    with committed.factory() as s:
        assert [
            t.name for t in s.scalars(select(UserTask).where(UserTask.instance_id == instance_id))
        ] == ["submit_plan"]
