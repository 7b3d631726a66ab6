"""Moving running requirement instances to a new version: the preview says which can move
and why not, a bulk migration moves those and leaves every other one exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from db.models import AuditEvent, InstanceMigration, ProcessInstance, Requirement, UserTask
from tests.integration import designer_support as models
from workflows import definitions, instances, migration
from workflows import requirements as verbs
from workflows.engine import runner
from workflows.errors import NotAllowed, NotFound


@pytest.fixture
def designer(make_user: Any, cast: Any) -> Any:
    # The commission supervises the unit: every requirement of the cast is in reach.
    return make_user(body=cast.commission, roles=("designer",))


@pytest.fixture
def stages(session: Any, cast: Any, make_requirement: Any) -> dict[str, Requirement]:
    """Three requirements on version 1: waiting for acknowledgement, for a plan, in remediation."""
    waiting, planning, remediating = (make_requirement() for _ in range(3))
    verbs.acknowledge_requirement(session, cast.officer, planning.id)
    verbs.acknowledge_requirement(session, cast.officer, remediating.id)
    verbs.submit_plan(session, cast.officer, remediating.id, "Recover the funds by June.")
    return {"acknowledge": waiting, "submit_plan": planning, "remediate": remediating}


def deploy(session: Any, xml: bytes) -> Any:
    return definitions.deploy(session, xml, expected_key="requirement").definition


def instance(session: Any, req: Requirement) -> ProcessInstance:
    row = session.get(ProcessInstance, req.process_instance_id)
    session.refresh(row)
    return row


def snapshot(session: Any, req: Requirement) -> tuple[Any, ...]:
    row = instance(session, req)
    tasks = session.execute(
        select(UserTask.task_id, UserTask.name).where(UserTask.instance_id == row.id)
    ).all()
    return row.definition_id, row.lock_version, row.state, row.next_timer_at, sorted(tasks)


def test_the_preview_says_which_instances_can_move_and_why_not(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.with_plan_review(models.with_escalating_overdue()))
    preview = migration.preview(session, designer, "requirement", v2.version)

    by_instance = {c.instance_id: c for c in preview.candidates}
    assert len(by_instance) == 3 and preview.outside_reach == 0
    waiting = by_instance[stages["acknowledge"].process_instance_id]
    remediating = by_instance[stages["remediate"].process_instance_id]
    planning = by_instance[stages["submit_plan"].process_instance_id]
    assert waiting.can_move and waiting.waiting_at == ("Acknowledge requirement",)
    # notify_overdue changed, but nothing waits on it: the remediating instance can move
    assert remediating.can_move
    assert not planning.can_move
    (blocker,) = planning.blockers
    assert (blocker.code, blocker.element_id, blocker.state) == ("changed", "submit_plan", "ready")
    assert blocker.what == ("outputs",)


def test_bulk_migration_moves_what_can_move_and_leaves_the_rest_untouched(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v1 = instance(session, stages["acknowledge"]).definition
    v2 = deploy(session, models.with_plan_review(models.with_escalating_overdue()))
    before = snapshot(session, stages["submit_plan"])
    ids = [r.process_instance_id for r in stages.values()]

    outcome = migration.migrate(session, designer, "requirement", v2.version, ids)

    moved = {stages["acknowledge"].process_instance_id, stages["remediate"].process_instance_id}
    assert set(outcome.moved) == moved
    assert [c.instance_id for c in outcome.refused] == [stages["submit_plan"].process_instance_id]
    assert snapshot(session, stages["submit_plan"]) == before
    for req in (stages["acknowledge"], stages["remediate"]):
        row = instance(session, req)
        assert row.definition_id == v2.id and row.lock_version >= 2
    rows = session.scalars(select(InstanceMigration).order_by(InstanceMigration.instance_id)).all()
    assert {(r.instance_id, r.from_definition_id, r.to_definition_id) for r in rows} == {
        (i, v1.id, v2.id) for i in moved
    }
    audited = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "instance.migrated")
    ).all()
    assert {int(e.subject_id) for e in audited} == moved
    assert all(e.actor_id == designer.id and e.payload["to"] == 2 for e in audited)


def test_a_moved_instance_takes_the_new_path_and_the_supervisor_gets_the_new_task(
    session: Any, cast: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.with_plan_review())
    req = stages["acknowledge"]
    migration.migrate(session, designer, "requirement", v2.version, [req.process_instance_id])

    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Recover the funds by June.")

    tasks = session.execute(
        select(UserTask.name, UserTask.role, UserTask.body_id).where(
            UserTask.instance_id == req.process_instance_id
        )
    ).all()
    assert [tuple(t) for t in tasks] == [("review_plan", "supervisor", cast.commission.id)]


def test_a_moved_instance_keeps_its_armed_deadline_and_escalates_when_it_passes(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    req = stages["remediate"]
    due = instance(session, req).next_timer_at
    v2 = deploy(session, models.with_escalating_overdue())
    outcome = migration.migrate(
        session, designer, "requirement", v2.version, [req.process_instance_id]
    )
    assert outcome.moved == [req.process_instance_id]
    assert instance(session, req).next_timer_at == due  # not re-armed from now

    with instances.advancing(session, req.process_instance_id) as running:
        runner.fire_timers(running.workflow, due + timedelta(seconds=1))
    assert [e.operation for e in running.effects] == ["set_status", "escalate"]
    assert running.effects[1].params == {"level": 1}
    session.refresh(req)
    assert req.status == "overdue"


def test_an_instance_waiting_on_a_changed_timer_cannot_move(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.with_duration_deadline())
    req = stages["remediate"]
    before = snapshot(session, req)
    outcome = migration.migrate(
        session, designer, "requirement", v2.version, [req.process_instance_id]
    )
    (refused,) = outcome.refused
    assert [(b.code, b.element_id, b.state) for b in refused.blockers] == [
        ("changed", "ev_deadline", "waiting")
    ]
    assert snapshot(session, req) == before


def test_an_instance_waiting_on_a_removed_task_cannot_move(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.without_acknowledge())
    preview = migration.preview(session, designer, "requirement", v2.version)
    by_instance = {c.instance_id: c for c in preview.candidates}
    waiting = by_instance[stages["acknowledge"].process_instance_id]
    assert [(b.code, b.element_id) for b in waiting.blockers] == [("removed", "acknowledge")]
    # past the removed step: the stored history no longer names it (finished history is
    # compacted away), so the instance moves and reads back against version 2
    later = stages["remediate"].process_instance_id
    assert by_instance[later].can_move
    outcome = migration.migrate(session, designer, "requirement", v2.version, by_instance)
    assert later in outcome.moved
    running = instances.load(session, later)
    assert [t.spec_name for t in runner.ready_user_tasks(running.workflow)] == ["remediate"]


def test_a_lane_whose_role_the_instance_has_no_body_for_blocks_the_move(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.with_observer_lane())
    preview = migration.preview(session, designer, "requirement", v2.version)
    assert preview.candidates and not preview.movable
    assert all(
        [(b.code, b.element_id) for b in c.blockers][-1] == ("role_without_body", "observer")
        for c in preview.candidates
    )


def test_an_instance_changed_since_it_was_read_is_left_alone(
    session: Any, designer: Any, stages: dict[str, Requirement]
) -> None:
    v2 = deploy(session, models.with_plan_review())
    req = stages["acknowledge"]
    row = instance(session, req)
    # someone else saves the instance behind this session's back
    session.execute(
        update(ProcessInstance.__table__)
        .where(ProcessInstance.__table__.c.id == row.id)
        .values(lock_version=row.lock_version + 1)
    )
    outcome = migration.migrate(session, designer, "requirement", v2.version, [row.id])
    assert outcome.changed_meanwhile == [row.id] and not outcome.moved
    assert session.scalar(select(func.count()).select_from(InstanceMigration)) == 0


def test_instances_outside_the_designers_reach_are_neither_shown_nor_moved(
    session: Any, make_user: Any, stages: dict[str, Requirement]
) -> None:
    stranger = make_user(roles=("designer",))
    v2 = deploy(session, models.with_plan_review())
    preview = migration.preview(session, stranger, "requirement", v2.version)
    assert preview.candidates == [] and preview.outside_reach == 3
    ids = [r.process_instance_id for r in stages.values()]
    outcome = migration.migrate(session, stranger, "requirement", v2.version, ids)
    assert outcome.moved == [] and sorted(outcome.not_found) == sorted(ids)


def test_an_administrator_reaches_every_instance(
    session: Any, make_user: Any, stages: dict[str, Requirement]
) -> None:
    admin = make_user(roles=("admin",))
    v2 = deploy(session, models.with_plan_review())
    assert len(migration.preview(session, admin, "requirement", v2.version).candidates) == 3


def test_only_designers_migrate(session: Any, cast: Any, stages: dict[str, Requirement]) -> None:
    v2 = deploy(session, models.with_plan_review())
    with pytest.raises(NotAllowed):
        migration.preview(session, cast.supervisor, "requirement", v2.version)
    with pytest.raises(NotAllowed):
        migration.migrate(session, cast.supervisor, "requirement", v2.version, [1])


def test_an_unknown_version_is_not_found(session: Any, designer: Any, stages: Any) -> None:
    with pytest.raises(NotFound):
        migration.preview(session, designer, "requirement", 99)


def test_a_new_requirement_after_the_deploy_starts_on_the_new_version(
    session: Any, cast: Any, make_requirement: Any
) -> None:
    make_requirement()
    v2 = deploy(session, models.with_plan_review())
    req = make_requirement()
    assert instance(session, req).definition_id == v2.id
    assert datetime.now(UTC) > instance(session, req).created_at
