"""All models, imported here so ``Base.metadata`` knows every table."""

from db.models.audit import AuditEvent
from db.models.org import BODY_KINDS, ROLES, Body, LoginAttempt, User, UserRole

__all__ = ["AuditEvent", "BODY_KINDS", "ROLES", "Body", "LoginAttempt", "User", "UserRole"]
