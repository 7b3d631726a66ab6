"""The flags board, dismissing a flag, and the administrator's calendar and rules pages:
roles and body reach are checked on every route; bad input names its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from db.models.monitor import CalendarDay, Flag, MonitorRule
from tests.conftest import login, post_form
from tests.integration.monitor_support import flags, run


@pytest.fixture
def overdue_flag(session, session_factory, make_requirement):
    make_requirement(requirement={"deadline": datetime.now(UTC) + timedelta(days=5)})
    run(session_factory, days=10)
    return flags(session, "overdue")[0]


def test_supervisor_sees_the_flags_in_words(client, cast, overdue_flag):
    login(client, cast.supervisor.username)
    html = client.get("/flags?rule=overdue").get_data(as_text=True)
    assert 'data-rule="overdue"' in html
    assert 'data-rule="ack_late"' not in html  # filtered out
    deadline = date.fromisoformat(overdue_flag.facts["deadline"]).strftime("%d/%m/%Y")
    assert f"Hạn xử lý {deadline} đã qua" in html  # in words, in Vietnamese
    assert f"/flags/{overdue_flag.id}/dismiss" in html


def test_board_filters_by_severity_and_age(client, cast, overdue_flag):
    login(client, cast.supervisor.username)
    assert 'data-rule="overdue"' not in client.get("/flags?severity=info").get_data(as_text=True)
    assert 'data-rule="overdue"' not in client.get("/flags?age=3").get_data(as_text=True)
    assert 'data-rule="overdue"' in client.get("/flags?age=0&rule=overdue").get_data(as_text=True)


def test_observer_in_reach_reads_but_cannot_dismiss(client, cast, make_user, overdue_flag):
    observer = make_user(body=cast.commission, roles=("observer",))
    login(client, observer.username)
    html = client.get("/flags").get_data(as_text=True)
    assert 'data-rule="overdue"' in html and "/dismiss" not in html
    assert client.get(f"/flags/{overdue_flag.id}/dismiss").status_code == 403


def test_officer_has_no_board(client, cast, overdue_flag):
    login(client, cast.officer.username)
    assert client.get("/flags").status_code == 403


def test_flags_outside_reach_are_hidden(client, make_user, make_body, overdue_flag):
    stranger = make_user(body=make_body(kind="inspection_commission"), roles=("supervisor",))
    login(client, stranger.username)
    assert 'data-rule="overdue"' not in client.get("/flags").get_data(as_text=True)
    assert client.get(f"/flags/{overdue_flag.id}/dismiss").status_code == 404
    assert client.get(f"/flags?body={overdue_flag.requirement_id}").status_code == 200


def test_dismissing_needs_a_reason(client, cast, session, overdue_flag):
    login(client, cast.supervisor.username)
    path = f"/flags/{overdue_flag.id}/dismiss"
    refused = post_form(client, path, {"reason": ""})
    assert refused.status_code == 400 and 'class="field has-error"' in refused.get_data(
        as_text=True
    )
    done = post_form(client, path, {"reason": "Đã có văn bản gia hạn."})
    assert done.status_code == 302
    session.expire_all()
    flag = session.get(Flag, overdue_flag.id)
    assert flag.status == "dismissed" and flag.dismissed_by_id == cast.supervisor.id


@pytest.fixture
def admin_client(client, make_user):
    make_user("quantri.m1", roles=("admin",))
    login(client, "quantri.m1")
    return client


def test_admin_adds_and_removes_a_make_up_day(admin_client, session):
    page = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "Tết Nguyên Đán" in page
    added = post_form(
        admin_client,
        "/admin/calendar",
        {"day": "2027-02-20", "kind": "working", "note": "Làm bù Tết"},
        form_page="/admin/calendar?year=2027",
    )
    assert added.status_code == 302
    assert session.get(CalendarDay, date(2027, 2, 20)).kind == "working"
    removed = post_form(
        admin_client, "/admin/calendar/2027-02-20/remove", {}, form_page="/admin/calendar?year=2027"
    )
    assert removed.status_code == 302
    session.expire_all()
    assert session.get(CalendarDay, date(2027, 2, 20)) is None


def test_a_day_that_changes_nothing_is_refused_on_its_field(admin_client, session):
    response = post_form(
        admin_client, "/admin/calendar", {"day": "2027-02-06", "kind": "off", "note": ""}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="field has-error"' in html and 'value="2027-02-06"' in html
    assert session.scalar(select(CalendarDay)) is None


def test_admin_edits_a_rule_with_validation(admin_client, session):
    html = admin_client.get("/admin/rules").get_data(as_text=True)
    assert 'data-rule="stalled"' in html and 'data-rule="copied_report"' in html
    bad = post_form(
        admin_client, "/admin/rules/stalled", {"working_days": "0", "severity": "warning"}
    )
    assert bad.status_code == 400 and 'class="field has-error"' in bad.get_data(as_text=True)
    good = post_form(
        admin_client,
        "/admin/rules/stalled",
        {"working_days": "15", "severity": "critical", "enabled": "y"},
    )
    assert good.status_code == 302
    session.expire_all()
    row = session.get(MonitorRule, "stalled")
    assert row.parameters == {"working_days": 15} and row.severity == "critical" and row.enabled
    per_category = post_form(
        admin_client,
        "/admin/rules/too_fast",
        {
            "min_working_days-financial": "12",
            "min_working_days-disciplinary": "10",
            "min_working_days-institutional": "20",
            "min_working_days-administrative": "",
            "min_working_days-referral": "3",
            "severity": "warning",
        },
    )
    assert per_category.status_code == 400
    assert admin_client.get("/admin/rules/nope").status_code == 404


def test_rule_and_calendar_pages_are_for_admins_only(client, cast):
    login(client, cast.supervisor.username)
    assert client.get("/admin/rules").status_code == 403
    assert client.get("/admin/calendar").status_code == 403
