"""The flags board (supervisors, observers), dismissing a flag, and the administrator's
pages of the working-day calendar and the monitor's rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from db.base import utcnow
from db.models.monitor import SEVERITIES
from web.auth.session import roles_required
from web.database import get_session
from web.forms import attach_error
from web.monitor import labels
from web.monitor.explain import explain, rule_title
from web.monitor.forms import DismissForm
from workflows.errors import DomainError
from workflows.monitor import flags as flag_verbs
from workflows.monitor.registry import all_rules

bp = Blueprint("monitor", __name__, template_folder="templates")
PAGE_SIZE = 50


@bp.app_context_processor
def _monitor_helpers() -> dict[str, Any]:
    # Also for other pages (the requirement's timeline shows its flags in words).
    return {"flag_explanation": explain, "flag_rule_title": rule_title, "monitor_labels": labels}


def _filters() -> flag_verbs.FlagFilter:
    """The board's filters from the query string; unknown values are dropped, not refused
    (a bookmarked link may be stale)."""
    rule = request.args.get("rule") or None
    severity = request.args.get("severity") or None
    status = request.args.get("status", "open")
    age = request.args.get("age", type=int)
    return flag_verbs.FlagFilter(
        rule=rule if rule in all_rules() else None,
        severity=severity if severity in SEVERITIES else None,
        body_id=request.args.get("body", type=int),
        min_age_days=age if age is not None and 0 <= age <= 36_500 else None,
        status=status if status in flag_verbs.STATUSES else "open",
    )


@bp.route("/flags")
@roles_required(*flag_verbs.BOARD_ROLES)
def board() -> str | tuple[str, int]:
    db, now, wanted = get_session(), utcnow(), _filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    try:
        stmt = flag_verbs.board_query(db, current_user, wanted, now)
    except DomainError as err:
        flash(str(err.message), "error")
        wanted = flag_verbs.FlagFilter(status=wanted.status)
        stmt = flag_verbs.board_query(db, current_user, wanted, now)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.execute(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "monitor/board.html",
        rows=rows,
        filters=wanted,
        rules=all_rules(),
        bodies=flag_verbs.bodies_in_reach(db, current_user),
        page={"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total},
        now=now,
    )


@bp.route("/flags/<int:flag_id>/dismiss", methods=["GET", "POST"])
@roles_required("supervisor")
def dismiss(flag_id: int) -> str | Response | tuple[str, int]:
    db = get_session()
    row = flag_verbs.flag_in_reach(db, current_user, flag_id)
    form = DismissForm()
    if form.validate_on_submit():
        try:
            flag_verbs.dismiss_flag(db, current_user, flag_id, form.reason.data)
        except DomainError as err:
            attach_error(form, err)
            return render_template("monitor/dismiss.html", row=row, form=form), err.status
        flash(_("The flag is dismissed."), "success")
        return redirect(url_for(".board"))
    status = 400 if request.method == "POST" else 200
    return render_template("monitor/dismiss.html", row=row, form=form), status


from web.monitor import admin_views  # noqa: E402,F401  (the admin pages share the blueprint)
