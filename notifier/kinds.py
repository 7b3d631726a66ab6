"""The kinds of notification, and how each is delivered unless a user chooses otherwise.

A kind is what a user sets a preference for; several domain events may map to one kind
(``workflows.notifications`` does the mapping). Every kind has an email template per locale
under ``notifier/templates/<locale>/kinds/<kind>.jinja``.
"""

from __future__ import annotations

#: Kind → default mode: ``immediate`` (an email now), ``digest`` (in the daily digest) or
#: ``inapp`` (the in-app list only). The in-app list always gets every notification.
DEFAULT_MODES: dict[str, str] = {
    "task_assigned": "immediate",
    "submitted": "immediate",
    "extension_requested": "immediate",
    "extension_decided": "immediate",
    "rejected": "immediate",
    "verified": "immediate",
    "withdrawn": "immediate",
    "deadline": "immediate",
    "overdue": "immediate",
    "assessment_due": "immediate",
    "accountability": "immediate",
    "escalation": "immediate",
    "process": "immediate",
    "progress": "digest",
    "flag": "digest",
}
KINDS: tuple[str, ...] = tuple(DEFAULT_MODES)
#: Kinds a user cannot move out of immediate email: someone must act on them now.
ALWAYS_IMMEDIATE = frozenset({"escalation"})
#: Modes a user may choose for a kind.
MODES: tuple[str, ...] = ("immediate", "digest", "inapp")
#: The pseudo-kind holding the daily summary choice: ``digest`` (send it) or ``off``.
SUMMARY = "summary"


def effective_mode(kind: str, chosen: str | None) -> str:
    """The mode a notification of ``kind`` is delivered in, given the user's choice."""
    if kind in ALWAYS_IMMEDIATE:
        return "immediate"
    if chosen in MODES:
        return chosen
    return DEFAULT_MODES.get(kind, "immediate")
