"""The bell, the notification list and each user's delivery preferences."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from db.base import utcnow
from db.settings import Settings
from notifier import inapp
from notifier.kinds import ALWAYS_IMMEDIATE, KINDS
from notifier.render import Renderer, TemplateFailed
from web.database import get_session
from web.notifications.forms import chosen_modes, preferences_form
from web.notifications.labels import KIND_LABELS, MODE_LABELS
from workflows.errors import NotFound

bp = Blueprint("notifications", __name__, template_folder="templates")


def settings() -> Settings:
    found: Settings = current_app.config["REMTRACK"]
    return found


@lru_cache(maxsize=4)
def _renderer(base_url: str, overrides: Path | None) -> Renderer:
    return Renderer(base_url, overrides)


def headline(kind: str, facts: dict[str, Any]) -> str:
    """The notification's one-line subject in the reader's language (the email's wording)."""
    s = settings()
    overrides = s.instance_path / "mail-templates"
    try:
        renderer = _renderer(s.base_url, overrides if overrides.is_dir() else None)
        return renderer.headline(str(get_locale() or "vi"), kind, facts)
    except TemplateFailed:
        current_app.logger.exception("notification headline failed")
        return str(KIND_LABELS.get(kind, kind))


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    def notification_unread() -> int:
        if not current_user.is_authenticated:
            return 0
        return inapp.unread_count(get_session(), current_user.id)

    return {"notification_unread": notification_unread}


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/notifications")
@login_required
def index() -> str:
    unread_only = request.args.get("unread") == "1"
    number = _page()
    rows, has_next = inapp.page(
        get_session(), current_user.id, unread_only=unread_only, number=number
    )
    items = [(n, headline(n.kind, n.facts)) for n in rows]
    return render_template(
        "notifications/index.html",
        items=items,
        page=number,
        has_next=has_next,
        unread_only=unread_only,
        kind_labels=KIND_LABELS,
    )


def _own_path(path: Any) -> str | None:
    """A path inside this site (never another site: the facts come from our own rows, but
    a redirect target is checked all the same)."""
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path
    return None


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_(notification_id: int) -> Response:
    db = get_session()
    note = inapp.get_own(db, current_user.id, notification_id)
    if note is None:
        raise NotFound(_("Not found"))
    inapp.mark_read(db, current_user.id, notification_id, utcnow())
    return redirect(_own_path(note.facts.get("path")) or url_for("notifications.index"))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int) -> Response:
    if not inapp.mark_read(get_session(), current_user.id, notification_id, utcnow()):
        raise NotFound(_("Not found"))
    return redirect(url_for("notifications.index", unread=request.args.get("unread")))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all() -> Response:
    count = inapp.mark_all_read(get_session(), current_user.id, utcnow())
    flash(_("%(n)d notifications marked as read.", n=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> str | Response | tuple[str, int]:
    db = get_session()
    current = inapp.preferences(db, current_user.id)
    formdata = request.form if request.method == "POST" else None
    form = preferences_form(current.modes, current.summary, formdata)
    if form.validate_on_submit():
        inapp.set_preferences(db, current_user.id, chosen_modes(form), form.daily_summary.data)
        flash(_("Your notification preferences are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    page = render_template(
        "notifications/preferences.html",
        form=form,
        kinds=[k for k in KINDS if k not in ALWAYS_IMMEDIATE],
        fixed=[(KIND_LABELS[k], MODE_LABELS["immediate"]) for k in sorted(ALWAYS_IMMEDIATE)],
        has_email=bool((current_user.email or "").strip()),
    )
    return (page, 400) if request.method == "POST" else page


from web.notifications import admin_views  # noqa: E402,F401  (its routes are on this blueprint)
