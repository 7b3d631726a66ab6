"""The escalations board, an escalation's page, the ladder's thresholds and accountability
cases through HTTP — and who may not see or do what."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models.escalation import AccountabilityCase, Escalation, EscalationThreshold
from tests.conftest import login
from workflows import requirements as verbs
from workflows.accountability import open_case
from workflows.conclusions import VIETNAM
from workflows.escalation import raise_escalation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def token(client: Any, path: str, prefix: str = "") -> str:
    html = client.get(path).get_data(as_text=True)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    found = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', html) or (
        re.search(rf'type="hidden" name="{re.escape(name)}" value="([^"]+)"', html)
    )
    assert found, f"no {name} on {path}"
    return found[1]


def as_user(app: Any, user: Any) -> Any:
    client = app.test_client()
    login(client, user.username)
    return client


@pytest.fixture
def escalated(session, cast, make_requirement):
    req = make_requirement()
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Plan.")
    raise_escalation(session, req, 0, "overdue", {"overdue_days": 2, "flags": []})
    raise_escalation(session, req, 1, "overdue", {"overdue_days": 6, "flags": []})
    return req


@pytest.fixture
def stranger(make_body, make_user):
    return make_user(body=make_body(kind="inspection_commission"), roles=("supervisor",))


def level_one(session, req):
    return session.scalar(
        select(Escalation).where(Escalation.requirement_id == req.id, Escalation.level == 1)
    )


def test_the_board_shows_escalations_in_reach_only(app, session, cast, escalated, stranger):
    own = as_user(app, cast.supervisor).get("/escalations").get_data(as_text=True)
    assert own.count("/escalations/") >= 2 and escalated.text[:30] in own
    other = as_user(app, stranger)
    assert escalated.text[:30] not in other.get("/escalations").get_data(as_text=True)
    assert other.get(f"/escalations/{level_one(session, escalated).id}").status_code == 404
    assert as_user(app, cast.officer).get("/escalations").status_code == 403


def test_the_board_filters_by_level_and_age(app, session, cast, escalated):
    client = as_user(app, cast.supervisor)
    page = client.get("/escalations?level=1").get_data(as_text=True)
    assert "Cấp 1" in page and "Cấp 0" not in page
    assert escalated.text[:30] not in client.get("/escalations?age=3").get_data(as_text=True)
    level_one(session, escalated).raised_at = utcnow() - timedelta(days=5)
    session.flush()
    assert escalated.text[:30] in client.get("/escalations?age=3").get_data(as_text=True)


def test_a_supervisor_handles_an_escalation_on_its_page(app, session, cast, escalated):
    esc = level_one(session, escalated)
    client, path = as_user(app, cast.supervisor), f"/escalations/{esc.id}"
    data = {"csrf_token": token(client, path), "decision": "instructed", "note": ""}
    refused = client.post(path, data=data)
    assert refused.status_code == 400 and "Ghi rõ nội dung đã quyết định" in refused.get_data(
        as_text=True
    )
    done = client.post(path, data={**data, "note": "Báo cáo hằng tuần."})
    assert done.status_code == 302
    session.expire_all()
    assert level_one(session, escalated).decision == "instructed"


def test_an_observer_reads_but_cannot_handle(app, session, cast, escalated, make_user):
    observer = make_user(body=cast.commission, roles=("observer",))
    client, path = as_user(app, observer), f"/escalations/{level_one(session, escalated).id}"
    assert client.get(path).status_code == 200
    response = client.post(path, data={"csrf_token": token(client, path), "decision": "noted"})
    assert response.status_code == 403


def test_an_admin_edits_the_ladder_of_a_kind(app, session, cast, make_user):
    admin = as_user(app, make_user(roles=("admin",)))
    assert admin.get("/escalations/thresholds").status_code == 200
    path = "/escalations/thresholds/enterprise"
    fields = {"csrf_token": token(admin, path)}
    for level, days in enumerate((2, 10, 20, 40)):
        fields |= {f"overdue_days_{level}": str(days), f"open_flags_{level}": ""}
        fields[f"flag_severity_{level}"] = "critical"
    bad = admin.post(path, data={**fields, "overdue_days_1": "1"})
    assert bad.status_code == 400
    assert "không thể đạt sớm hơn" in bad.get_data(as_text=True)
    assert admin.post(path, data=fields).status_code == 302
    rows = session.scalars(
        select(EscalationThreshold.overdue_days)
        .where(EscalationThreshold.body_kind == "enterprise")
        .order_by(EscalationThreshold.level)
    )
    assert list(rows) == [2, 10, 20, 40]
    assert as_user(app, cast.supervisor).get(path).status_code == 403


def test_an_accountability_case_runs_through_its_pages(app, session, cast, escalated, stranger):
    case = open_case(session, escalated, reason="supervisor", handling_body_id=cast.commission.id)
    path = f"/accountability/{case.id}"
    boss, unit = as_user(app, cast.supervisor), as_user(app, cast.officer)
    assert f"#{case.id}" in unit.get("/accountability").get_data(as_text=True)
    assert as_user(app, stranger).get(path).status_code == 404

    def post(client: Any, action: str, data: dict[str, Any], **kw: Any) -> Any:
        fields = {f"{action}-csrf_token": token(client, path, action)}
        fields |= {f"{action}-{k}": v for k, v in data.items()}
        return client.post(f"{path}/{action}", data=fields, **kw)

    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(days=7)).date().isoformat()
    assert post(boss, "request", {"due": tomorrow, "note": "Vì sao chậm?"}).status_code == 302
    assert post(unit, "explain", {"explanation": "Thiếu nhân lực."}).status_code == 302
    assert post(boss, "review", {"note": "Lý do không thỏa đáng."}).status_code == 302
    missing = post(boss, "decide", {"decision": "warning", "note": "Cảnh cáo."})
    assert missing.status_code == 400
    assert "Đính kèm quyết định đã ký (PDF)" in missing.get_data(as_text=True)
    upload = {"decision": "warning", "note": "Cảnh cáo.", "document": (io.BytesIO(PDF), "qd.pdf")}
    assert post(boss, "decide", upload, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    case = session.get(AccountabilityCase, case.id)
    assert (case.status, case.decision, case.document_filename) == ("closed", "warning", "qd.pdf")
    document = unit.get(f"{path}/document")
    assert document.status_code == 200 and document.data == PDF
    assert "attachment" in document.headers["Content-Disposition"]


def test_only_the_unit_explains_and_only_the_handler_requests(
    app, session, cast, escalated, make_user
):
    case = open_case(session, escalated, reason="supervisor", handling_body_id=cast.commission.id)
    path = f"/accountability/{case.id}"
    unit = as_user(app, cast.officer)
    assert "act-request" not in unit.get(path).get_data(as_text=True)
    due = (utcnow().astimezone(VIETNAM) + timedelta(days=7)).date().isoformat()
    fields = {"request-csrf_token": token(unit, path), "request-due": due, "request-note": "x"}
    assert unit.post(f"{path}/request", data=fields).status_code == 403
    session.expire_all()
    assert session.get(AccountabilityCase, case.id).status == "open"
    boss = as_user(app, cast.supervisor)
    assert (
        boss.post(
            f"{path}/request", data=fields | {"request-csrf_token": token(boss, path)}
        ).status_code
        == 302
    )
    # A colleague of the unit who is not an officer cannot explain.
    observer = as_user(app, make_user(body=cast.unit, roles=("observer",)))
    explain = {"explain-csrf_token": token(observer, path), "explain-explanation": "Không."}
    assert observer.post(f"{path}/explain", data=explain).status_code == 403
