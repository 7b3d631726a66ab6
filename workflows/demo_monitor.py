"""Demo requirements that trip every monitor rule, then one monitor pass, so the flags
board has something to show on first login.

Everything goes through the verbs; then dates are moved back with plain UPDATEs, the way
months of work would have left them (the verbs stamp the real clock).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ProgressReport, Requirement, User
from workflows import evidence_store, verification
from workflows import requirements as verbs
from workflows.calendar import working_days_between
from workflows.conclusions import VIETNAM, ConclusionInput, RequirementInput, issue_conclusion
from workflows.inputs import EvidenceInput, ReportInput
from workflows.monitor import PassResult
from workflows.monitor.passes import run_in_session

_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
BOILERPLATE = (
    "Đơn vị đã tổ chức quán triệt nghiêm túc kết luận kiểm tra tới toàn thể cán bộ, đảng "
    "viên; xây dựng kế hoạch khắc phục, phân công rõ người, rõ việc, rõ thời hạn và thường "
    "xuyên đôn đốc, kiểm tra việc thực hiện."
)


class _Demo:
    """The cast and helpers of the monitor's demo: one unit, its officer, a supervisor."""

    def __init__(self, session: Session, officer: User, supervisor: User, root: Path) -> None:
        self.session, self.officer, self.supervisor, self.root = session, officer, supervisor, root
        self.today = utcnow().astimezone(VIETNAM).date()

    def issue(self, number: str, title: str, days_ago: int, rows: list[Any]) -> list[Requirement]:
        """rows: (text, category, deadline in days after issue, target amount or None)."""
        issued = self.today - timedelta(days=days_ago)
        data = ConclusionInput(
            number=number,
            title=title,
            source="party_inspection",
            issue_date=issued,
            subject_body_id=self.officer.body_id,
            summary=title + ".",
            requirements=tuple(
                RequirementInput(
                    text=text,
                    category=category,
                    responsible_body_id=self.officer.body_id,
                    deadline=_end_of(issued + timedelta(days=days)),
                    target_amount=target,
                )
                for text, category, days, target in rows
            ),
        )
        reqs = list(issue_conclusion(self.session, self.supervisor, data).requirements)
        self.move(reqs, created_at=days_ago)
        return reqs

    def file(self, name: str, number: str | None, dated: date) -> EvidenceInput:
        stored = evidence_store.store(
            self.root, BytesIO(_PDF + f"% {name}\n".encode()), name, max_bytes=1 << 20
        )
        return EvidenceInput(
            stored.sha256, stored.filename, stored.content_type, stored.size, number, dated
        )

    def start(self, req: Requirement) -> Requirement:
        verbs.acknowledge_requirement(self.session, self.officer, req.id)
        verbs.submit_plan(self.session, self.officer, req.id, "Kế hoạch khắc phục theo kết luận.")
        return req

    def report(self, req: Requirement, text: str, percent: int, *files: EvidenceInput) -> Any:
        report = ReportInput(text, percent, None, files)
        return verbs.report_progress(self.session, self.officer, req.id, report)

    def submit(
        self, req: Requirement, text: str, *files: EvidenceInput, amount: int | None = None
    ) -> None:
        report = ReportInput(text, 100, Decimal(amount) if amount else None, files)
        verbs.submit_for_verification(self.session, self.officer, req.id, report)

    def verify(self, req: Requirement, decision: str, reason: str = "") -> None:
        verification.verify_requirement(
            self.session, self.supervisor, req.id, decision, reason=reason
        )

    def working_days_back(self, working_days: int) -> int:
        """How many calendar days back from today span ``working_days`` working days (so a
        planted case trips its rule whatever the weekday or holiday the demo is loaded on)."""
        days = working_days
        while working_days_between(self.session, self.today - timedelta(days=days), self.today) < (
            working_days
        ):
            days += 1
        return days

    def move(self, reqs: list[Requirement], **days_ago: int) -> None:
        """Set requirement timestamps (and their reports', for ``last_report_at``) back."""
        now = utcnow()
        values = {column: now - timedelta(days=n) for column, n in days_ago.items()}
        ids = [r.id for r in reqs]
        self.session.flush()
        self.session.execute(update(Requirement).where(Requirement.id.in_(ids)).values(**values))
        if "last_report_at" in values:
            self.session.execute(
                update(ProgressReport)
                .where(ProgressReport.requirement_id.in_(ids))
                .values(created_at=values["last_report_at"])
            )


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), VIETNAM)


def _earlier_closed_finding(demo: _Demo) -> None:
    """A finding closed last year, so this year's same finding is a recurrence."""
    (old,) = demo.issue(
        "18-KL/UBKT",
        "Kết luận kiểm tra việc chấp hành quy chế làm việc năm trước",
        400,
        [("Kiểm điểm trách nhiệm Thường trực Quận ủy.", "disciplinary", 90, None)],
    )
    demo.start(old)
    demo.submit(
        old,
        "Đã tổ chức kiểm điểm theo quy định.",
        demo.file("bb-kiem-diem.pdf", "05/BB", demo.today),
    )
    demo.verify(old, "implemented")
    demo.move([old], closed_at=300)


def _plant(demo: _Demo) -> None:
    late = demo.issue(
        "52-KL/UBKT",
        "Kết luận kiểm tra công tác quản lý tài chính, đầu tư công tại quận Ba Đình",
        100,
        [
            (
                "Thu hồi 2,5 tỷ đồng chi sai mục đích từ vốn đầu tư công.",
                "financial",
                180,
                2_500_000_000,
            ),
            ("Rà soát, hoàn thiện quy trình cấp phép xây dựng.", "administrative", 130, None),
            ("Kiểm điểm trách nhiệm tập thể Ban Thường vụ Quận ủy.", "disciplinary", 90, None),
            ("Sửa đổi quy chế chi tiêu nội bộ cho đúng quy định.", "institutional", 120, None),
            ("Công khai kết quả xử lý sai phạm tại trụ sở.", "administrative", 60, None),
            ("Báo cáo kết quả khắc phục về Ủy ban Kiểm tra.", "administrative", 150, None),
            ("Chuyển hồ sơ vụ việc sang cơ quan điều tra.", "referral", 150, None),
            ("Kiểm điểm trách nhiệm Trưởng phòng Tài chính - Kế hoạch.", "disciplinary", 150, None),
            (
                "Chấn chỉnh việc cho thuê đất sai mục đích tại phường Kim Mã.",
                "administrative",
                150,
                None,
            ),
            ("Hoàn thiện hồ sơ quản lý tài sản công.", "administrative", 180, None),
        ],
    )
    money, slow, _silent, rules, extended, bare, recycler, copier, formal, steady = late
    for req in (money, slow, rules, extended, bare, recycler, copier, formal, steady):
        demo.start(req)
    issued = demo.today - timedelta(days=100)
    receipt = demo.file("phieu-thu-dot-1.pdf", "112/PT", demo.today - timedelta(days=30))
    demo.report(money, BOILERPLATE, 30, receipt)
    demo.submit(
        money,
        "Đã thu hồi một phần, số còn lại đang đôn đốc.",
        demo.file("phieu-thu-dot-2.pdf", "140/PT", demo.today),
        amount=800_000_000,
    )
    demo.report(slow, "Đã giao phòng Quản lý đô thị rà soát quy trình.", 10)
    demo.move([slow], last_report_at=demo.working_days_back(28))
    old_file = demo.file("quy-che-cu.pdf", None, issued - timedelta(days=20))
    demo.submit(rules, "Đã ban hành quy chế chi tiêu nội bộ mới.", old_file)
    demo.verify(rules, "implemented")
    for weeks in (3, 6):
        wanted = _end_of(demo.today + timedelta(weeks=weeks))
        verbs.request_extension(
            demo.session, demo.officer, extended.id, "Chờ ý kiến cấp trên.", wanted
        )
        verification.decide_extension(demo.session, demo.supervisor, extended.id, True)
    demo.submit(bare, "Đã hoàn thành việc khắc phục theo kết luận.")
    demo.move([bare], submitted_at=demo.working_days_back(15))
    demo.report(recycler, "Đã gửi hồ sơ sang cơ quan điều tra.", 50, receipt)
    demo.report(copier, BOILERPLATE.replace("nghiêm túc", "kịp thời"), 40)
    demo.submit(
        formal,
        "Đã ban hành văn bản chấn chỉnh.",
        demo.file("cong-van-chan-chinh.pdf", "76/CV", demo.today),
    )
    demo.verify(formal, "formal_only", "Mới ban hành văn bản, chưa thu hồi đất trên thực tế.")
    demo.report(steady, "Đã kiểm kê xong 60% tài sản.", 60)
    (hasty,) = demo.issue(
        "61-KL/UBKT",
        "Kết luận kiểm tra công tác cải cách hành chính",
        2,
        [
            (
                "Niêm yết công khai thủ tục hành chính tại bộ phận một cửa.",
                "administrative",
                60,
                None,
            )
        ],
    )
    demo.start(hasty)
    demo.submit(hasty, "Đã niêm yết đầy đủ.", demo.file("anh-niem-yet.pdf", "01/BC", demo.today))


def load_monitor_demo(session: Session, users: dict[str, User], evidence_root: Path) -> PassResult:
    """Plant a requirement for every rule (see ``_plant``) and run one monitor pass."""
    demo = _Demo(session, users["canbo.bd"], users["giamsat.hn"], evidence_root)
    _earlier_closed_finding(demo)
    _plant(demo)
    session.flush()
    return run_in_session(session, utcnow())
