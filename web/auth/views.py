"""Log in, log out and change one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from db.audit import record
from web.auth.forms import LoginForm, PasswordChangeForm
from web.database import get_session
from web.forms import attach_error
from workflows.accounts import authenticate, change_password
from workflows.errors import DomainError

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site."""
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    session = get_session()
    result = authenticate(
        session,
        current_app.config["REMTRACK"],
        form.username.data or "",
        form.password.data or "",
        request.remote_addr or "unknown",
    )
    if result.user is None:
        g.commit_on_error = True  # keep the failure counters and the lockout
        form.form_errors.append(str(result.error))
        return render_template("auth/login.html", form=form), result.status
    login_user(result.user)
    record(
        session,
        "user.logged_in",
        ("user", result.user.id),
        actor_id=result.user.id,
        body_id=result.user.body_id,
    )
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(
                get_session(),
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except DomainError as err:
            attach_error(form, err)
        else:
            # The session id carries the password stamp; renew it for this session only.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
