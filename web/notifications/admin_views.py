"""Administration of delivery: the outbox with its dead letters, the mail the embedded
default wrote, and the bodies' webhooks. Administrators only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from db.base import utcnow
from db.models import Body
from db.models.notification import OUTBOX_STATUSES, Webhook
from notifier import admin
from notifier.webhooks import WebhookRefused, allowed_hosts
from web.auth.session import roles_required
from web.database import get_session
from web.forms import attach_error
from web.notifications.forms import WebhookForm
from web.notifications.labels import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from web.notifications.views import bp, settings
from workflows.errors import InvalidInput


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/admin/outbox")
@roles_required("admin")
def outbox() -> str:
    status = request.args.get("status", "dead")
    if status not in OUTBOX_STATUSES:
        abort(404)
    rows, has_next = admin.rows(get_session(), status, _page())
    return render_template(
        "notifications/outbox.html",
        rows=rows,
        status=status,
        counts=admin.status_counts(get_session()),
        page=_page(),
        has_next=has_next,
        status_labels=STATUS_LABELS,
        channel_labels=CHANNEL_LABELS,
        smtp_host=settings().smtp_host,
    )


@bp.route("/admin/outbox/<int:row_id>/retry", methods=["POST"])
@roles_required("admin")
def retry(row_id: int) -> Response:
    if admin.retry(get_session(), current_user, row_id, utcnow()):
        flash(_("The message will be sent again with the next delivery run."), "success")
    else:
        flash(_("Only a dead letter can be retried."), "error")
    return redirect(url_for("notifications.outbox", status="dead"))


@bp.route("/admin/outbox/mail")
@roles_required("admin")
def mail() -> str:
    files, has_next = admin.mail_files(settings().instance_path / "mail", _page())
    return render_template("notifications/mail.html", files=files, page=_page(), has_next=has_next)


@bp.route("/admin/outbox/mail/<name>")
@roles_required("admin")
def mail_file(name: str) -> str:
    found = admin.mail_file(settings().instance_path / "mail", name)
    if found is None:
        abort(404)
    return render_template("notifications/mail_file.html", name=name, msg=found)


@bp.route("/admin/webhooks")
@roles_required("admin")
def webhooks() -> str:
    return render_template(
        "notifications/webhooks.html",
        hooks=admin.webhooks(get_session()),
        allowed=allowed_hosts(settings().webhook_allowed_hosts),
        kind_labels=KIND_LABELS,
    )


def _body_choices() -> list[tuple[int | None, str]]:
    rows = get_session().execute(select(Body.id, Body.code, Body.name).order_by(Body.code))
    return [(None, "—")] + [(r.id, f"{r.code} — {r.name}") for r in rows]


@bp.route("/admin/webhooks/new", methods=["GET", "POST"])
@bp.route("/admin/webhooks/<int:webhook_id>", methods=["GET", "POST"])
@roles_required("admin")
def webhook_form(webhook_id: int | None = None) -> str | Response | tuple[str, int]:
    hook = get_session().get(Webhook, webhook_id) if webhook_id else None
    if webhook_id and hook is None:
        abort(404)
    form = WebhookForm(obj=hook)
    form.body_id.choices = _body_choices()
    if form.validate_on_submit():
        data = admin.WebhookInput(
            form.body_id.data,
            form.url.data,
            tuple(form.kinds.data or ()),
            form.description.data or "",
            form.active.data,
        )
        try:
            hook = admin.save_webhook(
                get_session(), current_user, data, settings().webhook_allowed_hosts, hook
            )
        except WebhookRefused as err:
            attach_error(form, InvalidInput(err.message, field=err.field))
        else:
            flash(_("Webhook saved."), "success")
            return redirect(url_for("notifications.webhook_form", webhook_id=hook.id))
    page = render_template(
        "notifications/webhook_form.html",
        form=form,
        hook=hook,
        allowed=allowed_hosts(settings().webhook_allowed_hosts),
    )
    return (page, 400) if request.method == "POST" else page


@bp.route("/admin/webhooks/<int:webhook_id>/secret", methods=["POST"])
@roles_required("admin")
def rotate(webhook_id: int) -> Response:
    hook = get_session().get(Webhook, webhook_id)
    if hook is None:
        abort(404)
    admin.rotate_secret(get_session(), current_user, hook)
    flash(_("A new secret was generated: give it to the receiving system."), "success")
    return redirect(url_for("notifications.webhook_form", webhook_id=hook.id))
