"""Forms of the flags board, the calendar page and the rules page."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from db.models.monitor import SEVERITIES
from web.forms import Form
from web.labels import CATEGORY_LABELS
from web.monitor.labels import SEVERITY_LABELS
from workflows.monitor.registry import Rule


class DismissForm(Form):
    reason = TextAreaField(
        _l("Why this flag needs no action"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l("Recorded in the audit trail with your name."),
    )


class CalendarDayForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(
        _l("Kind of day"),
        choices=[
            ("off", _l("Day off (e.g. a bridge day)")),
            ("working", _l("Make-up working day (e.g. a Saturday)")),
        ],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class RemoveDayForm(Form):
    pass


class RuleFormBase(Form):
    severity = SelectField(_l("Severity"), choices=[(s, SEVERITY_LABELS[s]) for s in SEVERITIES])
    enabled = BooleanField(_l("Enabled"))


def rule_form_class(rule: Rule) -> type[RuleFormBase]:
    """A form with one field per parameter of ``rule`` (one per category for mappings)."""
    fields: dict[str, Any] = {}
    for name, param in rule.params.items():
        if param.per:
            for key in param.per:
                fields[f"{name}-{key}"] = IntegerField(
                    f"{param.label} — {CATEGORY_LABELS.get(key, key)}", validators=[Optional()]
                )
        elif isinstance(param.default, bool):
            fields[name] = BooleanField(param.label)
        elif isinstance(param.default, float):
            fields[name] = DecimalField(param.label, places=2, validators=[Optional()])
        else:
            fields[name] = IntegerField(param.label, validators=[Optional()])
    return type(f"RuleForm_{rule.id}", (RuleFormBase,), fields)


def form_values(rule: Rule, parameters: dict[str, Any]) -> dict[str, Any]:
    """The stored parameters as form data (mappings flattened to ``name-key``)."""
    data: dict[str, Any] = {}
    for name, param in rule.params.items():
        value = parameters.get(name, param.default)
        if param.per:
            data.update({f"{name}-{key}": value.get(key) for key in param.per})
        else:
            data[name] = value
    return data


def parameters_from(rule: Rule, form: RuleFormBase) -> dict[str, Any]:
    """The form's values as parameters; empty fields are passed on for the verb to refuse."""
    values: dict[str, Any] = {}
    for name, param in rule.params.items():
        if param.per:
            values[name] = {key: form[f"{name}-{key}"].data for key in param.per}
        elif isinstance(param.default, float):
            raw = form[name].data
            values[name] = None if raw is None else float(raw)
        else:
            values[name] = form[name].data
    return values
