"""The forms of a requirement's page, one per action. Each carries the process instance's
lock version, so a second submission of the same form (or a change made meanwhile by
someone else) is refused instead of applied twice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from db.vocabulary import VERIFY_DECISIONS
from web.forms import Form
from web.labels import DECISION_LABELS, GRADE_LABELS

EVIDENCE_ROWS = 3


class _Versioned(Form):
    lock_version = HiddenField()


class AcknowledgeForm(_Versioned):
    pass


class PlanForm(_Versioned):
    plan = TextAreaField(
        _l("Remediation plan"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l("Steps, who does them and by when."),
    )


class EvidenceRow(Form):
    """One file with the document number and date it carries (e.g. 12/QĐ-UBND, 05/03/2026)."""

    class Meta(Form.Meta):
        csrf = False  # a part of the enclosing form, which carries the token

    file = FileField(_l("File"))
    doc_number = StringField(_l("Document number"), validators=[Optional(), Length(max=64)])
    doc_date = DateField(_l("Document date"), validators=[Optional()])


class ReportForm(_Versioned):
    text = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=20_000)])
    percent = IntegerField(
        _l("Progress (%)"), validators=[DataRequired(), NumberRange(min=0, max=100)]
    )
    amount_recovered = StringField(
        _l("Total recovered so far (VND)"),
        validators=[Optional(), Length(max=30)],
        description=_l("Whole đồng, digits only. Leave empty to keep the total reported before."),
    )
    evidence = FieldList(FormField(EvidenceRow), min_entries=EVIDENCE_ROWS, max_entries=10)


class CompletionForm(ReportForm):
    """The completion report sent for verification."""


class ExtensionForm(_Versioned):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=20_000)])
    new_deadline = DateField(_l("New deadline"), validators=[DataRequired()])


class VerifyForm(_Versioned):
    decision = RadioField(
        _l("Decision"),
        choices=[(d, DECISION_LABELS[d]) for d in VERIFY_DECISIONS],
        validators=[DataRequired()],
    )
    grade = SelectField(
        _l("Grade (partial implementation)"),
        choices=[("", "—"), ("most", GRADE_LABELS["most"]), ("partial", GRADE_LABELS["partial"])],
        validators=[Optional()],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Required for every decision except full implementation."),
    )


class ExtensionDecisionForm(_Versioned):
    decision = RadioField(
        _l("Decision"),
        choices=[("approve", _l("Approve the extension")), ("reject", _l("Reject it"))],
        validators=[DataRequired()],
    )
    deadline = DateField(
        _l("Deadline granted"),
        validators=[Optional()],
        description=_l("Leave empty to grant the date requested."),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Required when rejecting."),
    )


class WithdrawForm(_Versioned):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=20_000)])
