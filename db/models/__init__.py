"""All models, imported here so ``Base.metadata`` knows every table."""

from db.models.audit import AuditEvent
from db.models.designer import InstanceMigration, ProcessDraft  # noqa: F401
from db.models.escalation import AccountabilityCase, Escalation, EscalationThreshold  # noqa: F401
from db.models.monitor import CalendarDay, Flag, MonitorRule, WorkingDay  # noqa: F401
from db.models.notification import Notification, NotificationPreference, OutboxMessage, Webhook  # noqa: F401,E501
from db.models.org import BODY_KINDS, ROLES, Body, LoginAttempt, User, UserRole
from db.models.remediation import (
    Conclusion,
    Evidence,
    ExtensionRequest,
    ProgressReport,
    Requirement,
    Verification,
)
from db.models.workflow import ProcessDefinition, ProcessInstance, UserTask

__all__ = [
    "AuditEvent",
    "BODY_KINDS",
    "ROLES",
    "Body",
    "Conclusion",
    "Evidence",
    "ExtensionRequest",
    "LoginAttempt",
    "ProcessDefinition",
    "ProcessInstance",
    "ProgressReport",
    "Requirement",
    "User",
    "UserRole",
    "UserTask",
    "Verification",
]
