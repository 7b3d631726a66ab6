"""Demo conclusions from each kind of inspecting body, with requirements in every state, so
each demo role finds real work on first login. Everything goes through the verbs, then a
few dates are moved into the past the way months of work would have left them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ProgressReport, Requirement, User
from workflows import definitions, evidence_store, instances, verification
from workflows import requirements as verbs
from workflows.conclusions import ConclusionInput, RequirementInput, issue_conclusion
from workflows.deadlines import end_of_day, vietnam_date
from workflows.engine import runner
from workflows.inputs import EvidenceInput, ReportInput

# A tiny but real PDF (readers open it), so demo evidence downloads and sniffs as PDF.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _evidence(root: Path, name: str, number: str) -> EvidenceInput:
    body = _PDF + f"% {name} {number}\n".encode()  # distinct files, distinct fingerprints
    stored = evidence_store.store(root, BytesIO(body), name, max_bytes=1 << 20)
    return EvidenceInput(
        stored.sha256,
        stored.filename,
        stored.content_type,
        stored.size,
        number,
        vietnam_date(utcnow()) - timedelta(days=3),
    )


def _issue(
    session: Session,
    issuer: User,
    number: str,
    title: str,
    source: str,
    subject: int,
    days_ago: int,
    rows: list[tuple[str, str, int, int, Decimal | None]],
) -> list[Requirement]:
    """rows: (text, category, responsible body, deadline in days after issue, target)."""
    issued = vietnam_date(utcnow()) - timedelta(days=days_ago)
    data = ConclusionInput(
        number=number,
        title=title,
        source=source,
        issue_date=issued,
        subject_body_id=subject,
        summary=title + ". Các sai phạm đã được nêu cụ thể trong kết luận.",
        requirements=tuple(
            RequirementInput(
                text=text,
                category=category,
                responsible_body_id=body,
                deadline=end_of_day(issued + timedelta(days=days)),
                target_amount=target,
            )
            for text, category, body, days, target in rows
        ),
    )
    return list(issue_conclusion(session, issuer, data).requirements)


def _into_remediation(session: Session, officer: User, req: Requirement, plan: str) -> None:
    verbs.acknowledge_requirement(session, officer, req.id)
    verbs.submit_plan(session, officer, req.id, plan)


def _report(
    session: Session,
    officer: User,
    req: Requirement,
    text: str,
    pct: int,
    files: tuple[EvidenceInput, ...] = (),
) -> None:
    verbs.report_progress(session, officer, req.id, ReportInput(text, pct, None, files))


def _submit(
    session: Session,
    officer: User,
    req: Requirement,
    text: str,
    root: Path,
    amount: Decimal | None = None,
) -> None:
    files = (_evidence(root, f"bao-cao-hoan-thanh-{req.id}.pdf", f"{req.id}/BC-HT"),)
    verbs.submit_for_verification(session, officer, req.id, ReportInput(text, 100, amount, files))


def _pass_deadline(session: Session, req: Requirement) -> None:
    """Let the deadline timer fire, as the scheduler would have done on the day."""
    assert req.process_instance_id is not None
    with instances.advancing(session, req.process_instance_id) as running:
        runner.fire_timers(running.workflow, req.deadline + timedelta(minutes=1))


def load_remediation_demo(
    session: Session, ids: dict[str, int], users: dict[str, User], evidence_root: Path
) -> None:
    """Three conclusions (Party inspection, State inspection, State Audit)."""
    if definitions.latest_version(session, "requirement") is None:
        definitions.deploy_shipped(session)
    officer, supervisor = users["canbo.bd"], users["giamsat.hn"]
    party = _issue(
        session,
        supervisor,
        "125-KL/UBKT",
        "Kết luận kiểm tra việc quản lý, sử dụng đất công tại quận Ba Đình",
        "party_inspection",
        ids["QU-BD"],
        120,
        [
            (
                "Thu hồi 2,4 tỷ đồng chi sai chế độ về ngân sách.",
                "financial",
                ids["QU-BD"],
                150,
                Decimal(2_400_000_000),
            ),
            (
                "Kiểm điểm trách nhiệm tập thể Ban Thường vụ và cá nhân có liên quan.",
                "disciplinary",
                ids["QU-BD"],
                90,
                None,
            ),
            (
                "Rà soát, sửa đổi quy chế quản lý tài sản công của quận.",
                "institutional",
                ids["QU-BD"],
                200,
                None,
            ),
            (
                "Chấn chỉnh quy trình cấp giấy chứng nhận quyền sử dụng đất.",
                "administrative",
                ids["QU-BD"],
                180,
                None,
            ),
            (
                "Báo cáo kết quả khắc phục đối với khu đất số 5 Kim Mã.",
                "administrative",
                ids["QU-BD"],
                160,
                None,
            ),
            (
                "Xử lý dứt điểm vi phạm xây dựng tại khu đất số 12 Đội Cấn.",
                "administrative",
                ids["QU-BD"],
                140,
                None,
            ),
        ],
    )
    money, discipline, rules, procedure, report, building = party
    # Financial: in remediation with reports and evidence; 0.9 of 2.4 bn recovered.
    _into_remediation(
        session, officer, money, "Ban hành quyết định thu hồi; nộp ngân sách theo từng đợt."
    )
    verbs.report_progress(
        session,
        officer,
        money.id,
        ReportInput(
            "Đã thu hồi đợt 1.",
            40,
            Decimal(900_000_000),
            (_evidence(evidence_root, "giay-nop-tien-dot-1.pdf", "15/GNT"),),
        ),
    )
    # Disciplinary: the deadline passed with no completion -> overdue.
    _into_remediation(session, officer, discipline, "Tổ chức hội nghị kiểm điểm trong tháng.")
    _pass_deadline(session, discipline)
    # Institutional: submitted, waiting for the supervisor.
    _into_remediation(session, officer, rules, "Dự thảo quy chế mới, lấy ý kiến các phòng ban.")
    _submit(
        session,
        officer,
        rules,
        "Đã ban hành Quy chế số 07/QC-QU thay thế quy chế cũ.",
        evidence_root,
    )
    # Administrative: rejected as formal only, back with the unit.
    _into_remediation(session, officer, procedure, "Rà soát toàn bộ hồ sơ cấp giấy năm 2024-2025.")
    _submit(session, officer, procedure, "Đã chấn chỉnh.", evidence_root)
    verification.verify_requirement(
        session,
        supervisor,
        procedure.id,
        "formal_only",
        reason="Báo cáo chỉ nêu chung chung, không có danh sách hồ sơ đã rà soát.",
    )
    # Closed in full.
    _into_remediation(session, officer, report, "Lập báo cáo chi tiết kèm hồ sơ pháp lý.")
    _submit(session, officer, report, "Đã gửi báo cáo số 45/BC-UBND kèm hồ sơ.", evidence_root)
    verification.verify_requirement(session, supervisor, report.id, "implemented")
    # Extension requested, waiting for a decision.
    _into_remediation(session, officer, building, "Phối hợp với thanh tra xây dựng cưỡng chế.")
    verbs.request_extension(
        session,
        officer,
        building.id,
        "Chờ quyết định cưỡng chế của UBND thành phố.",
        building.deadline + timedelta(days=60),
    )

    inspection = _issue(
        session,
        supervisor,
        "88/KL-TTr",
        "Kết luận thanh tra việc thực hiện dự án cải tạo hạ tầng quận Ba Đình",
        "state_inspection",
        ids["UBND-BD"],
        20,
        [
            (
                "Thu hồi 850 triệu đồng nghiệm thu khống khối lượng.",
                "financial",
                ids["QU-BD"],
                90,
                Decimal(850_000_000),
            ),
            ("Kiểm điểm trách nhiệm Ban quản lý dự án.", "disciplinary", ids["QU-BD"], 60, None),
            ("Di dời trạm biến áp khỏi hành lang dự án.", "administrative", ids["QU-BD"], 60, None),
            ("Hoàn trả mặt bằng cho hộ dân ở ngõ 10.", "administrative", ids["QU-BD"], 60, None),
        ],
    )
    verbs.acknowledge_requirement(session, officer, inspection[1].id)  # the first waits
    substation, ground = inspection[2], inspection[3]
    _into_remediation(session, officer, substation, "Làm việc với Tổng công ty Điện lực.")
    _submit(
        session, officer, substation, "Quy hoạch điện thay đổi, không thể di dời.", evidence_root
    )
    verification.verify_requirement(
        session,
        supervisor,
        substation.id,
        "not_implementable",
        reason="Quy hoạch mới giữ trạm tại chỗ; xem xét trách nhiệm khi lập dự án.",
    )
    _into_remediation(session, officer, ground, "Đo đạc lại ranh giới.")
    verification.withdraw_requirement(
        session, supervisor, ground.id, "Hộ dân đã được bồi thường theo quyết định khác."
    )

    _issue(
        session,
        users["kiemtoan.nn"],
        "312/KL-KTNN",
        "Kết luận kiểm toán báo cáo tài chính năm 2025 của Công ty Nước sạch Hà Nội",
        "state_audit",
        ids["DNNN-NSHN"],
        10,
        [
            (
                "Điều chỉnh giảm chi phí không hợp lệ 1,2 tỷ đồng.",
                "financial",
                ids["DNNN-NSHN"],
                120,
                Decimal(1_200_000_000),
            )
        ],
    )
    _age(session, party + inspection)


def _age(session: Session, reqs: list[Requirement]) -> None:
    """Reports and acknowledgements dated as if made over the past months."""
    for req in reqs:
        session.execute(
            update(ProgressReport)
            .where(ProgressReport.requirement_id == req.id)
            .values(created_at=utcnow() - timedelta(days=25))
        )
