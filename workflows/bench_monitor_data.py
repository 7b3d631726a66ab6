"""The monitor benchmark's data, generated inside PostgreSQL (``generate_series``).

Requirement ``i`` belongs to conclusion ``(i - 1) / 10 + 1``; the last ``open`` ids are the
open ones (their conclusions are the newest, issued within about nine months). Small,
regular shares of the rows trip the formal rules (no evidence, recycled files, documents
dated too early, copied report texts, shortfalls, hasty completions), and the time-based
rules fire where the dates fall.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

BODIES_PER_REQUIREMENT = 50

#: A report is 24 words drawn from this vocabulary by a hash of its number and position, so
#: reports read alike but rarely share a run of three words (as real ones do).
_WORDS = [
    "đơn",
    "vị",
    "đã",
    "đang",
    "sẽ",
    "triển",
    "khai",
    "thực",
    "hiện",
    "kết",
    "luận",
    "kiểm",
    "tra",
    "rà",
    "soát",
    "hồ",
    "sơ",
    "thu",
    "hồi",
    "tiền",
    "ngân",
    "sách",
    "kiểm",
    "điểm",
    "trách",
    "nhiệm",
    "cán",
    "bộ",
    "đảng",
    "viên",
    "quy",
    "chế",
    "sửa",
    "đổi",
    "ban",
    "hành",
    "văn",
    "bản",
    "báo",
    "cáo",
    "tiến",
    "độ",
    "hoàn",
    "thành",
    "kế",
    "hoạch",
    "phân",
    "công",
    "phòng",
    "tài",
    "chính",
    "đất",
    "đai",
    "xây",
    "dựng",
    "công",
    "khai",
    "niêm",
    "yết",
    "họp",
    "chi",
    "bộ",
    "tổ",
    "chức",
    "đôn",
    "đốc",
    "quý",
    "tháng",
    "năm",
    "hợp",
    "đồng",
    "tài",
    "sản",
]
_VOCAB = "ARRAY[" + ", ".join(f"'{w}'" for w in _WORDS) + "]"
_TEXT = " || ' ' || ".join(
    f"({_VOCAB})[1 + abs(hashtext(({{k}})::text || '-{i}')) % {len(_WORDS)}]" for i in range(24)
)


def _text(k: str) -> str:
    return _TEXT.format(k=k)


SETUP = [
    """INSERT INTO body (id, code, name, kind, supervisor_id, created_at)
       SELECT b, 'BENCH-' || b, 'Đơn vị ' || b,
              CASE WHEN b = 1 THEN 'inspection_commission' ELSE 'agency' END,
              CASE WHEN b = 1 THEN NULL ELSE 1 END, :now
       FROM generate_series(1, :bodies) AS b""",
    """INSERT INTO user_account (id, username, full_name, body_id, password_hash, locale,
                                active, failed_logins, password_changed_at, created_at)
       VALUES (1, 'bench', 'Bench', 1, 'x', 'vi', true, 0, :now, :now)""",
    "INSERT INTO user_role (user_id, role) VALUES (1, 'supervisor')",
    """INSERT INTO conclusion (id, number, title, issuing_body_id, source, issue_date,
                              subject_body_id, summary, status, created_by_id, created_at)
       SELECT c, 'BENCH-' || c || '/KL', 'Kết luận ' || c, 1, 'state_inspection',
              :today - 1 - ((:conclusions - c) * 1800 / :conclusions),
              2 + c % (:bodies - 1), 'Tóm tắt', 'in_progress', 1, :now
       FROM generate_series(1, :conclusions) AS c""",
]

REQUIREMENTS = """
INSERT INTO requirement (
    id, conclusion_id, seq, text, category, responsible_body_id, supervising_body_id,
    deadline, original_deadline, target_amount, recovered_amount, progress_percent, status,
    grade, escalation_level, acknowledged_at, planned_at, submitted_at, submitted_by_id,
    closed_at, last_report_at, created_at, updated_at)
SELECT i, cid, seq, 'Kiến nghị ' || i, category, body, 1,
       created + deadline_days, created + deadline_days, target,
       COALESCE(CASE WHEN closed THEN CASE WHEN i % 200 = 13 THEN target / 2 ELSE target END
                     WHEN j % 40 = 15 THEN target / 2
                     ELSE target * percent / 100 END, 0),
       CASE WHEN closed OR status = 'pending_verification' THEN 100 ELSE percent END,
       status, CASE WHEN closed THEN 'full' END, 0,
       CASE WHEN status <> 'issued' THEN LEAST(:now, created + interval '2 days') END,
       CASE WHEN status NOT IN ('issued', 'acknowledged')
            THEN LEAST(:now, created + interval '5 days') END,
       CASE WHEN closed OR status = 'pending_verification' THEN submitted END,
       CASE WHEN closed OR status = 'pending_verification' THEN 1 END,
       CASE WHEN closed THEN submitted + interval '5 days' END,
       CASE WHEN closed OR status = 'pending_verification' THEN submitted
            WHEN status IN ('in_progress', 'returned')
            THEN LEAST(:now, GREATEST(created + interval '6 days',
                                      :now - (j % 45) * interval '1 day'))
       END,
       created, created
FROM (
    SELECT i, j, cid, seq, category, body, created, closed, deadline_days,
           CASE WHEN category = 'financial'
                THEN 1000000000::bigint + (i % 1000) * 1000000 END AS target,
           (j * 37) % 101 AS percent,
           CASE WHEN closed THEN
                created + CASE WHEN i % 100 = 11 THEN 1 ELSE 20 + i % 30 END * interval '1 day'
                ELSE LEAST(:now, GREATEST(created + interval '7 days',
                                          :now - (j % 15) * interval '1 day')) END AS submitted,
           CASE WHEN closed THEN 'closed'
                WHEN j % 20 = 0 THEN 'issued'
                WHEN j % 20 = 1 THEN 'acknowledged'
                WHEN j % 20 = 14 THEN 'planned'
                WHEN j % 20 IN (15, 16) THEN 'pending_verification'
                WHEN j % 20 = 17 THEN 'returned'
                ELSE 'in_progress' END AS status
    FROM (
        SELECT i, i - (:n - :open) AS j, (i - 1) / 10 + 1 AS cid, (i - 1) % 10 + 1 AS seq,
               (ARRAY['financial', 'disciplinary', 'institutional', 'administrative',
                      'referral'])[1 + i % 5] AS category,
               i <= :n - :open AS closed,
               (60 + (i * 7) % 240) * interval '1 day' AS deadline_days
        FROM generate_series(1, :n) AS i
    ) AS base
    JOIN LATERAL (
        SELECT c.subject_body_id AS body,
               (c.issue_date + time '09:00') AT TIME ZONE 'Asia/Ho_Chi_Minh' AS created
        FROM conclusion c WHERE c.id = base.cid
    ) AS con ON true
) AS r
"""

REPORTS = [
    # The completion report of every closed requirement (report id = requirement id).
    f"""INSERT INTO progress_report (id, requirement_id, author_id, text, percent,
                                    amount_recovered, is_completion, created_at)
        SELECT r.id, r.id, 1,
               CASE WHEN r.id % 500 = 77 THEN {_text("(r.id - 250)")} ELSE {_text("r.id")} END,
               100, r.recovered_amount, true, r.submitted_at
        FROM requirement r WHERE r.status = 'closed'""",  # noqa: S608 - constants of this module, no input
    # One progress report of every open requirement under way.
    f"""INSERT INTO progress_report (id, requirement_id, author_id, text, percent,
                                    amount_recovered, is_completion, created_at)
        SELECT r.id, r.id, 1,
               CASE WHEN r.id % 500 = 77 THEN {_text("(r.id - 250)")} ELSE {_text("r.id")} END,
               r.progress_percent, r.recovered_amount, false, r.last_report_at
        FROM requirement r
        WHERE r.status IN ('in_progress', 'returned', 'pending_verification')""",  # noqa: S608 - constants of this module, no input
    # The completion reports waiting for verification.
    f"""INSERT INTO progress_report (id, requirement_id, author_id, text, percent,
                                    amount_recovered, is_completion, created_at)
        SELECT :n + r.id, r.id, 1, {_text("(:n + r.id)")}, 100, r.recovered_amount, true,
               r.submitted_at
        FROM requirement r WHERE r.status = 'pending_verification'""",  # noqa: S608 - constants of this module, no input
    "SELECT setval(pg_get_serial_sequence('progress_report', 'id'), 2 * :n)",
]

_SHA = "md5(({k})::text) || md5((({k}) + 1000000007)::text)"
EVIDENCE = f"""
INSERT INTO evidence (id, report_id, sha256, filename, content_type, size, doc_number,
                      doc_date, uploaded_by_id, created_at)
SELECT p.id, p.id,
       CASE WHEN p.id % 1000 = 123 THEN {_SHA.format(k="p.id - 500")}
            ELSE {_SHA.format(k="p.id")} END,
       'minh-chung-' || p.id || '.pdf', 'application/pdf', 100000 + p.id % 5000,
       CASE WHEN r.id % 1000 = 102 THEN NULL ELSE p.id || '/QĐ-UBND' END,
       c.issue_date + CASE WHEN p.id % 500 = 211 THEN -30 ELSE 10 END,
       1, p.created_at
FROM progress_report p
JOIN requirement r ON r.id = p.requirement_id
JOIN conclusion c ON c.id = r.conclusion_id
WHERE NOT (r.status = 'closed' AND r.id % 200 = 7)
"""  # noqa: S608 - constants of this module, no input

OTHERS = [
    """INSERT INTO extension_request (requirement_id, requested_by_id, reason,
                                     current_deadline, requested_deadline, status,
                                     created_at, decided_by_id, decided_at)
       SELECT r.id, 1, 'Cần thêm thời gian', r.deadline, r.deadline + interval '30 days',
              'approved', LEAST(:now - interval '2 days', r.created_at + k * interval '10 days'),
              1, LEAST(:now - interval '1 day', r.created_at + k * interval '11 days')
       FROM requirement r
       CROSS JOIN LATERAL generate_series(1, CASE (r.id - (:n - :open)) % 25
                                               WHEN 3 THEN 2 WHEN 4 THEN 1 ELSE 0 END) AS k
       WHERE r.id > :n - :open""",
    """INSERT INTO verification (requirement_id, verifier_id, decision, grade, reason,
                                created_at)
       SELECT r.id, 1, 'implemented', 'full', NULL, r.closed_at
       FROM requirement r WHERE r.status = 'closed'""",
    """INSERT INTO verification (requirement_id, verifier_id, decision, grade, reason,
                                created_at)
       SELECT r.id, 1,
              CASE WHEN (r.id - (:n - :open)) % 40 = 17 THEN 'formal_only' ELSE 'incomplete' END,
              NULL, 'Chưa đạt yêu cầu', r.created_at + interval '20 days'
       FROM requirement r WHERE r.status = 'returned'""",
]

SEQUENCES = ["body", "user_account", "conclusion", "requirement", "evidence"]

#: 1 % of the requirements change (``:n`` of them), as the verbs would leave them: 30 % get
#: a progress report, 20 % are acknowledged, 20 % closed, 10 % submitted, 20 % extended
#: (spread over the open requirements of every age, not only the newest; a requirement
#: changed within the hour is left alone, so that every round changes others).
CHANGE_SQL = [
    f"""WITH picked AS (
            SELECT id FROM requirement WHERE status = 'in_progress' AND id % 7 = 1
                   AND updated_at < :now - interval '1 hour'
            ORDER BY md5(id::text) LIMIT :n * 3 / 10),
        reported AS (
            UPDATE requirement r SET last_report_at = :now, updated_at = :now,
                   progress_percent = LEAST(100, r.progress_percent + 10)
            FROM picked WHERE r.id = picked.id RETURNING r.id, r.progress_percent)
        INSERT INTO progress_report (requirement_id, author_id, text, percent, amount_recovered,
                                     is_completion, created_at)
        SELECT id, 1, {_text("(id + 7000000)")}, progress_percent, 0, false, :now FROM reported""",  # noqa: S608 - constants of this module, no input
    """UPDATE requirement SET status = 'acknowledged', acknowledged_at = :now, updated_at = :now
       WHERE id IN (SELECT id FROM requirement WHERE status = 'issued'
                    ORDER BY md5(id::text) LIMIT :n / 5)""",
    """WITH closing AS (
            UPDATE requirement SET status = 'closed', grade = 'full', closed_at = :now,
                   updated_at = :now
            WHERE id IN (SELECT id FROM requirement WHERE status = 'pending_verification'
                         ORDER BY md5(id::text) LIMIT :n / 5)
            RETURNING id)
        INSERT INTO verification (requirement_id, verifier_id, decision, grade, created_at)
        SELECT id, 1, 'implemented', 'full', :now FROM closing""",
    f"""WITH submitting AS (
            UPDATE requirement SET status = 'pending_verification', submitted_at = :now,
                   submitted_by_id = 1, progress_percent = 100, updated_at = :now
            WHERE id IN (SELECT id FROM requirement WHERE status = 'in_progress'
                               AND id % 7 = 3
                         ORDER BY md5(id::text) LIMIT :n / 10)
            RETURNING id)
        INSERT INTO progress_report (requirement_id, author_id, text, percent, amount_recovered,
                                     is_completion, created_at)
        SELECT id, 1, {_text("(id + 9000000)")}, 100, 0, true, :now FROM submitting""",  # noqa: S608 - constants of this module, no input
    # Extensions granted: a request row and a later deadline.
    """WITH granted AS (
            UPDATE requirement SET deadline = deadline + interval '30 days', updated_at = :now
            WHERE id IN (SELECT id FROM requirement WHERE status = 'in_progress'
                               AND id % 7 = 5 AND updated_at < :now - interval '1 hour'
                         ORDER BY md5(id::text) LIMIT :n / 5)
            RETURNING id, deadline)
        INSERT INTO extension_request (requirement_id, requested_by_id, reason, current_deadline,
                                       requested_deadline, status, created_at, decided_by_id,
                                       decided_at)
        SELECT id, 1, 'Cần thêm thời gian', deadline - interval '30 days', deadline,
               'approved', :now, 1, :now
        FROM granted""",
    f"""INSERT INTO evidence (report_id, sha256, filename, content_type, size, doc_number,
                             doc_date, uploaded_by_id, created_at)
        SELECT p.id, {_SHA.format(k="p.id + 3")}, 'moi.pdf', 'application/pdf', 1000,
               '1/QĐ', CAST(:now AS date), 1, :now
        FROM progress_report p WHERE p.created_at = :now""",  # noqa: S608 - constants of this module, no input
]


def generate(engine: Engine, n: int, open_count: int) -> str:
    """Fill an empty, migrated database; return a summary of what was made."""
    now = datetime.now(UTC)
    params: dict[str, Any] = {
        "n": n,
        "open": open_count,
        "conclusions": n // 10,
        "bodies": max(100, n // BODIES_PER_REQUIREMENT),
        "now": now,
        "today": now.date(),
    }
    with engine.begin() as conn:
        for statement in [*SETUP, REQUIREMENTS, *REPORTS, EVIDENCE, *OTHERS]:
            conn.execute(text(statement), params)
        for table in SEQUENCES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in ("requirement", "progress_report", "evidence", "extension_request")
        }
    return ", ".join(f"{count:,} {table}" for table, count in counts.items())
