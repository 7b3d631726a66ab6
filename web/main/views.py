"""Home, language switch, the body card and the health check."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select, text
from werkzeug.wrappers import Response

from db.models import Body, User
from web.database import get_session
from web.i18n import LOCALES
from workflows.access import get_visible_body, in_reach
from workflows.accounts import set_locale

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@login_required
def home() -> str:
    db = get_session()
    bodies = db.scalars(
        select(Body).where(in_reach(current_user, Body.id)).order_by(Body.code)
    ).all()
    return render_template("main/home.html", bodies=bodies)


@bp.route("/bodies/<int:body_id>")
@login_required
def body(body_id: int) -> str:
    db = get_session()
    found = get_visible_body(db, current_user, body_id)
    supervised = db.scalars(
        select(Body)
        .where(Body.supervisor_id == found.id, in_reach(current_user, Body.id))
        .order_by(Body.code)
    ).all()
    users = db.scalar(select(func.count()).select_from(User).where(User.body_id == found.id))
    return render_template("main/body.html", body=found, supervised=supervised, users=users)


@bp.route("/lang", methods=["POST"])
def language() -> Response:
    code = request.form.get("locale", "")
    if code not in LOCALES:
        flash(_("Choose Vietnamese or English."), "error")
    else:
        session["locale"] = code
        if current_user.is_authenticated:
            set_locale(get_session(), current_user, code)
    return redirect(_back())


def _back() -> str:
    target = request.form.get("next", "")
    return (
        target if target.startswith("/") and not target.startswith("//") else url_for("main.home")
    )


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        get_session().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure means the database is down
        return jsonify(status="error", database="unreachable", detail=type(exc).__name__), 503
    return jsonify(status="ok", database="ok"), 200
