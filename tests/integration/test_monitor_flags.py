"""Flags over time: no duplicates on re-runs, resolving by themselves, dismissal, incremental
passes, notifications and the administrator's settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from db.models import AuditEvent, Requirement
from db.models.monitor import Flag, MonitorRule
from tests.integration.monitor_support import Life, flagged, flags, run
from workflows import calendar_days
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.monitor import flags as flag_verbs
from workflows.monitor import passes, reconcile
from workflows.monitor.rule_settings import list_rules, update_rule


@pytest.fixture
def life(session, cast):
    return Life(session, cast)


def _deadline(days: float) -> dict:
    return {"deadline": datetime.now(UTC) + timedelta(days=days)}


def test_rerunning_the_pass_opens_no_duplicates(session, session_factory, make_requirement):
    make_requirement(requirement=_deadline(5))
    first = run(session_factory, days=10)
    again = run(session_factory, days=10.5)
    full = run(session_factory, days=11, full=True)
    assert first.opened["overdue"] == 1
    assert again.total_opened == 0 and full.opened["overdue"] == 0
    assert len(flags(session, "overdue")) == 1


def test_one_active_flag_per_requirement_and_rule_is_enforced_by_the_database(
    session, session_factory, make_requirement
):
    req = make_requirement(requirement=_deadline(5))
    run(session_factory, days=10)
    session.add(Flag(requirement_id=req.id, rule_id="overdue", severity="info", facts={}))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_a_flag_resolves_when_its_cause_goes_away(session, session_factory, make_requirement, life):
    req = make_requirement()
    run(session_factory, days=14)
    assert flagged(session, "ack_late") == {req.id}
    life.acknowledge(req)
    result = run(session_factory, days=14.1)
    assert result.resolved["ack_late"] == 1
    (flag,) = flags(session, "ack_late")
    assert flag.status == "resolved" and flag.resolved_at is not None


def test_an_approved_extension_resolves_overdue_and_it_can_return(
    session, session_factory, make_requirement, life
):
    req = life.remediating(make_requirement(requirement=_deadline(5)))
    run(session_factory, days=10)
    assert flagged(session, "overdue") == {req.id}
    life.extend(req, 30)  # the new deadline is 35 days from now
    run(session_factory, days=10.2)
    assert flagged(session, "overdue") == set()
    run(session_factory, days=40)
    assert [f.status for f in flags(session, "overdue")] == ["resolved", "open"]


def test_incremental_pass_sees_a_change_without_a_full_pass(
    session, session_factory, make_requirement, life
):
    run(session_factory)
    req = life.remediating(make_requirement())
    life.submit(req, evidence=())
    result = run(session_factory, days=0.01)
    assert "no_evidence" not in result.full
    assert flagged(session, "no_evidence") == {req.id}


def test_overdue_comes_due_within_the_same_day(session, session_factory, make_requirement):
    req = make_requirement(requirement=_deadline(3))
    start = datetime.now(UTC) + timedelta(days=3)
    session.execute(update(Requirement).where(Requirement.id == req.id).values(deadline=start))
    passes.run_pass(session_factory, start - timedelta(minutes=2))
    # Pretend nothing changed since: only the deadline passing can bring the row in.
    session.execute(
        update(MonitorRule).values(changes_seen_until=datetime.now(UTC) + timedelta(hours=1))
    )
    result = passes.run_pass(session_factory, start + timedelta(minutes=1))
    assert "overdue" not in result.full
    assert flagged(session, "overdue") == {req.id}


def test_new_flags_are_notified(session, session_factory, make_requirement, monkeypatch):
    calls = []
    monkeypatch.setattr(
        reconcile,
        "notify_each",
        lambda s, event, items: calls.extend((event, subject, ctx) for subject, ctx in items),
    )
    late = make_requirement(requirement=_deadline(5))
    issued = datetime.now(UTC).date() - timedelta(days=40)
    half = make_requirement(issue_date=issued, requirement=_deadline(30))
    run(session_factory, days=10)
    events = {(event, subject[1], ctx.get("rule")) for event, subject, ctx in calls}
    assert ("flag.opened", late.id, "overdue") in events
    assert ("deadline.approaching", half.id, "deadline_50") in events
    share = [ctx["share"] for event, _, ctx in calls if event == "deadline.approaching"]
    assert 50 in share and all(c[2]["severity"] for c in calls)
    calls.clear()
    run(session_factory, days=10.1)
    assert calls == []


def test_supervisor_dismisses_a_flag_with_a_reason(
    session, session_factory, make_requirement, cast
):
    make_requirement(requirement=_deadline(5))
    run(session_factory, days=10)
    (flag,) = flags(session, "overdue")
    flag_verbs.dismiss_flag(session, cast.supervisor, flag.id, "Đã gia hạn bằng văn bản.")
    session.flush()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.dismissed"))
    assert event.payload["reason"] == "Đã gia hạn bằng văn bản."
    run(session_factory, days=10.5, full=True)
    (again,) = flags(session, "overdue")
    assert again.status == "dismissed" and again.resolved_at is None
    with pytest.raises(Conflict):
        flag_verbs.dismiss_flag(session, cast.supervisor, flag.id, "again")


def test_dismissing_needs_a_reason_and_a_supervisor_in_reach(
    session, session_factory, make_requirement, cast, make_user, make_body
):
    make_requirement(requirement=_deadline(5))
    run(session_factory, days=10)
    (flag,) = flags(session, "overdue")
    with pytest.raises(InvalidInput) as refused:
        flag_verbs.dismiss_flag(session, cast.supervisor, flag.id, "  ")
    assert refused.value.field == "reason"
    with pytest.raises(NotAllowed):
        flag_verbs.dismiss_flag(session, cast.officer, flag.id, "không phải việc của tôi")
    stranger = make_user(body=make_body(kind="inspection_commission"), roles=("supervisor",))
    with pytest.raises(NotFound):
        flag_verbs.dismiss_flag(session, stranger, flag.id, "ngoài phạm vi")
    assert flags(session, "overdue")[0].status == "open"


def test_board_shows_only_flags_in_reach(
    session, session_factory, make_requirement, cast, make_user, make_body
):
    make_requirement(requirement=_deadline(5))
    run(session_factory, days=10)
    now = datetime.now(UTC)
    mine = session.execute(
        flag_verbs.board_query(session, cast.supervisor, flag_verbs.FlagFilter(), now)
    ).all()
    assert {row.Flag.rule_id for row in mine} >= {"overdue", "ack_late"}
    stranger = make_user(body=make_body(kind="inspection_commission"), roles=("observer",))
    theirs = flag_verbs.board_query(session, stranger, flag_verbs.FlagFilter(), now)
    assert session.execute(theirs).all() == []
    only = flag_verbs.FlagFilter(rule="overdue", severity="critical", body_id=cast.unit.id)
    rows = session.execute(flag_verbs.board_query(session, cast.supervisor, only, now)).all()
    assert [row.Flag.rule_id for row in rows] == ["overdue"]
    with pytest.raises(InvalidInput):
        flag_verbs.board_query(session, stranger, flag_verbs.FlagFilter(body_id=cast.unit.id), now)
    with pytest.raises(NotAllowed):
        flag_verbs.board_query(session, cast.officer, flag_verbs.FlagFilter(), now)


def test_changed_parameters_apply_on_the_next_pass(
    session, session_factory, make_requirement, make_user, cast
):
    admin = make_user(roles=("admin",))
    req = make_requirement()
    run(session_factory, days=3)
    assert flagged(session, "ack_late") == set()
    update_rule(
        session,
        admin,
        "ack_late",
        parameters={"working_days": 1},
        severity="critical",
        enabled=True,
    )
    session.flush()
    result = run(session_factory, days=3.1)
    assert "ack_late" in result.full
    assert flagged(session, "ack_late") == {req.id}
    assert flags(session, "ack_late")[0].severity == "critical"
    update_rule(session, admin, "ack_late", parameters={}, severity="warning", enabled=False)
    session.flush()
    assert "ack_late" not in run(session_factory, days=3.2).opened
    (flag,) = flags(session, "ack_late")
    assert flag.status == "resolved" and flag.severity == "warning"  # switched off with it


@pytest.mark.parametrize(
    ("rule", "parameters", "field"),
    [
        ("ack_late", {"working_days": 0}, "working_days"),
        ("ack_late", {"working_days": "five"}, "working_days"),
        ("ack_late", {"days": 3}, "days"),
        ("copied_report", {"threshold": 0.2}, "threshold"),
        ("too_fast", {"min_working_days": {"financial": 3}}, "min_working_days"),
    ],
)
def test_rule_settings_are_validated(session, make_user, rule, parameters, field):
    admin = make_user(roles=("admin",))
    with pytest.raises(InvalidInput) as refused:
        update_rule(session, admin, rule, parameters=parameters, severity="info", enabled=True)
    assert refused.value.field == field
    with pytest.raises(NotAllowed):
        list_rules(session, make_user(roles=("supervisor",)))


def test_an_added_day_off_counts_in_the_next_pass(
    session, session_factory, make_requirement, make_user
):
    admin = make_user(roles=("admin",))
    req = make_requirement()
    session.execute(
        update(Requirement)
        .where(Requirement.id == req.id)
        .values(created_at=datetime.now(UTC) - timedelta(days=1))
    )
    # Find the moment exactly 5 working days after issue, then take one of them off.
    run(session_factory)
    from workflows import calendar

    issued = (datetime.now(UTC) - timedelta(days=1)).astimezone(passes.VIETNAM).date()
    fifth = calendar.add_working_days(session, issued, 5)
    at = datetime.combine(fifth, datetime.min.time(), passes.VIETNAM) + timedelta(hours=12)
    passes.run_pass(session_factory, at)
    assert flagged(session, "ack_late") == {req.id}
    calendar_days.add_day(
        session, admin, calendar.add_working_days(session, issued, 1), "off", "Nghỉ bù"
    )
    session.flush()
    passes.run_pass(session_factory, at + timedelta(minutes=1))
    assert flagged(session, "ack_late") == set()


def test_calendar_days_are_validated(session, make_user):
    admin = make_user(roles=("admin",))
    saturday, monday = date(2027, 3, 6), date(2027, 3, 8)
    with pytest.raises(InvalidInput) as refused:
        calendar_days.add_day(session, admin, saturday, "off", "")
    assert refused.value.field == "day"
    with pytest.raises(InvalidInput):
        calendar_days.add_day(session, admin, monday, "working", "")
    calendar_days.add_day(session, admin, saturday, "working", "Làm bù")
    with pytest.raises(Conflict):
        calendar_days.add_day(session, admin, saturday, "working", "")
    assert [d.day for d in calendar_days.list_days(session, 2027)] == [saturday]
    calendar_days.remove_day(session, admin, saturday)
    with pytest.raises(NotFound):
        calendar_days.remove_day(session, admin, saturday)
    with pytest.raises(NotAllowed):
        calendar_days.add_day(session, make_user(roles=("supervisor",)), saturday, "working", "")
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "calendar_day")
    ).all()
    assert actions == ["calendar_day.added", "calendar_day.removed"]
    assert session.scalar(select(func.count()).select_from(Flag)) == 0


def test_a_burst_is_worked_off_over_passes_without_false_flags(
    session, session_factory, make_requirement, life, monkeypatch
):
    monkeypatch.setattr(passes, "SUMMARIES_PER_PASS", 1)
    monkeypatch.setattr(passes, "SIGN_PER_PASS", 1)
    text = (
        "Đã rà soát toàn bộ hồ sơ thuê đất của mười bốn doanh nghiệp và lập biên bản "
        "thu hồi phần diện tích sử dụng sai mục đích theo kết luận."
    )
    first = life.remediating(make_requirement())
    life.submit(first, text=text)
    run(session_factory)  # the first run does everything at once
    burst = [life.remediating(make_requirement()) for _ in range(3)]
    for req in burst:
        life.submit(req, text=text)  # with evidence, copied from the first
    for step in range(4):
        result = run(session_factory, days=0.001 * (step + 1))
        # Waiting evidence facts are not judged: nobody is flagged for "no evidence".
        assert flagged(session, "no_evidence") == set()
        assert result.signed <= 1
    assert flagged(session, "copied_report") == {req.id for req in burst}
