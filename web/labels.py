"""Display names for codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "party_committee": _l("Party committee"),
    "inspection_commission": _l("Inspection commission"),
    "party_organization": _l("Party organization"),
    "state_inspectorate": _l("State inspectorate"),
    "state_audit": _l("State audit"),
    "investigation": _l("Investigation agency"),
    "procuracy": _l("Procuracy"),
    "agency": _l("Agency"),
    "enterprise": _l("State enterprise"),
}
ROLE_LABELS = {
    "officer": _l("Officer (responsible unit)"),
    "supervisor": _l("Supervisor"),
    "designer": _l("Process designer"),
    "admin": _l("Administrator"),
    "observer": _l("Observer (leadership)"),
}
