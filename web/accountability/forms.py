"""Forms of an accountability case, one per stage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FileField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from db.vocabulary import ACCOUNTABILITY_OUTCOMES
from web.escalations.labels import OUTCOME_LABELS
from web.forms import Form

_TEXT = [DataRequired(), Length(max=20_000)]


class RequestForm(Form):
    due = DateField(_l("Explanation due by"), validators=[DataRequired()])
    note = TextAreaField(_l("What the unit must explain"), validators=_TEXT)


class ExplainForm(Form):
    explanation = TextAreaField(_l("Explanation"), validators=_TEXT)


class ReviewForm(Form):
    note = TextAreaField(_l("Assessment of the explanation"), validators=_TEXT)


class DecideForm(Form):
    decision = SelectField(
        _l("Decision"), choices=[(o, OUTCOME_LABELS[o]) for o in ACCOUNTABILITY_OUTCOMES]
    )
    note = TextAreaField(_l("Grounds of the decision"), validators=_TEXT)
    document = FileField(
        _l("Signed decision (PDF)"),
        description=_l("Required for every decision but 'no disciplinary measure'."),
    )
