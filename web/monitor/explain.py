"""A flag in words: its rule's explanation filled with the facts, formatted for people."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from db.models.monitor import Flag
from web.filters import day, money
from workflows.monitor.registry import all_rules

#: Facts holding calendar dates and amounts of money (everything else is shown as it is).
_DATES = {"deadline", "original_deadline", "doc_date", "issued_on", "submitted_on"}
_MONEY = {"recovered", "target"}


def _shown(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key in _DATES or key.endswith("_on"):
        try:
            return day(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    if key in _MONEY:
        return money(int(float(value)))
    return str(value)


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def explain(flag: Flag) -> str:
    """The flag's explanation in the current language, e.g. "The deadline 03/12/2026 …"."""
    rule = all_rules().get(flag.rule_id)
    if rule is None:
        return _("Rule %(rule)s (no longer known).", rule=flag.rule_id)
    facts = _Facts({key: _shown(key, value) for key, value in (flag.facts or {}).items()})
    try:
        return str(rule.explanation) % facts
    except (TypeError, ValueError):
        return str(rule.explanation)


def rule_title(rule_id: str) -> str:
    rule = all_rules().get(rule_id)
    return str(rule.title) if rule else rule_id
