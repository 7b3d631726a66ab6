"""Demo data: a realistic hierarchy of bodies and one user per role."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import Body
from workflows.accounts import NewUser, create_user
from workflows.bodies import BodyData, create_body
from workflows.demo_remediation import load_remediation_demo

# (code, name, kind, parent code, supervisor code)
DEMO_BODIES: list[tuple[str, str, str, str | None, str | None]] = [
    ("UBKTTW", "Ủy ban Kiểm tra Trung ương", "inspection_commission", None, None),
    ("TTCP", "Thanh tra Chính phủ", "state_inspectorate", None, None),
    ("KTNN", "Kiểm toán Nhà nước", "state_audit", None, None),
    ("TU-HN", "Thành ủy Hà Nội", "party_committee", None, "UBKTTW"),
    ("UBKT-TU-HN", "Ủy ban Kiểm tra Thành ủy Hà Nội", "inspection_commission", "TU-HN", "UBKTTW"),
    ("TU-BN", "Tỉnh ủy Bắc Ninh", "party_committee", None, "UBKTTW"),
    ("UBKT-TU-BN", "Ủy ban Kiểm tra Tỉnh ủy Bắc Ninh", "inspection_commission", "TU-BN", "UBKTTW"),
    ("QU-BD", "Quận ủy Ba Đình", "party_committee", "TU-HN", "UBKT-TU-HN"),
    ("HU-DA", "Huyện ủy Đông Anh", "party_committee", "TU-HN", "UBKT-TU-HN"),
    ("TU-TS", "Thành ủy Từ Sơn", "party_committee", "TU-BN", "UBKT-TU-BN"),
    ("TT-HN", "Thanh tra thành phố Hà Nội", "state_inspectorate", None, "TTCP"),
    ("STNMT-HN", "Sở Tài nguyên và Môi trường Hà Nội", "agency", None, "TT-HN"),
    ("UBND-BD", "Ủy ban nhân dân quận Ba Đình", "agency", "QU-BD", "UBKT-TU-HN"),
    ("DNNN-NSHN", "Công ty TNHH MTV Nước sạch Hà Nội", "enterprise", None, "KTNN"),
    ("DNNN-MTDT", "Công ty TNHH MTV Môi trường đô thị Bắc Ninh", "enterprise", None, "KTNN"),
]

# (role, user name, full name, body code)
DEMO_USERS = [
    ("officer", "canbo.bd", "Nguyễn Văn An", "QU-BD"),
    ("supervisor", "giamsat.hn", "Trần Thị Bình", "UBKT-TU-HN"),
    ("designer", "thietke", "Lê Minh Châu", "UBKTTW"),
    ("admin", "quantri", "Phạm Quốc Dũng", "UBKTTW"),
    ("observer", "lanhdao", "Hoàng Thu Hà", "UBKTTW"),
]
# More people for the other inspecting bodies' conclusions (listed after the main five).
MORE_DEMO_USERS = [
    ("supervisor", "kiemtoan.nn", "Vũ Đức Thắng", "KTNN"),
    ("officer", "canbo.nshn", "Đỗ Thị Lan", "DNNN-NSHN"),
]


def _password() -> str:
    # Random per installation: demo logins are printed, never shipped in the repository.
    return f"{secrets.token_urlsafe(8)}-{secrets.randbelow(9000) + 1000}"


def load_demo(session: Session, instance_path: Path) -> list[tuple[str, str, str]]:
    """Create the demo bodies, users and conclusions; return (role, user name, password)
    for each user. Evidence files go under ``instance_path``."""
    ids: dict[str, int] = {}
    for code, name, kind, parent, supervisor in DEMO_BODIES:
        body: Body = create_body(
            session,
            BodyData(code, name, kind, ids.get(parent or ""), ids.get(supervisor or "")),
            actor=None,
        )
        ids[code] = body.id
    logins, users = [], {}
    for role, username, full_name, body_code in DEMO_USERS + MORE_DEMO_USERS:
        password = _password()
        users[username] = create_user(
            session, NewUser(username, full_name, ids[body_code], (role,), password)
        )
        logins.append((role, username, password))
    load_remediation_demo(session, ids, users, instance_path / "evidence")
    from workflows.demo_escalation import load_escalation_demo
    from workflows.demo_monitor import load_monitor_demo

    logins += load_escalation_demo(session, ids, users)
    load_monitor_demo(session, users, instance_path / "evidence")
    return logins
