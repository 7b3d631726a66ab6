"""Moving one instance in memory (no database): what blocks it and what a move keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration import designer_support as models
from workflows.engine import (
    SandboxScriptEngine,
    dump_spec,
    dump_state,
    load_specs,
    load_state,
    runner,
)
from workflows.migration_plan import blockers, move

V1 = load_specs(models.REQUIREMENT)
ROLES = {"officer": 1, "supervisor": 2}


def at(steps: int, compact: bool = True):
    deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    engine = SandboxScriptEngine()
    wf = runner.start(V1.spec, V1.subprocess_specs, {"deadline": deadline}, engine)
    for _ in range(steps):
        runner.complete(wf, runner.ready_user_tasks(wf)[0].task_id, {})
    spec = dump_spec(V1.spec, V1.subprocess_specs)
    return load_state(dump_state(wf, compact=compact), spec, engine)


def specs(xml: bytes):
    loaded = load_specs(xml)
    return loaded.spec, loaded.subprocess_specs


def test_history_through_a_removed_step_blocks_when_it_is_still_stored():
    found = blockers(at(2, compact=False), specs(models.without_acknowledge()), ROLES, set(ROLES))
    assert [(b.code, b.element_id, b.state) for b in found] == [
        ("passed_removed", "acknowledge", "completed")
    ]


def test_nothing_blocks_an_instance_whose_open_steps_did_not_change():
    assert blockers(at(0), specs(models.with_plan_review()), ROLES, set(ROLES)) == []


def test_a_move_keeps_task_ids_data_and_the_armed_timer():
    wf = at(2)
    before = {t.task_id: t.spec_name for t in runner.ready_user_tasks(wf)}
    due = runner.next_timer_at(wf)
    moved = move(wf, specs(models.with_escalating_overdue()))
    assert {t.task_id: t.spec_name for t in runner.ready_user_tasks(moved)} == before
    assert runner.next_timer_at(moved) == due
    assert runner.waiting_messages(moved) == ["escalated", "extension_requested", "withdrawn"]


def test_a_moved_instance_runs_to_the_end_of_the_new_version():
    moved = move(at(0), specs(models.with_plan_review()))
    done = []
    while not runner.is_completed(moved) and len(done) < 10:
        task = runner.ready_user_tasks(moved)[0]
        done.append(task.spec_name)
        runner.complete(moved, task.task_id, {"decision": "implemented"})
    assert done == ["acknowledge", "submit_plan", "review_plan", "remediate", "verify"]
    assert runner.is_completed(moved)
