"""Display names of notification kinds, modes and outbox states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "task_assigned": _l("A new requirement or task for my unit"),
    "submitted": _l("A completion report awaiting verification"),
    "extension_requested": _l("An extension request to decide"),
    "extension_decided": _l("A decision on my unit's extension request"),
    "rejected": _l("Remediation returned (incomplete or formal only)"),
    "verified": _l("A requirement verified and closed"),
    "withdrawn": _l("A requirement withdrawn"),
    "deadline": _l("A deadline approaching"),
    "overdue": _l("A requirement overdue"),
    "assessment_due": _l("A conclusion ready for its final assessment"),
    "accountability": _l("Accountability cases"),
    "escalation": _l("Escalations"),
    "process": _l("Other notices from the processes"),
    "progress": _l("Acknowledgements, plans and progress reports"),
    "flag": _l("Flags of slow or formal remediation"),
}
MODE_LABELS = {
    "immediate": _l("Email at once"),
    "digest": _l("In the daily digest"),
    "inapp": _l("Only here, no email"),
}
STATUS_LABELS = {
    "pending": _l("Pending"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "dead": _l("Dead letters"),
}
CHANNEL_LABELS = {"email": _l("Email"), "webhook": _l("Webhook")}
