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
SOURCE_LABELS = {
    "party_inspection": _l("Party inspection"),
    "party_supervision": _l("Party supervision"),
    "state_inspection": _l("State inspection"),
    "state_audit": _l("State audit"),
    "investigation": _l("Investigation"),
}
CATEGORY_LABELS = {
    "financial": _l("Financial (recover money or assets)"),
    "disciplinary": _l("Disciplinary (review responsibility)"),
    "institutional": _l("Institutional (amend regulations)"),
    "administrative": _l("Administrative (fix procedures)"),
    "referral": _l("Referral (transfer to another body)"),
}
STATUS_LABELS = {
    "issued": _l("Issued, awaiting acknowledgement"),
    "acknowledged": _l("Acknowledged, awaiting plan"),
    "planned": _l("Plan submitted"),
    "in_progress": _l("In remediation"),
    "pending_verification": _l("Awaiting verification"),
    "returned": _l("Returned for more work"),
    "overdue": _l("Overdue"),
    "closed": _l("Closed"),
    "not_implementable": _l("Closed as not implementable"),
    "withdrawn": _l("Withdrawn"),
}
CONCLUSION_STATUS_LABELS = {
    "draft": _l("Draft"),
    "issued": _l("Issued"),
    "in_progress": _l("In remediation"),
    "closed": _l("Closed"),
}
DECISION_LABELS = {
    "implemented": _l("Close: fully implemented"),
    "partial": _l("Close: partially implemented"),
    "incomplete": _l("Reject: incomplete"),
    "formal_only": _l("Reject: implemented only on paper (formal)"),
    "not_implementable": _l("Close: cannot be implemented (opens an accountability case)"),
}
GRADE_LABELS = {
    "full": _l("Fully implemented"),
    "most": _l("Mostly implemented"),
    "partial": _l("Partially implemented"),
    "none": _l("Not implemented"),
}
TASK_LABELS = {
    "acknowledge": _l("Acknowledge the requirement"),
    "submit_plan": _l("Submit the remediation plan"),
    "remediate": _l("Remediate and report progress"),
    "verify": _l("Verify the completion report"),
    "decide_extension": _l("Decide the extension request"),
    "review_escalation": _l("Review the escalation"),
    "final_assessment": _l("Final assessment of the conclusion"),
    "submit_explanation": _l("Explain the delay (accountability case)"),
    "review_explanation": _l("Review the unit's explanation"),
    "decide": _l("Decide on responsibility"),
}
#: Status tags that need attention get the warning colour.
ATTENTION_STATUSES = frozenset({"overdue", "returned"})
TIMELINE_LABELS = {
    "requirement.created": _l("Requirement issued"),
    "requirement.acknowledged": _l("Acknowledged by the responsible unit"),
    "requirement.plan_submitted": _l("Remediation plan submitted"),
    "requirement.progress_reported": _l("Progress reported"),
    "requirement.submitted": _l("Completion report sent for verification"),
    "requirement.verified": _l("Verification decision"),
    "requirement.extension_requested": _l("Extension requested"),
    "requirement.extension_decided": _l("Extension decided"),
    "requirement.withdrawn": _l("Withdrawn by the supervising body"),
    "requirement.status_changed": _l("Status changed"),
    "escalation.raised": _l("Escalated"),
    "escalation.acknowledged": _l("Escalation handled by the supervisor"),
    "escalation.resolved": _l("Escalations ended: the requirement is closed"),
    "instance.migrated": _l("Process moved to a new version"),
}
