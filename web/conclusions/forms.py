"""Registering a conclusion with its requirements, and its final assessment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FileField,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from db.models.remediation import CATEGORIES, CONCLUSION_SOURCES
from web.forms import Form, optional_int
from web.labels import CATEGORY_LABELS, SOURCE_LABELS

MAX_REQUIREMENTS = 50


class RequirementRow(Form):
    class Meta(Form.Meta):
        csrf = False  # part of the conclusion form, which carries the token

    text = TextAreaField(_l("Requirement"), validators=[DataRequired(), Length(max=20_000)])
    category = SelectField(_l("Category"), choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES])
    responsible_body_id = SelectField(
        _l("Responsible unit"), coerce=optional_int, validators=[DataRequired()]
    )
    responsible_officer_id = SelectField(
        _l("Responsible officer (optional)"), coerce=optional_int, validate_choice=True
    )
    supervising_body_id = SelectField(
        _l("Supervising body"), coerce=optional_int, validators=[DataRequired()]
    )
    deadline_kind = RadioField(
        _l("Deadline given as"),
        choices=[("date", _l("a date")), ("working_days", _l("working days after issue"))],
        default="date",
    )
    deadline_date = DateField(_l("Deadline"), validators=[Optional()])
    working_days = IntegerField(
        _l("Working days"), validators=[Optional(), NumberRange(min=1, max=2000)]
    )
    target_amount = StringField(
        _l("Amount to recover (VND)"),
        validators=[Optional(), Length(max=30)],
        description=_l("Financial requirements only. Whole đồng, digits only."),
    )


class ConclusionForm(Form):
    number = StringField(
        _l("Number"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("As printed on the document, e.g. 34-KL/TW."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    source = SelectField(_l("Source"), choices=[(s, SOURCE_LABELS[s]) for s in CONCLUSION_SOURCES])
    issue_date = DateField(_l("Issue date"), validators=[DataRequired()])
    subject_body_id = SelectField(
        _l("Subject body (inspected)"), coerce=optional_int, validators=[DataRequired()]
    )
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=20_000)])
    document = FileField(_l("Signed document (PDF)"))
    requirements = FieldList(FormField(RequirementRow), min_entries=1, max_entries=MAX_REQUIREMENTS)
    add_requirement = SubmitField(_l("Add a requirement"))
    issue = SubmitField(_l("Issue the conclusion"))


class AssessmentForm(Form):
    assessment = TextAreaField(
        _l("Final assessment"), validators=[DataRequired(), Length(max=20_000)]
    )
