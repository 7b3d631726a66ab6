"""The requirement life cycle, every path, reloading state between every step."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db.vocabulary import VERIFY_DECISIONS
from workflows.engine import runner
from workflows.engine.errors import DataRefused, MessageNotExpected, TaskNotReady, TimerInvalid

from .conftest import Driver


def test_new_requirement_waits_for_acknowledgement_by_the_responsible_unit(requirement):
    inst = requirement()
    [task] = inst.ready()
    assert (task.spec_name, task.lane, task.role) == ("acknowledge", "Responsible unit", "officer")
    assert task.title == "Acknowledge requirement"
    assert not inst.completed


def test_remediation_task_is_due_at_the_deadline_and_arms_the_timer(in_remediation, utc_now):
    inst = in_remediation(days=10)
    task = inst.task("remediate")
    assert task.role == "officer"
    assert task.due == utc_now + timedelta(days=10)
    assert inst.next_timer_at == utc_now + timedelta(days=10)
    assert inst.waiting_messages == ["escalated", "extension_requested", "withdrawn"]


def _verify(inst: Driver, decision: str) -> None:
    inst.complete("remediate")
    task = inst.task("verify")
    assert task.role == "supervisor"
    inst.complete("verify", decision=decision)


@pytest.mark.parametrize("decision", ["implemented", "partial"])
def test_verified_requirement_is_closed(in_remediation, decision):
    inst = in_remediation()
    _verify(inst, decision)
    assert inst.completed
    assert inst.statuses() == ["closed"]
    assert inst.next_timer_at is None


@pytest.mark.parametrize("decision", ["incomplete", "formal_only"])
def test_rejected_requirement_returns_to_remediation_then_closes(in_remediation, decision):
    inst = in_remediation()
    _verify(inst, decision)
    assert inst.ready_names() == ["remediate"]
    assert inst.operations("notify") == [
        ("notify", {"kind": f"verification_{decision}", "to": "officer"})
    ]
    _verify(inst, "implemented")
    assert inst.completed
    assert inst.statuses() == ["returned", "closed"]


def test_not_implementable_opens_an_accountability_case(in_remediation):
    inst = in_remediation()
    _verify(inst, "not_implementable")
    assert inst.completed
    assert inst.operations() == [
        ("set_status", {"status": "not_implementable"}),
        ("open_accountability_case", {"reason": "not_implementable"}),
    ]


def test_every_verify_decision_is_handled_by_the_model(in_remediation):
    for decision in VERIFY_DECISIONS:
        inst = in_remediation()
        _verify(inst, decision)
        assert inst.effects, decision


def test_unknown_verify_decision_fails_loudly_instead_of_stalling(in_remediation):
    inst = in_remediation()
    inst.complete("remediate")
    with pytest.raises(Exception, match="No conditions satisfied"):
        inst.complete("verify", decision="looks fine")


def test_withdrawn_message_ends_the_requirement(in_remediation):
    inst = in_remediation()
    inst.send("withdrawn", reason="conclusion annulled")
    assert inst.completed
    assert inst.statuses() == ["withdrawn"]


def test_escalation_gives_the_supervisor_a_review_while_remediation_continues(in_remediation):
    inst = in_remediation()
    inst.send("escalated", level=1)
    assert inst.ready_names() == ["remediate", "review_escalation"]
    assert inst.task("review_escalation").role == "supervisor"
    inst.complete("review_escalation")
    assert inst.ready_names() == ["remediate"]
    _verify(inst, "implemented")
    assert inst.completed


def test_closing_a_requirement_ends_an_open_escalation_review(in_remediation):
    inst = in_remediation()
    inst.send("escalated", level=1)
    _verify(inst, "partial")
    assert inst.completed
    assert inst.ready() == []


def test_messages_are_refused_when_the_requirement_is_not_waiting_for_them(requirement):
    inst = requirement()
    with pytest.raises(MessageNotExpected, match="withdrawn"):
        inst.send("withdrawn")


def test_completing_a_task_that_is_not_ready_is_refused(requirement):
    inst = requirement()
    task_id = inst.task("acknowledge").task_id
    inst.complete("acknowledge")
    with pytest.raises(TaskNotReady, match="not waiting for input"):
        inst.act(lambda wf: runner.complete(wf, task_id, {}))
    with pytest.raises(TaskNotReady):
        inst.act(lambda wf: runner.complete(wf, "not-a-uuid", {}))


def test_task_data_must_be_flat(requirement):
    inst = requirement()
    with pytest.raises(DataRefused, match="keep lists in tables"):
        inst.complete("acknowledge", attachments=["a.pdf"])


# ---------------------------------------------------------------- timers


def test_deadline_timer_fires_once_the_deadline_has_passed(in_remediation, utc_now):
    inst = in_remediation(days=5)
    assert inst.fire(utc_now + timedelta(days=4)) == 0
    assert inst.statuses() == []
    assert inst.fire(utc_now + timedelta(days=5, seconds=1)) == 1
    assert inst.operations() == [
        ("set_status", {"status": "overdue"}),
        ("notify", {"kind": "overdue", "to": "supervisor"}),
    ]
    # non-interrupting: the unit can still report completion
    assert inst.ready_names() == ["remediate"]
    assert inst.next_timer_at is None
    _verify(inst, "implemented")
    assert inst.statuses() == ["overdue", "closed"]


def test_deadline_in_the_past_fires_on_the_real_clock(in_remediation):
    inst = in_remediation(days=-1)
    inst.fire(datetime.now().astimezone())
    assert inst.statuses() == ["overdue"]


def test_approved_extension_moves_the_deadline_and_rearms_the_timer(in_remediation, utc_now):
    inst = in_remediation(days=5)
    new_deadline = utc_now + timedelta(days=20)
    inst.send("extension_requested", requested_deadline=new_deadline.isoformat())
    assert inst.ready_names() == ["decide_extension"]
    assert inst.task("decide_extension").role == "supervisor"
    assert inst.next_timer_at is None  # interrupting: remediation (and its timer) left
    inst.complete(
        "decide_extension", extension_approved=True, new_deadline=new_deadline.isoformat()
    )
    assert inst.next_timer_at == new_deadline
    assert inst.task("remediate").due == new_deadline
    assert inst.fire(utc_now + timedelta(days=6)) == 0
    assert inst.fire(new_deadline + timedelta(seconds=1)) == 1
    assert inst.statuses() == ["overdue"]


def test_rejected_extension_keeps_the_original_deadline(in_remediation, utc_now):
    inst = in_remediation(days=5)
    inst.send("extension_requested")
    inst.complete("decide_extension", extension_approved=False)
    assert inst.next_timer_at == utc_now + timedelta(days=5)


def test_extension_after_the_deadline_passed_clears_the_way_for_a_new_one(in_remediation, utc_now):
    inst = in_remediation(days=1)
    inst.fire(utc_now + timedelta(days=2))
    new_deadline = utc_now + timedelta(days=30)
    inst.send("extension_requested")
    inst.complete(
        "decide_extension", extension_approved=True, new_deadline=new_deadline.isoformat()
    )
    assert inst.next_timer_at == new_deadline


# ---------------------------------------------------------------- bounded loops (trap 1)


def test_fifty_rejection_rounds_still_complete(in_remediation):
    inst = in_remediation()
    for _ in range(50):
        _verify(inst, "formal_only")
        assert inst.ready_names() == ["remediate"]
    _verify(inst, "implemented")
    assert inst.completed
    assert inst.statuses() == ["returned"] * 50 + ["closed"]


def test_fifty_extension_rounds_still_complete(in_remediation, utc_now):
    inst = in_remediation(days=1)
    last = utc_now
    for round_ in range(50):
        last = utc_now + timedelta(days=2 + round_)
        inst.send("extension_requested")
        inst.complete(
            "decide_extension", extension_approved=round_ % 2 == 0, new_deadline=last.isoformat()
        )
        assert inst.ready_names() == ["remediate"]
    assert inst.next_timer_at == utc_now + timedelta(days=2 + 48)
    _verify(inst, "implemented")
    assert inst.completed


def test_naive_deadline_is_refused_when_the_timer_is_armed(requirement):
    inst = requirement()
    inst.complete("acknowledge")
    inst.act(
        lambda wf: wf.get_tasks(spec_name="submit_plan")[0].set_data(deadline="2030-01-01T00:00:00")
    )
    with pytest.raises(TimerInvalid, match='Timer "ev_deadline".*no time zone'):
        inst.complete("submit_plan")
