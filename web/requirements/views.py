"""A requirement's page and every action taken on it, by the unit and by the supervisor.

Each action is a POST of one form; the view parses it, calls the verb and redirects back
with a confirmation, or renders the page again with the refusal beside the form and what
the user typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from db.models import User
from web.database import get_session
from web.escalations.labels import LEVEL_LABELS
from web.forms import Form, attach_error
from web.requirements import forms as f
from workflows import evidence_store, verification
from workflows import requirements as verbs
from workflows.deadlines import end_of_day
from workflows.errors import DomainError, InvalidInput
from workflows.inputs import EvidenceInput, ReportInput
from workflows.requirement_steps import for_officer
from workflows.requirement_view import evidence_for_download, requirement_view

bp = Blueprint("requirements", __name__, template_folder="templates")

FORMS: dict[str, type[Form]] = {
    "acknowledge": f.AcknowledgeForm,
    "plan": f.PlanForm,
    "report": f.ReportForm,
    "submit": f.CompletionForm,
    "extension": f.ExtensionForm,
    "verify": f.VerifyForm,
    "decide_extension": f.ExtensionDecisionForm,
    "withdraw": f.WithdrawForm,
}


def evidence_root() -> Path:
    return Path(current_app.config["REMTRACK"].instance_path) / "evidence"


def max_upload_bytes() -> int:
    return int(current_app.config["REMTRACK"].max_upload_mb) * 1024 * 1024


@bp.route("/requirements/<int:rid>")
@login_required
def show(rid: int) -> str | tuple[str, int]:
    return _render(rid)


def _render(
    rid: int, bound: dict[str, Form] | None = None, status: int = 200, problem: str | None = None
) -> Any:
    view = requirement_view(get_session(), current_user, rid)
    lock = str(view.process.lock_version) if view.process is not None else ""
    forms: dict[str, Form] = {}
    for name, cls in FORMS.items():
        form = (bound or {}).get(name) or cls(formdata=None, prefix=name)
        if name not in (bound or {}):
            form.lock_version.data = lock
        forms[name] = form
    forms["submit"].percent.data = forms["submit"].percent.data or 100
    return (
        render_template(
            "requirements/show.html",
            v=view,
            forms=forms,
            open_form=bound,
            problem=problem,
            level_labels=LEVEL_LABELS,
        ),
        status,
    )


@bp.route("/requirements/<int:rid>/<action>", methods=["POST"])
@login_required
def act(rid: int, action: str) -> Any:
    cls = FORMS.get(action)
    if cls is None:
        abort(404)
    form = cls(prefix=action)
    if not form.validate_on_submit():
        return _render(rid, {action: form}, 400)
    try:
        message = ACTIONS[action](get_session(), current_user, rid, form)
    except InvalidInput as err:
        attach_error(form, err)
        return _render(rid, {action: form}, err.status)
    except DomainError as err:
        # The step may be gone (taken by someone, or the form sent twice): say so on top.
        return _render(rid, {action: form}, err.status, problem=str(err.message))
    flash(message, "success")
    return redirect(url_for(".show", rid=rid))


def _lock(form: Any) -> int | None:
    raw = (form.lock_version.data or "").strip()
    return int(raw) if raw.isdigit() else None


def _report(session: Session, actor: User, rid: int, form: Any) -> ReportInput:
    # Only the responsible unit may put files on the server: check before storing any.
    for_officer(session, actor, rid, with_process=False)
    files = []
    for index, row in enumerate(form.evidence.entries):
        upload: FileStorage | None = row.form.file.data
        if upload is None or not upload.filename:
            continue
        stored = evidence_store.store(
            evidence_root(),
            upload.stream,
            upload.filename,
            max_bytes=max_upload_bytes(),
            field=f"evidence-{index}-file",
        )
        files.append(
            EvidenceInput(
                stored.sha256,
                stored.filename,
                stored.content_type,
                stored.size,
                (row.form.doc_number.data or "").strip() or None,
                row.form.doc_date.data,
            )
        )
    return ReportInput(
        form.text.data, form.percent.data, form.amount_recovered.data or None, tuple(files)
    )


def _acknowledge(session: Session, actor: User, rid: int, form: Any) -> str:
    verbs.acknowledge_requirement(session, actor, rid, lock_version=_lock(form))
    return _("Acknowledged. Next, submit the remediation plan.")


def _plan(session: Session, actor: User, rid: int, form: Any) -> str:
    verbs.submit_plan(session, actor, rid, form.plan.data, lock_version=_lock(form))
    return _("The plan is recorded; remediation has started.")


def _progress(session: Session, actor: User, rid: int, form: Any) -> str:
    report = verbs.report_progress(session, actor, rid, _report(session, actor, rid, form))
    return _("Progress report saved with %(n)d file(s).", n=len(report.evidence))


def _submit(session: Session, actor: User, rid: int, form: Any) -> str:
    report = _report(session, actor, rid, form)
    verbs.submit_for_verification(session, actor, rid, report, lock_version=_lock(form))
    return _("The completion report was sent to the supervising body for verification.")


def _extension(session: Session, actor: User, rid: int, form: Any) -> str:
    wanted = end_of_day(form.new_deadline.data)
    verbs.request_extension(session, actor, rid, form.reason.data, wanted, lock_version=_lock(form))
    return _("The extension request was sent to the supervising body.")


def _verify(session: Session, actor: User, rid: int, form: Any) -> str:
    verification.verify_requirement(
        session,
        actor,
        rid,
        form.decision.data,
        grade=form.grade.data or None,
        reason=form.reason.data or "",
        lock_version=_lock(form),
    )
    return _("Your decision is recorded.")


def _decide_extension(session: Session, actor: User, rid: int, form: Any) -> str:
    approve = form.decision.data == "approve"
    granted = end_of_day(form.deadline.data) if approve and form.deadline.data else None
    verification.decide_extension(
        session,
        actor,
        rid,
        approve,
        form.reason.data or "",
        deadline=granted,
        lock_version=_lock(form),
    )
    return _("The extension was approved.") if approve else _("The extension was rejected.")


def _withdraw(session: Session, actor: User, rid: int, form: Any) -> str:
    verification.withdraw_requirement(
        session, actor, rid, form.reason.data, lock_version=_lock(form)
    )
    return _("The requirement was withdrawn.")


ACTIONS: dict[str, Callable[[Session, User, int, Any], str]] = {
    "acknowledge": _acknowledge,
    "plan": _plan,
    "report": _progress,
    "submit": _submit,
    "extension": _extension,
    "verify": _verify,
    "decide_extension": _decide_extension,
    "withdraw": _withdraw,
}


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int) -> Response:
    """A file, to those who may see its requirement, always as a download."""
    row = evidence_for_download(get_session(), current_user, evidence_id)
    path = evidence_store.path_of(evidence_root(), row.sha256)
    if not path.is_file():
        current_app.logger.error("evidence %s: file %s is missing", row.id, row.sha256)
        abort(404)
    response = send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
