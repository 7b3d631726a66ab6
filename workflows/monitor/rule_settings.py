"""Administrators tune the rules: parameters, severity, on or off (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import User
from db.models.monitor import SEVERITIES, Flag, MonitorRule
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.monitor.registry import Rule, all_rules, ensure_rules


@dataclass(frozen=True)
class RuleRow:
    """A rule's settings beside what the code knows of it (title, parameter specs)."""

    rule: Rule
    row: MonitorRule


def list_rules(session: Session, actor: User) -> list[RuleRow]:
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator can change the monitor's rules."))
    rows = ensure_rules(session)
    rules = all_rules()
    return [RuleRow(rules[rule_id], rows[rule_id]) for rule_id in rules]


def _carry_over(session: Session, rule_id: str, severity: str, enabled: bool) -> None:
    """Active flags take the new severity; a rule switched off takes its flags along."""
    active = (Flag.rule_id == rule_id, Flag.resolved_at.is_(None))
    session.execute(update(Flag).where(*active).values(severity=severity))
    if not enabled:
        session.execute(
            update(Flag)
            .where(*active)
            .values(
                resolved_at=utcnow(),
                status=case((Flag.status == "open", "resolved"), else_=Flag.status),
            )
        )


def update_rule(
    session: Session,
    actor: User,
    rule_id: str,
    *,
    parameters: dict[str, Any],
    severity: str,
    enabled: bool,
) -> MonitorRule:
    """Store validated settings; the next pass re-evaluates the rule over every row."""
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator can change the monitor's rules."))
    rule = all_rules().get(rule_id)
    if rule is None:
        raise NotFound(_l("No such rule."))
    if severity not in SEVERITIES:
        raise InvalidInput(_l("Choose a known severity."), field="severity")
    cleaned = rule.clean_params(parameters)
    row = ensure_rules(session)[rule_id]
    before = {"parameters": row.parameters, "severity": row.severity, "enabled": row.enabled}
    row.parameters, row.severity, row.enabled = cleaned, severity, bool(enabled)
    row.full_pass_needed, row.updated_by_id, row.updated_at = True, actor.id, utcnow()
    _carry_over(session, rule_id, severity, bool(enabled))
    record(
        session,
        "monitor_rule.updated",
        ("monitor_rule", rule_id),
        actor_id=actor.id,
        payload={"before": before, "parameters": cleaned, "severity": severity, "enabled": enabled},
    )
    return row
