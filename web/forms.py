"""Form helpers shared by every feature."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from workflows.errors import DomainError, InvalidInput


def attach_error(form: FlaskForm, err: DomainError) -> None:
    """Show a verb's refusal on the field it names, or on the form as a whole."""
    field_name = err.field if isinstance(err, InvalidInput) else None
    field = getattr(form, field_name, None) if field_name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(err.message)]
    else:
        form.form_errors.append(str(err.message))


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty choice means 'none'."""
    if value in (None, "", "None"):
        return None
    return int(value)
