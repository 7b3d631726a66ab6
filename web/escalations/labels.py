"""Display names for the escalation ladder's and accountability cases' codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    0: _l("Level 0 — reminder to the unit"),
    1: _l("Level 1 — head of the unit and supervising body"),
    2: _l("Level 2 — the supervisor's own supervisor"),
    3: _l("Level 3 — top of the chain"),
}
REASON_LABELS = {
    "overdue": _l("Overdue"),
    "flags": _l("Monitor flags"),
    "process": _l("Process model"),
    "supervisor": _l("Supervisor"),
}
DECISION_LABELS = {
    "noted": _l("Noted; keep watching"),
    "instructed": _l("The unit was instructed what to do"),
    "accountability": _l("Open an accountability case"),
}
STATE_LABELS = {
    "open": _l("Waiting for action"),
    "acknowledged": _l("Handled, requirement still open"),
    "resolved": _l("Resolved"),
    "all": _l("All"),
}
OUTCOME_LABELS = {
    "none": _l("No disciplinary measure"),
    "reminder": _l("Reminder"),
    "reprimand": _l("Reprimand"),
    "warning": _l("Warning"),
    "removal": _l("Removal from office"),
    "expulsion": _l("Expulsion"),
    "legal_referral": _l("Referral for legal proceedings"),
}
CASE_STATUS_LABELS = {
    "open": _l("Opened"),
    "explanation_requested": _l("Explanation requested"),
    "explained": _l("Explanation received"),
    "reviewed": _l("Reviewed, awaiting decision"),
    "closed": _l("Decided"),
}
CASE_REASON_LABELS = {
    "escalation": _l("Escalated to level 2"),
    "not_implementable": _l("Requirement closed as not implementable"),
    "supervisor": _l("Opened by a supervisor"),
    "process": _l("Opened by the process model"),
}
SEVERITY_LABELS = {"warning": _l("warning or worse"), "critical": _l("critical")}
ACTION_LABELS = {
    "accountability_case.opened": _l("Case opened"),
    "accountability_case.explanation_requested": _l("Explanation requested"),
    "accountability_case.explained": _l("Explanation received"),
    "accountability_case.reviewed": _l("Explanation assessed"),
    "accountability_case.decided": _l("Decided"),
}
