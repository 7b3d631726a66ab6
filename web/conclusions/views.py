"""Conclusions: the list, registering one with its requirements, its page and its final
assessment, and its signed document."""

from __future__ import annotations

import re
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
from sqlalchemy import select
from werkzeug.wrappers import Response

from db.models import Body, User, UserRole
from web.auth.session import roles_required
from web.conclusions.forms import AssessmentForm, ConclusionForm
from web.database import get_session
from web.forms import attach_error
from web.requirements.views import evidence_root, max_upload_bytes
from workflows import evidence_store
from workflows.access import in_reach
from workflows.conclusion_view import conclusion_view, conclusions_page
from workflows.conclusions import (
    ConclusionInput,
    RequirementInput,
    assess_conclusion,
    issue_conclusion,
)
from workflows.deadlines import deadline_after_working_days, end_of_day
from workflows.errors import DomainError, InvalidInput

bp = Blueprint("conclusions", __name__, template_folder="templates")
ROW_FIELD = re.compile(r"^requirements-(\d+)-(\w+)$")


@bp.route("/conclusions")
@login_required
def index() -> str:
    q = request.args.get("q", "")
    page = conclusions_page(get_session(), current_user, q, request.args.get("page", 1, type=int))
    # The import pages are their own feature; link to them when they are installed.
    import_url = (
        url_for("imports.upload") if "imports.upload" in current_app.view_functions else None
    )
    return render_template("conclusions/index.html", page=page, q=q, import_url=import_url)


def _choices(form: ConclusionForm) -> None:
    db = get_session()
    bodies = db.execute(
        select(Body.id, Body.code, Body.name)
        .where(in_reach(current_user, Body.id))
        .order_by(Body.code)
    ).all()
    body_choices: list[tuple[Any, str]] = [(None, "—")] + [
        (b.id, f"{b.code} — {b.name}") for b in bodies
    ]
    officers = db.execute(
        select(User.id, User.full_name, Body.code)
        .join(Body, Body.id == User.body_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "officer", User.active, in_reach(current_user, User.body_id))
        .order_by(Body.code, User.full_name)
    ).all()
    officer_choices: list[tuple[Any, str]] = [(None, "—")] + [
        (o.id, f"{o.full_name} ({o.code})") for o in officers
    ]
    form.subject_body_id.choices = body_choices
    for row in form.requirements:
        row.form.responsible_body_id.choices = body_choices
        row.form.supervising_body_id.choices = body_choices
        row.form.responsible_officer_id.choices = officer_choices
        if request.method == "GET" or row.form.supervising_body_id.data is None:
            row.form.supervising_body_id.data = (
                row.form.supervising_body_id.data or current_user.body_id
            )


@bp.route("/conclusions/new", methods=["GET", "POST"])
@roles_required("supervisor")
def new() -> Any:
    form = ConclusionForm()
    if form.add_requirement.data and len(form.requirements) < form.requirements.max_entries:
        form.requirements.append_entry()
        _choices(form)
        return render_template("conclusions/new.html", form=form)
    _choices(form)
    if not form.validate_on_submit():
        return render_template(
            "conclusions/new.html", form=form
        ), 400 if request.method == "POST" else 200
    try:
        conclusion = issue_conclusion(get_session(), current_user, _conclusion_input(form))
    except DomainError as err:
        _attach(form, err)
        return render_template("conclusions/new.html", form=form), err.status
    flash(
        _(
            "Conclusion %(number)s is issued; %(n)d requirement(s) went to their units.",
            number=conclusion.number,
            n=len(conclusion.requirements),
        ),
        "success",
    )
    return redirect(url_for(".show", cid=conclusion.id))


def _conclusion_input(form: ConclusionForm) -> ConclusionInput:
    document = None
    upload = form.document.data
    if upload is not None and upload.filename:
        document = evidence_store.store(
            evidence_root(),
            upload.stream,
            upload.filename,
            max_bytes=max_upload_bytes(),
            allowed=evidence_store.PDF_ONLY,
            field="document",
        ).sha256
    issue_date = form.issue_date.data
    rows = [_requirement_input(row.form, issue_date, i) for i, row in enumerate(form.requirements)]
    return ConclusionInput(
        number=form.number.data,
        title=form.title.data,
        source=form.source.data,
        issue_date=issue_date,
        subject_body_id=form.subject_body_id.data,
        summary=form.summary.data,
        requirements=tuple(rows),
        document_sha256=document,
    )


def _requirement_input(row: Any, issue_date: Any, index: int) -> RequirementInput:
    if row.deadline_kind.data == "working_days":
        if not row.working_days.data:
            raise InvalidInput(
                _("Enter the number of working days."), field=f"requirements-{index}-working_days"
            )
        deadline = deadline_after_working_days(get_session(), issue_date, row.working_days.data)
    else:
        if row.deadline_date.data is None:
            raise InvalidInput(
                _("Enter the deadline date."), field=f"requirements-{index}-deadline"
            )
        deadline = end_of_day(row.deadline_date.data)
    return RequirementInput(
        text=row.text.data,
        category=row.category.data,
        responsible_body_id=row.responsible_body_id.data,
        deadline=deadline,
        supervising_body_id=row.supervising_body_id.data,
        responsible_officer_id=row.responsible_officer_id.data,
        target_amount=row.target_amount.data or None,
    )


def _attach(form: ConclusionForm, err: DomainError) -> None:
    """Put a refusal about ``requirements-N-field`` beside that field of row N."""
    match = ROW_FIELD.match(getattr(err, "field", None) or "")
    if match and int(match[1]) < len(form.requirements):
        row = form.requirements[int(match[1])].form
        name = {"deadline": "deadline_date"}.get(match[2], match[2])
        target = getattr(row, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, str(err.message)]
            return
    attach_error(form, err)


@bp.route("/conclusions/<int:cid>")
@login_required
def show(cid: int, assessment: AssessmentForm | None = None) -> str:
    view = conclusion_view(get_session(), current_user, cid)
    return render_template(
        "conclusions/show.html", v=view, form=assessment or AssessmentForm(formdata=None)
    )


@bp.route("/conclusions/<int:cid>/assess", methods=["POST"])
@roles_required("supervisor")
def assess(cid: int) -> Any:
    form = AssessmentForm()
    if not form.validate_on_submit():
        return show(cid, form), 400
    try:
        assess_conclusion(get_session(), current_user, cid, form.assessment.data)
    except DomainError as err:
        attach_error(form, err)
        return show(cid, form), err.status
    flash(_("The final assessment is recorded and the conclusion is closed."), "success")
    return redirect(url_for(".show", cid=cid))


@bp.route("/conclusions/<int:cid>/document")
@login_required
def document(cid: int) -> Response:
    view = conclusion_view(get_session(), current_user, cid)
    sha = view.conclusion.document_sha256
    path = evidence_store.path_of(evidence_root(), sha) if sha else None
    if path is None or not path.is_file():
        if path is not None:
            current_app.logger.error("conclusion %s: document %s is missing", cid, sha)
        abort(404)
    name = re.sub(r"[^\w.-]+", "_", view.conclusion.number) + ".pdf"
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
