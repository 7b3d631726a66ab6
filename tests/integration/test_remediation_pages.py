"""The remediation pages through HTTP: register, inbox, each action on a requirement,
verification, closure — and who may not see or do what."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Conclusion, Evidence, ProgressReport, Requirement
from tests.conftest import login
from workflows import definitions
from workflows.deadlines import vietnam_date

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def token(client: Any, path: str, prefix: str = "") -> str:
    html = client.get(path).get_data(as_text=True)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    found = re.search(
        rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', html
    ) or re.search(rf'type="hidden" name="{re.escape(name)}" value="([^"]+)"', html)
    assert found, f"no {name} on {path}"
    return found[1]


def lock_of(client: Any, path: str, prefix: str) -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(rf'name="{prefix}-lock_version" type="hidden" value="(\d*)"', html)
    assert found, f"no lock version for {prefix}"
    return found[1]


def act(client: Any, rid: int, action: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    page = f"/requirements/{rid}"
    fields = {
        f"{action}-csrf_token": token(client, page, action),
        f"{action}-lock_version": lock_of(client, page, action),
    }
    fields.update({f"{action}-{k}": v for k, v in (data or {}).items()})
    return client.post(f"{page}/{action}", data=fields, content_type="multipart/form-data", **kw)


def pdf(name: str = "bien-ban.pdf", content: bytes = PDF) -> tuple[io.BytesIO, str]:
    return (io.BytesIO(content), name)


@pytest.fixture(autouse=True)
def deployed(session: Any) -> None:
    if definitions.latest_version(session, "requirement") is None:
        definitions.deploy_shipped(session)


def register_form(cast: Any, number: str = "12-KL/UBKT", **row: Any) -> dict[str, Any]:
    issue = vietnam_date(utcnow()) - timedelta(days=2)
    base = {
        "number": number,
        "title": "Kết luận kiểm tra khi có dấu hiệu vi phạm",
        "source": "party_inspection",
        "issue_date": issue.isoformat(),
        "subject_body_id": str(cast.unit.id),
        "summary": "Vi phạm trong quản lý đất đai.",
        "issue": "1",
    }
    for i in range(2):
        values = {
            "text": f"Thu hồi khoản chi sai {i + 1}",
            "category": "financial" if i == 0 else "administrative",
            "responsible_body_id": str(cast.unit.id),
            "responsible_officer_id": "",
            "supervising_body_id": str(cast.commission.id),
            "deadline_kind": "date",
            "deadline_date": (issue + timedelta(days=60)).isoformat(),
            "target_amount": "1500000000" if i == 0 else "",
            **row,
        }
        base.update({f"requirements-{i}-{k}": v for k, v in values.items()})
    return base


def register(client: Any, cast: Any, **kw: Any) -> Any:
    data = register_form(cast, **kw)
    data["csrf_token"] = token(client, "/conclusions/new")
    return client.post("/conclusions/new", data=data)


def test_a_supervisor_registers_a_conclusion_and_its_units_find_the_work(client, session, cast):
    login(client, cast.supervisor.username)
    answer = register(client, cast)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    conclusion = session.scalar(select(Conclusion).where(Conclusion.number == "12-KL/UBKT"))
    assert [r.status for r in conclusion.requirements] == ["issued", "issued"]
    assert conclusion.requirements[0].target_amount == 1_500_000_000
    page = client.get(answer.location).get_data(as_text=True)
    assert "Thu hồi khoản chi sai 1" in page and "1.500.000.000" in page

    client.post("/logout", data={"csrf_token": token(client, "/")})
    login(client, cast.officer.username)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert inbox.count("Xác nhận đã nhận kiến nghị") == 2 or inbox.count("acknowledge") >= 2


def test_register_refuses_a_deadline_before_the_issue_date_and_stores_nothing(
    client, session, cast
):
    login(client, cast.supervisor.username)
    long_ago = (vietnam_date(utcnow()) - timedelta(days=30)).isoformat()
    answer = register(client, cast, deadline_date=long_ago)
    assert answer.status_code == 400
    assert "requirements-0-deadline_date" in answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Conclusion)) == 0


def test_register_refuses_a_duplicate_number(client, session, cast, make_conclusion):
    existing = make_conclusion()
    login(client, cast.supervisor.username)
    answer = register(client, cast, number=existing.number)
    assert answer.status_code == 409
    assert existing.number in answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Conclusion)) == 1


def test_register_refuses_a_body_outside_the_issuers_reach(client, session, cast, make_body):
    stranger = make_body()
    login(client, cast.supervisor.username)
    answer = register(client, cast, responsible_body_id=str(stranger.id))
    assert answer.status_code == 400
    assert session.scalar(select(func.count()).select_from(Conclusion)) == 0


def test_register_counts_working_days_from_the_issue_date(client, session, cast):
    login(client, cast.supervisor.username)
    answer = register(client, cast, deadline_kind="working_days", working_days="10")
    assert answer.status_code == 302
    req = session.scalar(select(Requirement).order_by(Requirement.id))
    issue = vietnam_date(utcnow()) - timedelta(days=2)
    assert (vietnam_date(req.deadline) - issue).days >= 14  # ten working days span two weekends


def test_an_officer_may_not_register(client, cast):
    login(client, cast.officer.username)
    assert client.get("/conclusions/new").status_code == 403


def test_the_officer_takes_each_step_from_the_page(client, session, cast, make_requirement):
    req = make_requirement(requirement={"category": "financial"})
    login(client, cast.officer.username)
    assert act(client, req.id, "acknowledge").status_code == 302
    assert act(client, req.id, "plan", {"plan": "Thu hồi trong 30 ngày"}).status_code == 302
    answer = act(
        client,
        req.id,
        "report",
        {
            "text": "Đã thu hồi một phần",
            "percent": "40",
            "amount_recovered": "500000000",
            "evidence-0-file": pdf(),
            "evidence-0-doc_number": "12/QĐ-UBND",
            "evidence-0-doc_date": "2026-11-02",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    session.refresh(req)
    assert (req.status, req.progress_percent, req.recovered_amount) == (
        "in_progress",
        40,
        500_000_000,
    )
    ev = session.scalar(select(Evidence))
    assert (ev.content_type, ev.doc_number, ev.doc_date) == (
        "application/pdf",
        "12/QĐ-UBND",
        date(2026, 11, 2),
    )
    download = client.get(f"/evidence/{ev.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    answer = act(
        client,
        req.id,
        "submit",
        {
            "text": "Hoàn thành",
            "percent": "100",
            "amount_recovered": "1500000000",
            "evidence-0-file": pdf("xong.pdf"),
        },
    )
    assert answer.status_code == 302
    session.refresh(req)
    assert req.status == "pending_verification"
    page = client.get(f"/requirements/{req.id}").get_data(as_text=True)
    assert "xong.pdf" in page and "bien-ban.pdf" in page


@pytest.mark.parametrize(
    "content,name",
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "bao-cao.pdf"),
        (b"", "empty.pdf"),
        (b"PK\x03\x04junk", "x.docx"),
    ],
    ids=["exe-renamed-pdf", "empty", "fake-docx"],
)
def test_a_disguised_or_empty_file_is_refused_and_nothing_is_stored(
    client, session, cast, make_requirement, content, name
):
    req = make_requirement()
    login(client, cast.officer.username)
    act(client, req.id, "acknowledge")
    act(client, req.id, "plan", {"plan": "Kế hoạch"})
    answer = act(
        client,
        req.id,
        "report",
        {"text": "x", "percent": "10", "evidence-0-file": pdf(name, content)},
    )
    assert answer.status_code == 400
    assert name in answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ProgressReport)) == 0
    session.refresh(req)
    assert req.progress_percent == 0


def test_a_double_submitted_form_is_refused_the_second_time(
    client, session, cast, make_requirement
):
    req = make_requirement()
    login(client, cast.officer.username)
    page = f"/requirements/{req.id}"
    data = {
        "acknowledge-csrf_token": token(client, page, "acknowledge"),
        "acknowledge-lock_version": lock_of(client, page, "acknowledge"),
    }
    assert client.post(f"{page}/acknowledge", data=data).status_code == 302
    again = client.post(f"{page}/acknowledge", data=data)
    assert again.status_code == 409
    assert 'id="problem"' in again.get_data(as_text=True)
    session.refresh(req)
    assert req.status == "acknowledged"


def test_the_supervisor_rejects_as_formal_only_then_closes_and_the_conclusion_closes(
    client, session, cast, make_requirement
):
    req = make_requirement()
    login(client, cast.officer.username)
    act(client, req.id, "acknowledge")
    act(client, req.id, "plan", {"plan": "Kế hoạch"})
    act(client, req.id, "submit", {"text": "Xong", "percent": "100", "evidence-0-file": pdf()})
    client.post("/logout", data={"csrf_token": token(client, "/")})

    login(client, cast.supervisor.username)
    queue = client.get("/verification").get_data(as_text=True)
    assert f"/requirements/{req.id}" in queue
    stale = {"verify-csrf_token": token(client, f"/requirements/{req.id}", "verify")}
    refused = act(client, req.id, "verify", {"decision": "formal_only", "reason": ""})
    assert refused.status_code == 400
    answer = act(client, req.id, "verify", {"decision": "formal_only", "reason": "Chỉ là báo cáo"})
    assert answer.status_code == 302
    session.refresh(req)
    assert req.status == "returned"
    # Not awaiting verification any more: the same form sent again is refused.
    again = client.post(
        f"/requirements/{req.id}/verify", data={**stale, "verify-decision": "implemented"}
    )
    assert again.status_code == 409 and 'id="problem"' in again.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(client, "/")})

    login(client, cast.officer.username)
    act(
        client,
        req.id,
        "submit",
        {"text": "Bổ sung", "percent": "100", "evidence-0-file": pdf("b.pdf")},
    )
    client.post("/logout", data={"csrf_token": token(client, "/")})
    login(client, cast.supervisor.username)
    assert act(client, req.id, "verify", {"decision": "implemented"}).status_code == 302
    session.refresh(req)
    assert req.status == "closed"
    page = f"/conclusions/{req.conclusion_id}"
    assert 'id="assess"' in client.get(page).get_data(as_text=True)
    answer = client.post(
        f"{page}/assess",
        data={"csrf_token": token(client, page), "assessment": "Đã thực hiện nghiêm túc."},
    )
    assert answer.status_code == 302
    conclusion = session.get(Conclusion, req.conclusion_id)
    session.refresh(conclusion)
    assert conclusion.status == "closed"


def test_someone_from_another_body_sees_nothing(
    client, session, cast, make_requirement, make_body, make_user
):
    req = make_requirement()
    login(client, cast.officer.username)
    act(client, req.id, "acknowledge")
    act(client, req.id, "plan", {"plan": "Kế hoạch"})
    act(client, req.id, "report", {"text": "x", "percent": "10", "evidence-0-file": pdf()})
    ev = session.scalar(select(Evidence))
    client.post("/logout", data={"csrf_token": token(client, "/")})

    outsider = make_user(body=make_body(), roles=("officer", "supervisor"))
    login(client, outsider.username)
    assert client.get(f"/requirements/{req.id}").status_code == 404
    assert client.get(f"/evidence/{ev.id}").status_code == 404
    assert client.get(f"/conclusions/{req.conclusion_id}").status_code == 404
    assert client.get(f"/conclusions/{req.conclusion_id}/document").status_code == 404
    answer = client.post(
        f"/requirements/{req.id}/report",
        data={"report-csrf_token": token(client, "/"), "report-text": "x", "report-percent": "5"},
    )
    assert answer.status_code in (400, 404)
    assert f"/requirements/{req.id}" not in client.get("/inbox").get_data(as_text=True)


def test_the_requirement_page_shows_its_escalations_in_the_timeline(
    client, session, cast, make_requirement
):
    from workflows.escalation import raise_escalation

    req = make_requirement()
    raise_escalation(session, req, 0, "overdue", {"days": 3}, deliver=False)
    login(client, cast.officer.username)
    page = client.get(f"/requirements/{req.id}").get_data(as_text=True)
    assert 'id="escalations"' in page
    assert "escalation.raised" not in page  # shown in words, not as a code
    assert page.count("Cấp 0") >= 2  # the escalations table and the timeline entry
