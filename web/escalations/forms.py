"""Forms of the escalations board and the ladder's thresholds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import NumberRange, Optional

from db.models.escalation import ESCALATION_DECISIONS, THRESHOLD_SEVERITIES
from web.escalations.labels import DECISION_LABELS, SEVERITY_LABELS
from web.forms import Form
from workflows.escalation_thresholds import LEVELS


class AcknowledgeForm(Form):
    decision = RadioField(
        _l("Decision"),
        choices=[(d, DECISION_LABELS[d]) for d in ESCALATION_DECISIONS],
        default="noted",
    )
    note = TextAreaField(
        _l("What was decided"),
        description=_l("Needed when the unit was instructed or a case is opened."),
    )


class ResetForm(Form):
    pass


def _level_fields(level: int) -> dict[str, object]:
    return {
        f"overdue_days_{level}": IntegerField(
            _l("Working days overdue"), validators=[Optional(), NumberRange(min=0, max=3650)]
        ),
        f"open_flags_{level}": IntegerField(
            _l("or open flags"), validators=[Optional(), NumberRange(min=1, max=100)]
        ),
        f"flag_severity_{level}": SelectField(
            _l("of severity"),
            choices=[(s, SEVERITY_LABELS[s]) for s in THRESHOLD_SEVERITIES],
        ),
    }


class LadderForm(Form):
    """Four levels, each reached by working days overdue or by a number of open flags."""


for _level in LEVELS:
    for _name, _field in _level_fields(_level).items():
        setattr(LadderForm, _name, _field)
