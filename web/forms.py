"""Form helpers shared by every feature."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm

from workflows.errors import DomainError, InvalidInput


class _CatalogTranslations:
    """WTForms ships no Vietnamese; its messages are translated in our own catalog instead
    (see ``web/wtforms_messages.py``)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


class Form(FlaskForm):
    """Base of every form: CSRF from Flask-WTF, validation messages in the user's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _CatalogTranslations:
            return _CatalogTranslations()


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
