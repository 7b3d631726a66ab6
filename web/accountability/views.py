"""Accountability cases: the list, and a case's page with the form of its current stage."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from web.accountability.forms import DecideForm, ExplainForm, RequestForm, ReviewForm
from web.database import get_session
from web.escalations import labels
from web.forms import Form, attach_error
from web.requirements.views import evidence_root, max_upload_bytes
from workflows import accountability as verbs
from workflows import escalation_board as queries
from workflows import evidence_store
from workflows.accountability_view import case_view
from workflows.conclusions import VIETNAM
from workflows.errors import DomainError, NotAllowed

bp = Blueprint("accountability", __name__, template_folder="templates")
FORMS: dict[str, type[Form]] = {
    "request": RequestForm,
    "explain": ExplainForm,
    "review": ReviewForm,
    "decide": DecideForm,
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"esc_labels": labels}


@bp.route("/accountability")
@login_required
def index() -> str:
    status = request.args.get("status") or None
    page = queries.cases(get_session(), current_user, status, request.args.get("page", 1, type=int))
    return render_template("accountability/index.html", page=page, status=status)


def _render(case_id: int, bound: dict[str, Form] | None = None, status: int = 200) -> Any:
    view = case_view(get_session(), current_user, case_id)
    forms = {
        name: (bound or {}).get(name) or cls(formdata=None, prefix=name)
        for name, cls in FORMS.items()
    }
    return render_template("accountability/show.html", v=view, forms=forms), status


@bp.route("/accountability/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    return _render(case_id)


@bp.route("/accountability/<int:case_id>/<action>", methods=["POST"])
@login_required
def act(case_id: int, action: str) -> Any:
    cls = FORMS.get(action)
    if cls is None:
        abort(404)
    case_view(get_session(), current_user, case_id)  # out of reach: 404 before anything else
    form = cls(prefix=action)
    if not form.validate_on_submit():
        return _render(case_id, {action: form}, 400)
    try:
        message = ACTIONS[action](case_id, form)
    except DomainError as err:
        attach_error(form, err)
        return _render(case_id, {action: form}, err.status)
    flash(message, "success")
    return redirect(url_for(".show", case_id=case_id))


def _request(case_id: int, form: Any) -> str:
    due = datetime.combine(form.due.data, time(23, 59), tzinfo=VIETNAM)
    verbs.request_explanation(get_session(), current_user, case_id, due, form.note.data)
    return _("The unit is asked for its explanation.")


def _explain(case_id: int, form: Any) -> str:
    verbs.submit_explanation(get_session(), current_user, case_id, form.explanation.data)
    return _("Your explanation is sent.")


def _review(case_id: int, form: Any) -> str:
    verbs.review_case(get_session(), current_user, case_id, form.note.data)
    return _("The assessment is recorded; the decision is next.")


def _decide(case_id: int, form: Any) -> str:
    # Only the handling body may put a file on the server: check before storing it.
    if not case_view(get_session(), current_user, case_id).can_handle:
        raise NotAllowed(_("Only a supervisor of the body handling the case can do this."))
    upload = form.document.data
    document = None
    if upload is not None and upload.filename:
        document = evidence_store.store(
            evidence_root(),
            upload.stream,
            upload.filename,
            max_bytes=max_upload_bytes(),
            allowed=evidence_store.PDF_ONLY,
            field="document",
        )
    verbs.decide_case(
        get_session(), current_user, case_id, form.decision.data, form.note.data, document
    )
    return _("The decision is recorded and the case is closed.")


ACTIONS = {"request": _request, "explain": _explain, "review": _review, "decide": _decide}


@bp.route("/accountability/<int:case_id>/document")
@login_required
def document(case_id: int) -> Response:
    case = case_view(get_session(), current_user, case_id).case
    sha = case.document_sha256
    path = evidence_store.path_of(evidence_root(), sha) if sha else None
    if path is None or not path.is_file():
        if path is not None:
            current_app.logger.error("case %s: document %s is missing", case_id, sha)
        abort(404)
    name = re.sub(r"[^\w.-]+", "_", case.document_filename or f"case-{case.id}.pdf")
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
