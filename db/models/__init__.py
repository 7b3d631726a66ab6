"""All models, imported here so ``Base.metadata`` knows every table."""

from db.models.audit import AuditEvent
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
