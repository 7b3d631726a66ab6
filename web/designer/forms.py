"""Forms of the designer pages (the modeler itself talks JSON, see ``web.designer.api``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from web.forms import Form


class NewProcessForm(Form):
    key = StringField(_l("Process key"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class UploadForm(Form):
    file = FileField(_l("BPMN file"), validators=[FileRequired(_l("Choose a .bpmn file."))])


class DiscardForm(Form):
    lock_version = IntegerField(validators=[InputRequired(), NumberRange(min=1)])


class MigrateForm(Form):
    instances = SelectMultipleField(
        _l("Instances"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(message=_l("Choose at least one instance to migrate."))],
    )
