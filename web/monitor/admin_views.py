"""The administrator's pages: days off and make-up days, and the rules' settings."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth.session import roles_required
from web.database import get_session
from web.forms import attach_error
from web.monitor.forms import (
    CalendarDayForm,
    RemoveDayForm,
    form_values,
    parameters_from,
    rule_form_class,
)
from web.monitor.views import bp
from workflows import calendar_days
from workflows.calendar import public_holidays
from workflows.errors import DomainError
from workflows.monitor.registry import all_rules
from workflows.monitor.rule_settings import list_rules, update_rule


def _language() -> str:
    return "vi" if str(get_locale()) == "vi" else "en_US"


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 1990 <= year <= 2100 else date.today().year


def _calendar_page(form: CalendarDayForm, year: int, status: int = 200) -> tuple[str, int]:
    days = calendar_days.list_days(get_session(), year)
    html = render_template(
        "monitor/calendar.html",
        form=form,
        remove_form=RemoveDayForm(),
        days=days,
        year=year,
        holidays=public_holidays(year, language=_language()),
    )
    return html, status


@bp.route("/admin/calendar", methods=["GET", "POST"])
@roles_required("admin")
def calendar() -> str | Response | tuple[str, int]:
    form = CalendarDayForm()
    year = _year()
    if form.validate_on_submit():
        try:
            calendar_days.add_day(
                get_session(), current_user, form.day.data, form.kind.data, form.note.data or ""
            )
        except DomainError as err:
            attach_error(form, err)
            return _calendar_page(form, year, err.status)
        flash(_("The calendar is updated."), "success")
        return redirect(url_for(".calendar", year=form.day.data.year))
    return _calendar_page(form, year, 400 if request.method == "POST" else 200)


@bp.route("/admin/calendar/<day>/remove", methods=["POST"])
@roles_required("admin")
def calendar_remove(day: str) -> Response:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if RemoveDayForm().validate_on_submit():
        calendar_days.remove_day(get_session(), current_user, when)
        flash(_("The day is removed from the calendar."), "success")
    return redirect(url_for(".calendar", year=when.year))


@bp.route("/admin/rules")
@roles_required("admin")
def rules() -> str:
    return render_template("monitor/rules.html", rows=list_rules(get_session(), current_user))


@bp.route("/admin/rules/<rule_id>", methods=["GET", "POST"])
@roles_required("admin")
def rule_edit(rule_id: str) -> str | Response | tuple[str, int]:
    rule = all_rules().get(rule_id)
    if rule is None:
        abort(404)
    row = next(r.row for r in list_rules(get_session(), current_user) if r.rule.id == rule_id)
    form_class = rule_form_class(rule)
    if request.method == "GET":
        form = form_class(
            data={
                **form_values(rule, row.parameters),
                "severity": row.severity,
                "enabled": row.enabled,
            }
        )
    else:
        form = form_class()
    if form.validate_on_submit():
        try:
            update_rule(
                get_session(),
                current_user,
                rule_id,
                parameters=parameters_from(rule, form),
                severity=form.severity.data,
                enabled=form.enabled.data,
            )
        except DomainError as err:
            attach_error(form, err)
            return render_template("monitor/rule_form.html", rule=rule, form=form), err.status
        flash(_("The rule is saved; the next pass applies it to every requirement."), "success")
        return redirect(url_for(".rules"))
    status = 400 if request.method == "POST" else 200
    return render_template("monitor/rule_form.html", rule=rule, form=form), status
