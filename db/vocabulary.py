"""Value lists shared by the tables' check constraints and the process models' catalogue.

Plain constants with no imports, so the pure engine layer can use them without the ORM.
A new value here needs a migration for the check constraints that use it.
"""

#: Every status a process model may set on a requirement.
REQUIREMENT_STATUSES: tuple[str, ...] = (
    "issued",
    "acknowledged",
    "planned",
    "in_progress",
    "pending_verification",
    "returned",
    "overdue",
    "closed",
    "not_implementable",
    "withdrawn",
)
#: A requirement in one of these needs nothing more from anybody.
TERMINAL_STATUSES: tuple[str, ...] = ("closed", "not_implementable", "withdrawn")
#: Decisions on a requirement's verification (user task ``verify`` -> data ``decision``).
VERIFY_DECISIONS: tuple[str, ...] = (
    "implemented",
    "partial",
    "incomplete",
    "formal_only",
    "not_implementable",
)
#: Outcomes of an accountability case.
ACCOUNTABILITY_OUTCOMES: tuple[str, ...] = (
    "none",
    "reminder",
    "reprimand",
    "warning",
    "removal",
    "expulsion",
    "legal_referral",
)
