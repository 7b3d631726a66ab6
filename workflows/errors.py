"""Errors a user can cause. Their messages are lazily translated, so they read in the
language of whoever sees them (the web request's locale; English on the command line)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user can act on; ``status`` is the HTTP status a view should answer."""

    status = 400

    def __init__(self, message: Any, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """Someone else changed the thing first, or it already exists."""

    status = 409


class InvalidInput(DomainError):
    status = 400

    def __init__(self, message: Any, field: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.field = field
