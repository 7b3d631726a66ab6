"""Every monitor rule fires on its planted case and stays silent on a near-miss twin.

Requirements are driven through the real verbs; time is moved either by running the pass
at a later ``now`` (time travel over weeks of working days) or by backdating timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.integration.monitor_support import Life, evidence, flagged, flags, run, sha


@pytest.fixture
def life(session, cast):
    return Life(session, cast)


def _days_ago(days: int):
    return datetime.now(UTC).date() - timedelta(days=days)


def _deadline(days: float) -> dict:
    return {"deadline": datetime.now(UTC) + timedelta(days=days)}


def test_deadline_half_and_three_quarters_used(session, session_factory, make_requirement, life):
    two_thirds = make_requirement(issue_date=_days_ago(30), requirement=_deadline(15))
    nine_tenths = make_requirement(issue_date=_days_ago(50), requirement=_deadline(6))
    make_requirement(issue_date=_days_ago(5), requirement=_deadline(40))
    run(session_factory)
    assert flagged(session, "deadline_50") == {two_thirds.id, nine_tenths.id}
    assert flagged(session, "deadline_75") == {nine_tenths.id}
    (flag,) = flags(session, "deadline_75")
    assert flag.facts["share"] == 75 and flag.facts["working_days_left"] >= 1


def test_overdue_after_the_deadline_passes(session, session_factory, make_requirement):
    late = make_requirement(requirement=_deadline(10))
    twin = make_requirement(requirement=_deadline(30))
    run(session_factory, days=20)
    assert flagged(session, "overdue") == {late.id}
    (flag,) = flags(session, "overdue")
    assert flag.facts["working_days"] >= 5
    assert flag.severity == "critical"
    assert twin.id not in flagged(session, "overdue")


def test_acknowledgement_late(session, session_factory, make_requirement, life):
    silent = make_requirement()
    acknowledged = life.acknowledge(make_requirement())
    run(session_factory, days=14)
    assert flagged(session, "ack_late") == {silent.id}
    assert acknowledged.id not in flagged(session, "ack_late")
    (flag,) = flags(session, "ack_late")
    assert flag.facts["working_days"] >= 8 and flag.facts["limit"] == 5


def test_stalled_when_nothing_is_reported_for_twenty_working_days(
    session, session_factory, make_requirement, life
):
    stalled = life.remediating(make_requirement(requirement=_deadline(120)))
    active = life.remediating(make_requirement(requirement=_deadline(120)))
    for req in (stalled, active):
        life.report(req)
    life.backdate(stalled, last_report_at=40)
    life.backdate(active, last_report_at=10)
    run(session_factory)
    assert flagged(session, "stalled") == {stalled.id}
    assert flags(session, "stalled")[0].facts["working_days"] >= 20


def test_pace_behind_the_elapsed_time(session, session_factory, make_requirement, life):
    # Issued 40 days ago with 20 days left: about two thirds of the time used.
    behind = life.remediating(make_requirement(issue_date=_days_ago(40), requirement=_deadline(20)))
    keeping_up = life.remediating(
        make_requirement(issue_date=_days_ago(40), requirement=_deadline(20))
    )
    life.report(behind, percent=10)
    life.report(keeping_up, percent=60)
    run(session_factory)
    assert flagged(session, "pace") == {behind.id}
    facts = flags(session, "pace")[0].facts
    assert facts["reported_percent"] == 10 and facts["elapsed_percent"] > 40


def test_repeated_extensions(session, session_factory, make_requirement, life):
    twice = life.remediating(make_requirement())
    once = life.remediating(make_requirement())
    life.extend(twice, 10)
    life.extend(twice, 10)
    life.extend(once, 10)
    life.extend(once, 10, approve=False)  # a refused request does not count
    run(session_factory)
    assert flagged(session, "repeated_extensions") == {twice.id}
    assert flags(session, "repeated_extensions")[0].facts["requests"] == 2


def test_verification_backlog(session, session_factory, make_requirement, life):
    waiting = life.remediating(make_requirement())
    fresh = life.remediating(make_requirement())
    life.submit(waiting)
    life.submit(fresh)
    life.backdate(waiting, submitted_at=21)
    life.backdate(fresh, submitted_at=3)
    run(session_factory)
    assert flagged(session, "verification_backlog") == {waiting.id}


def test_completion_claimed_without_evidence(session, session_factory, make_requirement, life):
    bare = life.remediating(make_requirement())
    backed = life.remediating(make_requirement())
    report = life.submit(bare, evidence=())
    life.submit(backed)
    run(session_factory)
    assert flagged(session, "no_evidence") == {bare.id}
    assert flags(session, "no_evidence")[0].facts["report"] == report.id


def test_evidence_recycled_from_another_requirement(
    session, session_factory, make_requirement, life
):
    original, recycler, other = (life.remediating(make_requirement()) for _ in range(3))
    shared = sha("bien-ban-chung.pdf")
    life.report(original, evidence=(evidence(shared),))
    report = life.report(recycler, evidence=(evidence(shared),))
    life.report(other, evidence=(evidence(),))
    run(session_factory)
    assert flagged(session, "recycled_evidence") == {recycler.id}
    facts = flags(session, "recycled_evidence")[0].facts
    assert facts["other_requirement"] == original.id
    assert facts["evidence"] == report.evidence[0].id


def test_evidence_dated_before_the_conclusion(session, session_factory, make_requirement, life):
    early = life.remediating(make_requirement())
    same_day = life.remediating(make_requirement())
    issued = early.conclusion.issue_date
    life.report(early, evidence=(evidence(doc_date=issued - timedelta(days=10)),))
    life.report(same_day, evidence=(evidence(doc_date=issued),))
    run(session_factory)
    assert flagged(session, "evidence_predates") == {early.id}
    facts = flags(session, "evidence_predates")[0].facts
    assert facts["doc_date"] == (issued - timedelta(days=10)).isoformat()
    assert facts["issued_on"] == issued.isoformat()


BOILERPLATE = (
    "Đơn vị đã tổ chức quán triệt kết luận kiểm tra tới toàn thể cán bộ, đảng viên, "
    "xây dựng kế hoạch khắc phục, phân công rõ người rõ việc và thu hồi đầy đủ số tiền "
    "sai phạm về ngân sách nhà nước theo đúng thời hạn quy định."
)


def test_report_text_copied_from_an_earlier_report(
    session, session_factory, make_requirement, life
):
    source, copier, own_words = (life.remediating(make_requirement()) for _ in range(3))
    first = life.report(source, text=BOILERPLATE)
    copy = life.report(copier, text=BOILERPLATE.replace("toàn thể", "tất cả"))
    life.report(
        own_words,
        text="Đã họp chi bộ ngày 5/3, giao phòng tài chính rà soát 14 hợp đồng thuê đất "
        "và báo cáo kết quả thu hồi trước ngày 30/4 cho ủy ban kiểm tra.",
    )
    result = run(session_factory)
    assert result.signed == 3
    assert flagged(session, "copied_report") == {copier.id}
    facts = flags(session, "copied_report")[0].facts
    assert (facts["report"], facts["copied_report"]) == (copy.id, first.id)
    assert facts["copied_requirement"] == source.id and facts["similarity_percent"] >= 80


def test_financial_requirement_claimed_done_short_of_the_target(
    session, session_factory, make_requirement, life
):
    money = {"category": "financial", "target_amount": Decimal(1_500_000_000)}
    short = life.remediating(make_requirement(requirement=money))
    full = life.remediating(make_requirement(requirement=money))
    life.submit(short, amount=Decimal(1_000_000_000))
    life.submit(full, amount=Decimal(1_500_000_000))
    run(session_factory)
    assert flagged(session, "financial_shortfall") == {short.id}
    facts = flags(session, "financial_shortfall")[0].facts
    assert Decimal(str(facts["recovered"])) == Decimal(1_000_000_000)


def test_completion_implausibly_fast_for_its_category(
    session, session_factory, make_requirement, life
):
    hasty = life.remediating(make_requirement())
    steady = life.remediating(make_requirement(issue_date=_days_ago(30)))
    life.submit(hasty)
    life.submit(steady)
    run(session_factory)
    assert flagged(session, "too_fast") == {hasty.id}
    assert flags(session, "too_fast")[0].facts["minimum"] == 5


def test_institutional_requirement_closed_without_the_amended_document(
    session, session_factory, make_requirement, life
):
    rules = {"category": "institutional"}
    uncited = life.remediating(make_requirement(requirement=rules))
    cited = life.remediating(make_requirement(requirement=rules))
    life.submit(uncited, evidence=(evidence(doc_number=None),))
    life.submit(cited, evidence=(evidence(doc_number="07/2027/QĐ-UBND"),))
    for req in (uncited, cited):
        life.verify(req, "implemented")
    run(session_factory)
    assert flagged(session, "no_amended_document") == {uncited.id}


def test_recurrence_of_a_closed_finding_on_the_same_body(
    session, session_factory, make_conclusion, life
):
    today = datetime.now(UTC).date()
    kinds = {"category": "disciplinary"}
    before = make_conclusion(issue_date=today - timedelta(days=400), requirement=kinds)
    closed = life.remediating(before.requirements[0])
    life.submit(closed)
    life.verify(closed, "implemented")
    life.backdate(closed, closed_at=300)
    closed_late = make_conclusion(issue_date=today - timedelta(days=200), requirement=kinds)
    # Closed only after the new conclusion was issued: not a recurrence.
    late = life.remediating(closed_late.requirements[0])
    life.submit(late)
    life.verify(late, "implemented")
    again = make_conclusion(issue_date=today - timedelta(days=1), requirement=kinds)
    other_kind = make_conclusion(
        issue_date=today - timedelta(days=1), requirement={"category": "administrative"}
    )
    run(session_factory)
    assert flagged(session, "recurrence") == {again.requirements[0].id}
    facts = flags(session, "recurrence")[0].facts
    assert facts["earlier_requirement"] == before.requirements[0].id
    assert facts["earlier_conclusion"] == before.number
    assert other_kind.requirements[0].id not in flagged(session, "recurrence")
    assert closed_late.requirements[0].id not in flagged(session, "recurrence")


def test_formal_only_rejection(session, session_factory, make_requirement, life):
    formal = life.remediating(make_requirement())
    incomplete = life.remediating(make_requirement())
    for req in (formal, incomplete):
        life.submit(req)
    verdict = life.verify(formal, "formal_only", "Chỉ có văn bản, chưa thực hiện trên thực tế.")
    life.verify(incomplete, "incomplete", "Thiếu biên bản.")
    run(session_factory)
    assert flagged(session, "formal_only") == {formal.id}
    facts = flags(session, "formal_only")[0].facts
    assert facts["verification"] == verdict.id and "thực tế" in facts["reason"]


def test_recycled_evidence_may_be_allowed_within_one_conclusion(
    session, session_factory, make_conclusion, make_requirement, make_user, life
):
    from workflows.monitor.rule_settings import update_rule

    admin = make_user(roles=("admin",))
    update_rule(
        session,
        admin,
        "recycled_evidence",
        parameters={"ignore_same_conclusion": True},
        severity="critical",
        enabled=True,
    )
    first, sibling = (life.remediating(r) for r in make_conclusion(count=2).requirements)
    stranger = life.remediating(make_requirement())
    shared = sha("bien-ban-hop.pdf")
    for req in (first, sibling, stranger):
        life.report(req, evidence=(evidence(shared),))
    run(session_factory)
    assert flagged(session, "recycled_evidence") == {stranger.id}
    assert flags(session, "recycled_evidence")[0].facts["other_requirement"] == first.id
