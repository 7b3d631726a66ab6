from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from db.models import BODY_KINDS, ROLES
from web.forms import Form, optional_int
from web.labels import KIND_LABELS, ROLE_LABELS

LOCALE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class BodyForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in BODY_KINDS])
    parent_id = SelectField(_l("Administrative parent"), coerce=optional_int, validate_choice=True)
    supervisor_id = SelectField(_l("Supervised by"), coerce=optional_int, validate_choice=True)
    head_user_id = SelectField(_l("Head of the body"), coerce=optional_int, validate_choice=True)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=255)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=255)])
    body_id = SelectField(_l("Body"), coerce=int)
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[(r, ROLE_LABELS[r]) for r in ROLES],
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=10, max=128)]
    )


class UserEditForm(UserForm):
    password = None
    active = BooleanField(_l("Account active"))


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=128)]
    )
