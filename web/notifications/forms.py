"""Forms of the notification pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from notifier.kinds import ALWAYS_IMMEDIATE, KINDS, MODES
from web.admin.forms import MultiCheckboxField
from web.forms import Form, optional_int
from web.notifications.labels import KIND_LABELS, MODE_LABELS


def preferences_form(data: dict[str, str], summary: bool, formdata: Any = None) -> Form:
    """One select per kind a user may choose for (escalations are always emailed at once)."""

    class PreferencesForm(Form):
        daily_summary = BooleanField(
            _l("Send me a daily summary of what is overdue, due, flagged or escalated")
        )

    choices = [(m, MODE_LABELS[m]) for m in MODES]
    for kind in KINDS:
        if kind not in ALWAYS_IMMEDIATE:
            field = SelectField(KIND_LABELS[kind], choices=choices)
            setattr(PreferencesForm, field_name(kind), field)
    values = {field_name(k): mode for k, mode in data.items()}
    return PreferencesForm(formdata=formdata, data={**values, "daily_summary": summary})


def field_name(kind: str) -> str:
    """A kind's field (prefixed: a kind named like a form method, e.g. ``process``, is fine)."""
    return f"kind_{kind}"


def chosen_modes(form: Form) -> dict[str, str]:
    return {k: form[field_name(k)].data for k in KINDS if k not in ALWAYS_IMMEDIATE}


class WebhookForm(Form):
    body_id = SelectField(_l("Body"), coerce=optional_int, validate_choice=True)
    url = StringField(
        _l("Address (URL)"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("http:// or https:// on a host the server allows"),
    )
    kinds = MultiCheckboxField(
        _l("Kinds sent (none ticked: every kind)"),
        choices=[(k, KIND_LABELS[k]) for k in KINDS],
        validators=[Optional()],
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=255)])
    active = BooleanField(_l("Active"), default=True)
