"""End to end through the real verbs: each life-cycle event queues the right notifications for
the right people, in the verb's transaction — and nobody hears of what they did themselves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Requirement, User
from db.models.notification import Notification, NotificationPreference, OutboxMessage
from workflows import instances, verification
from workflows import requirements as verbs
from workflows.conclusions import assess_conclusion
from workflows.engine import runner
from workflows.inputs import ReportInput
from workflows.notifications import notify_each, notify_event


def news(session: Session, user: User) -> list[tuple[str, str]]:
    """(kind, event) of every notification ``user`` has, oldest first."""
    rows = session.execute(
        select(Notification.kind, Notification.event)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def latest(session: Session, user: User) -> Notification:
    found = session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    ).first()
    assert found is not None, f"{user.username} has no notification"
    return found


def emails_to(session: Session, user: User) -> list[str]:
    return list(
        session.scalars(
            select(OutboxMessage.template)
            .where(OutboxMessage.user_id == user.id, OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        )
    )


def completion() -> ReportInput:
    return ReportInput(text="All funds recovered; receipts attached.", percent=100)


@pytest.fixture
def people(session: Session, cast: Any, make_user: Any) -> Any:
    """The cast with addresses, a second officer of the unit and a second supervisor."""
    cast.officer.email = "officer@unit.example.vn"
    cast.supervisor.email = "supervisor@commission.example.vn"
    cast.officer2 = make_user(body=cast.unit, roles=("officer",), email="o2@unit.example.vn")
    cast.supervisor2 = make_user(
        body=cast.commission, roles=("supervisor",), email="s2@commission.example.vn"
    )
    session.flush()
    return cast


@pytest.fixture
def requirement(people: Any, make_requirement: Any) -> Requirement:
    return make_requirement()  # type: ignore[no-any-return]


@pytest.fixture
def remediating(session: Session, people: Any, requirement: Requirement) -> Requirement:
    verbs.acknowledge_requirement(session, people.officer, requirement.id)
    verbs.submit_plan(session, people.officer, requirement.id, "Audit every 2023 contract.")
    return requirement


def test_issuing_a_conclusion_tells_the_units_officers_they_have_a_requirement(
    session, people, requirement
):
    for officer in (people.officer, people.officer2):
        assert news(session, officer) == [("task_assigned", "task.assigned")]
        note = latest(session, officer)
        assert note.facts["task"] == "acknowledge"
        assert note.facts["conclusion_number"] == requirement.conclusion.number
        assert note.facts["seq"] == 1 and note.facts["path"] == f"/requirements/{requirement.id}"
        assert note.delivery == "immediate"
        assert emails_to(session, officer) == ["task_assigned"]
    # The supervisors issued it themselves: no news for them.
    assert news(session, people.supervisor) == news(session, people.supervisor2) == []


def test_acknowledgement_and_plan_reach_the_supervisors_in_their_daily_digest(
    session, people, remediating
):
    assert news(session, people.supervisor) == [
        ("progress", "requirement.acknowledged"),
        ("progress", "requirement.plan_submitted"),
    ]
    assert {
        n.delivery
        for n in session.scalars(
            select(Notification).where(Notification.user_id == people.supervisor.id)
        )
    } == {"digest"}
    assert emails_to(session, people.supervisor) == []
    # The unit's next tasks follow from its own steps: not announced to it again.
    assert news(session, people.officer2) == [("task_assigned", "task.assigned")]


def test_a_completion_report_goes_to_the_supervisors_not_back_to_its_author(
    session, people, remediating
):
    verbs.submit_for_verification(session, people.officer, remediating.id, completion())
    for supervisor in (people.supervisor, people.supervisor2):
        assert news(session, supervisor)[-1] == ("submitted", "requirement.submitted")
        assert latest(session, supervisor).facts["percent"] == 100
        assert emails_to(session, supervisor) == ["submitted"]
    assert ("submitted", "requirement.submitted") not in news(session, people.officer)


@pytest.mark.parametrize("decision", ["incomplete", "formal_only"])
def test_a_rejection_tells_the_unit_why(session, people, remediating, decision):
    verbs.submit_for_verification(session, people.officer, remediating.id, completion())
    verification.verify_requirement(
        session, people.supervisor, remediating.id, decision, reason="No receipts from the bank"
    )
    for officer in (people.officer, people.officer2):
        assert news(session, officer)[-1] == ("rejected", "requirement.verified")
        facts = latest(session, officer).facts
        assert (facts["decision"], facts["reason"]) == (decision, "No receipts from the bank")
    # One piece of news, not three: the model's notify task and the new remediate task
    # say the same thing as the verification.
    assert [k for k, _ in news(session, people.officer2)].count("rejected") == 1
    assert news(session, people.officer2)[-1][0] == "rejected"
    assert ("rejected", "requirement.verified") not in news(session, people.supervisor)


def test_closing_tells_the_unit_and_the_last_one_asks_the_issuer_for_the_assessment(
    session, people, remediating
):
    verbs.submit_for_verification(session, people.officer, remediating.id, completion())
    verification.verify_requirement(session, people.supervisor, remediating.id, "implemented")
    assert news(session, people.officer)[-1] == ("verified", "requirement.verified")
    # Everyone of the issuing body, including the verifier: the assessment is a new task.
    for supervisor in (people.supervisor, people.supervisor2):
        assert news(session, supervisor)[-1] == (
            "assessment_due",
            "conclusion.requirements_closed",
        )
        facts = latest(session, supervisor).facts
        assert facts["path"] == f"/conclusions/{remediating.conclusion_id}"
        assert facts["requirements"] == 1
    assess_conclusion(session, people.supervisor, remediating.conclusion_id, "Fully remediated.")
    assert news(session, people.supervisor2)[-1][0] == "assessment_due"  # nothing more


def test_an_extension_request_and_its_decision_go_each_to_the_other_side(
    session, people, remediating
):
    wanted = remediating.deadline + timedelta(days=20)
    verbs.request_extension(session, people.officer, remediating.id, "Bank closed in Tết", wanted)
    note = latest(session, people.supervisor2)
    assert (note.kind, note.facts["reason"]) == ("extension_requested", "Bank closed in Tết")
    assert note.facts["requested_deadline"] == wanted.isoformat()

    verification.decide_extension(session, people.supervisor, remediating.id, True)
    for officer in (people.officer, people.officer2):
        note = latest(session, officer)
        assert (note.kind, note.facts["approved"]) == ("extension_decided", True)
        assert note.facts["deadline"] == wanted.isoformat()


def test_a_passed_deadline_tells_the_unit_and_its_supervisors(session, people, remediating):
    with instances.advancing(session, remediating.process_instance_id) as running:
        runner.fire_timers(running.workflow, remediating.deadline + timedelta(minutes=1))
    assert remediating.status == "overdue"
    unit_note = latest(session, people.officer2)
    assert (unit_note.kind, unit_note.facts["audience"]) == ("overdue", "unit")
    supervisor_note = latest(session, people.supervisor2)
    assert (supervisor_note.kind, supervisor_note.facts["audience"]) == ("overdue", "supervisor")
    assert emails_to(session, people.supervisor2)[-1] == "overdue"


def test_a_withdrawal_tells_the_unit(session, people, remediating):
    verification.withdraw_requirement(session, people.supervisor, remediating.id, "Law changed")
    assert latest(session, people.officer).kind == "withdrawn"
    assert latest(session, people.officer).facts["reason"] == "Law changed"


def test_an_escalation_goes_to_the_unit_head_and_the_supervisors_of_the_body_above(
    session, people, remediating, make_user
):
    head = make_user(body=people.unit, roles=("officer",), email="head@unit.example.vn")
    people.unit.head_user_id = head.id
    session.flush()
    notify_event(
        session,
        "escalation.raised",
        ("requirement", remediating.id),
        level=1,
        to_body_id=people.commission.id,
        reason="overdue",
    )
    assert latest(session, head).kind == "escalation"
    assert latest(session, people.supervisor).facts["to_body"] == people.commission.name
    # With a head named, the head answers for the unit, not each officer.
    assert latest(session, people.officer2).kind != "escalation"


def test_an_escalation_is_emailed_at_once_whatever_the_user_chose(session, people, remediating):
    session.add(
        NotificationPreference(user_id=people.officer2.id, kind="escalation", mode="digest")
    )
    session.flush()
    notify_event(
        session, "escalation.raised", ("requirement", remediating.id), level=1, to_body_id=None
    )
    assert latest(session, people.officer2).delivery == "immediate"
    assert emails_to(session, people.officer2)[-1] == "escalation"


def test_a_user_who_chose_the_digest_gets_no_email_now(session, people, requirement):
    session.add(
        NotificationPreference(user_id=people.supervisor2.id, kind="submitted", mode="digest")
    )
    session.flush()
    verbs.acknowledge_requirement(session, people.officer, requirement.id)
    verbs.submit_plan(session, people.officer, requirement.id, "Plan.")
    verbs.submit_for_verification(session, people.officer, requirement.id, completion())
    assert latest(session, people.supervisor2).delivery == "digest"
    assert "submitted" not in emails_to(session, people.supervisor2)
    assert "submitted" in emails_to(session, people.supervisor)


def test_a_user_without_email_is_told_in_the_app_only(session, people, make_user, requirement):
    silent = make_user(body=people.commission, roles=("supervisor",))
    verbs.acknowledge_requirement(session, people.officer, requirement.id)
    verbs.submit_plan(session, people.officer, requirement.id, "Plan.")
    verbs.submit_for_verification(session, people.officer, requirement.id, completion())
    assert latest(session, silent).delivery == "inapp"
    assert emails_to(session, silent) == []


def test_the_same_news_queued_twice_is_stored_once(session, people, remediating):
    for _ in range(2):  # e.g. the monitor's pass retried after a crash
        notify_event(session, "deadline.approaching", ("requirement", remediating.id), share=75)
    assert [k for k, _ in news(session, people.officer)].count("deadline") == 1
    assert emails_to(session, people.officer).count("deadline") == 1


def test_events_nobody_needs_queue_nothing(session, people, requirement):
    before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
    notify_event(session, "conclusion.assessed", ("conclusion", requirement.conclusion_id))
    notify_event(session, "requirement.status_changed", ("requirement", requirement.id), to="x")
    notify_event(session, "something.unknown", ("requirement", requirement.id))
    after = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
    assert before == after


def test_a_rolled_back_verb_leaves_no_notification(session, people, remediating):
    count = len(news(session, people.supervisor))
    with pytest.raises(Exception), session.begin_nested():  # noqa: B017, PT011
        verbs.submit_for_verification(session, people.officer, remediating.id, completion())
        raise RuntimeError("the request failed after the verb")
    assert len(news(session, people.supervisor)) == count


def test_a_flag_is_told_with_its_rule_and_explanation_in_each_language(
    session, people, remediating
):
    from db.models.monitor import Flag, MonitorRule
    from notifier.render import Renderer

    session.add(MonitorRule(id="overdue", kind="slow", severity="critical", parameters={}))
    session.flush()
    flag = Flag(
        requirement_id=remediating.id,
        rule_id="overdue",
        severity="critical",
        facts={"deadline": "2026-12-03", "working_days": 4},
    )
    session.add(flag)
    session.flush()
    notify_event(
        session,
        "flag.opened",
        ("requirement", remediating.id),
        rule="overdue",
        severity="critical",
        flag=flag.id,
    )
    note = latest(session, people.supervisor2)
    assert note.kind == "flag" and note.delivery == "digest"
    assert note.facts["explanation"]["en"] == (
        "The deadline 03/12/2026 has passed (4 working days ago) and no completion has been "
        "reported."
    )
    assert "03/12/2026" in note.facts["explanation"]["vi"]
    assert note.facts["explanation"]["vi"] != note.facts["explanation"]["en"]
    text = Renderer("http://x.vn").notification("vi", "flag", note.facts, "An").text
    assert note.facts["explanation"]["vi"].split()[0] in text
    assert latest(session, people.officer2).kind == "flag"  # the unit hears of it too


def test_the_ladder_raising_levels_tells_the_unit_and_the_bodies_above(
    session, people, remediating, make_body, make_user
):
    from workflows.escalation import raise_escalation

    top = make_body(kind="party_committee")
    people.commission.supervisor_id = top.id
    top_supervisor = make_user(body=top, roles=("supervisor",), email="top@example.vn")
    session.flush()
    raise_escalation(session, remediating, 1, "overdue", {"working_days": 3}, deliver=False)
    note = latest(session, people.supervisor2)
    assert (note.kind, note.facts["level"], note.delivery) == ("escalation", 1, "immediate")
    assert note.facts["to_body"] == people.commission.name
    assert latest(session, people.officer2).kind == "escalation"

    raise_escalation(session, remediating, 2, "overdue", {"working_days": 9}, deliver=False)
    assert news(session, top_supervisor) == [
        ("escalation", "escalation.raised"),
        ("accountability", "accountability_case.opened"),
    ]
    # Level 2 opens an accountability case handled by the body above: both sides hear of it.
    case_note = latest(session, people.officer2)
    assert (case_note.kind, case_note.event) == ("accountability", "accountability_case.opened")
    assert case_note.facts["case_reason"] == "escalation"
    assert latest(session, top_supervisor).event == "accountability_case.opened"
    # Raising a level again tells nobody anything new.
    count = len(news(session, people.officer2))
    raise_escalation(session, remediating, 1, "overdue", {}, deliver=False)
    assert len(news(session, people.officer2)) == count


def test_an_accountability_case_goes_back_and_forth_once_per_step(session, people, remediating):
    from datetime import UTC, datetime

    from workflows import accountability

    case = accountability.open_case(
        session,
        remediating,
        reason="supervisor",
        handling_body_id=people.commission.id,
        actor=people.supervisor,
    )
    due = datetime.now(UTC) + timedelta(days=10)
    accountability.request_explanation(session, people.supervisor, case.id, due, "Explain.")
    asked = news(session, people.officer2)
    assert asked[-2:] == [
        ("accountability", "accountability_case.opened"),
        ("accountability", "accountability_case.explanation_requested"),
    ]  # not a third time through the process's "submit explanation" task
    assert latest(session, people.officer2).facts["due"] == due.isoformat()
    accountability.submit_explanation(session, people.officer, case.id, "Funds were late.")
    assert latest(session, people.supervisor2).event == "accountability_case.explained"
    assert news(session, people.officer2)[-1][1] == "accountability_case.explanation_requested"


def _stored(session: Session) -> tuple[list[Any], list[Any]]:
    """Every notification and outbox row, as comparable tuples (ids and times left out)."""
    notes = session.execute(
        select(
            Notification.user_id,
            Notification.kind,
            Notification.event,
            Notification.subject_id,
            Notification.dedupe_key,
            Notification.delivery,
            Notification.facts,
        ).order_by(Notification.dedupe_key)
    )
    outbox = session.execute(
        select(
            OutboxMessage.channel,
            OutboxMessage.template,
            OutboxMessage.user_id,
            OutboxMessage.webhook_id,
            OutboxMessage.dedupe_key,
        ).order_by(OutboxMessage.dedupe_key)
    )
    return [tuple(r) for r in notes], [tuple(r) for r in outbox]


def test_many_events_at_once_store_what_one_at_a_time_would(
    session, people, remediating, make_requirement
):
    from db.models.notification import Webhook

    other = make_requirement()
    session.add(NotificationPreference(user_id=people.officer2.id, kind="deadline", mode="digest"))
    session.add(Webhook(body_id=people.unit.id, url="http://127.0.0.1:9/h", secret="s" * 32))
    session.add(  # a hook that wants escalations only
        Webhook(
            body_id=people.commission.id,
            url="http://127.0.0.1:9/e",
            secret="e" * 32,
            kinds=["escalation"],
        )
    )
    session.flush()
    events = {
        "deadline.approaching": [{"share": 50}, {"share": 75}],
        "escalation.raised": [{"level": 1, "to_body_id": people.commission.id, "reason": "x"}],
    }
    subjects = [("requirement", remediating.id), ("requirement", other.id)]

    session.info.clear()  # facts remembered before the hooks existed
    one_by_one = session.begin_nested()
    for event, contexts in events.items():
        for subject in subjects:
            for context in contexts:
                notify_event(session, event, subject, **context)
    singly = _stored(session)
    one_by_one.rollback()
    session.info.clear()  # no facts remembered from the first way

    for event, contexts in events.items():
        notify_each(session, event, [(s, c) for s in subjects for c in contexts])
    at_once = _stored(session)

    assert at_once == singly
    notes, outbox = at_once
    deliveries = {(user, kind, delivery) for user, kind, _, _, _, delivery, _ in notes}
    assert (people.officer2.id, "deadline", "digest") in deliveries
    assert (people.officer.id, "deadline", "immediate") in deliveries
    assert (people.supervisor.id, "escalation", "immediate") in deliveries
    # 2 requirements × (2 shares + 1 level) reach the unit's hook; the commission's hook
    # hears of the 2 escalations only.
    assert sum(1 for channel, *_ in outbox if channel == "webhook") == 6 + 2
