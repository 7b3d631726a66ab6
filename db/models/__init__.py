"""All models, imported here so ``Base.metadata`` knows every table."""

from db.models.audit import AuditEvent
from db.models.org import BODY_KINDS, ROLES, Body, LoginAttempt, User, UserRole
from db.models.workflow import ProcessDefinition, ProcessInstance, UserTask

__all__ = [
    "AuditEvent",
    "BODY_KINDS",
    "ROLES",
    "Body",
    "LoginAttempt",
    "ProcessDefinition",
    "ProcessInstance",
    "User",
    "UserRole",
    "UserTask",
]
