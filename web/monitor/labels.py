"""Display names of the monitor's codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SEVERITY_LABELS = {
    "info": _l("Information"),
    "warning": _l("Warning"),
    "critical": _l("Critical"),
}
FLAG_STATUS_LABELS = {
    "open": _l("Open"),
    "dismissed": _l("Dismissed"),
    "resolved": _l("Resolved"),
}
RULE_KIND_LABELS = {"slow": _l("Slow remediation"), "formal": _l("Formal remediation")}
CALENDAR_KIND_LABELS = {"off": _l("Day off"), "working": _l("Make-up working day")}
