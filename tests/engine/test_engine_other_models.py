"""Conclusion, referral and accountability life cycles, reloading state between steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.vocabulary import ACCOUNTABILITY_OUTCOMES
from workflows.engine.errors import OperationFailed

from .conftest import Driver, model_spec_json


def test_conclusion_starts_its_requirements_and_waits_until_all_are_closed():
    inst = Driver(model_spec_json("conclusion"), {"conclusion_id": 7})
    assert inst.operations() == [
        ("start_requirements", {}),
        ("set_status", {"status": "in_progress"}),
    ]
    assert inst.ready() == []
    assert inst.waiting_messages == ["requirements_closed"]
    inst.send("requirements_closed", count=3)
    task = inst.task("final_assessment")
    assert (task.lane, task.role) == ("Supervisor", "supervisor")
    inst.complete("final_assessment", assessment="all remediated")
    assert inst.completed
    assert inst.statuses() == ["in_progress", "closed"]


def _referral(utc_now, days: float = 15) -> Driver:
    due = (utc_now + timedelta(days=days)).isoformat()
    return Driver(model_spec_json("referral"), {"referral_id": 3, "response_due": due})


def test_referral_accepted_on_first_response(utc_now):
    inst = _referral(utc_now)
    assert inst.operations() == [("notify", {"kind": "referral_received", "to": "officer"})]
    assert inst.task("acknowledge_referral").role == "officer"
    inst.complete("acknowledge_referral")
    assert inst.task("respond").due == utc_now + timedelta(days=15)
    inst.complete("respond")
    assert inst.task("review_response").role == "supervisor"
    inst.complete("review_response", review="accept")
    assert inst.completed
    assert inst.statuses() == ["closed"]


def test_referral_returned_for_more_then_accepted(utc_now):
    inst = _referral(utc_now)
    inst.complete("acknowledge_referral")
    for _ in range(3):
        inst.complete("respond")
        inst.complete("review_response", review="return")
        assert inst.ready_names() == ["respond"]
    inst.complete("respond")
    inst.complete("review_response", review="accept")
    assert inst.completed
    assert len(inst.operations("notify")) == 1 + 3


def test_referral_response_overdue_notifies_the_sending_body(utc_now):
    inst = _referral(utc_now, days=2)
    inst.complete("acknowledge_referral")
    assert inst.next_timer_at == utc_now + timedelta(days=2)
    assert inst.fire(utc_now + timedelta(days=3)) == 1
    assert ("notify", {"kind": "referral_overdue", "to": "supervisor"}) in inst.operations()
    assert inst.ready_names() == ["respond"]


@pytest.mark.parametrize("outcome", ACCOUNTABILITY_OUTCOMES)
def test_accountability_case_records_the_decided_outcome(outcome):
    inst = Driver(model_spec_json("accountability"), {"case_id": 9})
    assert inst.operations() == [("notify", {"kind": "explanation_requested", "to": "officer"})]
    inst.complete("submit_explanation", explanation="we were late because ...")
    inst.complete("review_explanation")
    assert inst.task("decide").role == "supervisor"
    inst.complete("decide", decision=outcome)
    assert inst.completed
    assert inst.operations("record_outcome") == [("record_outcome", {"outcome": outcome})]
    assert inst.statuses() == ["closed"]


def test_accountability_outcome_outside_the_list_is_an_operation_failure():
    inst = Driver(model_spec_json("accountability"), {"case_id": 9})
    inst.complete("submit_explanation")
    inst.complete("review_explanation")
    with pytest.raises(OperationFailed, match=r'"store_outcome".*record_outcome.*must be one of'):
        inst.complete("decide", decision="a stern look")
    assert inst.operations("record_outcome") == []
