"""Deployed process models: the versions of each key and their diagrams (read-only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import undefer

from db.models import ProcessDefinition, User
from db.models.designer import ProcessDraft
from web.database import get_session
from workflows import definitions, instances
from workflows.errors import NotFound
from workflows.i18n import _l

bp = Blueprint("processes", __name__, template_folder="templates")


@bp.route("/processes")
@login_required
def index() -> str:
    return render_index()


def render_index(status: int = 200, **forms: Any) -> Any:
    """The process list; designers also see drafts and the forms to start or upload one."""
    db = get_session()
    rows = definitions.list_versions(db)
    running = {d.id: instances.running_on(db, d) for d in rows}
    drafts = {d.key: d for d in db.scalars(select(ProcessDraft).order_by(ProcessDraft.key))}
    people = {d.deployed_by_id for d in rows} | {d.updated_by_id for d in drafts.values()}
    authors = {
        u.id: u.full_name for u in db.scalars(select(User).where(User.id.in_(people - {None})))
    }
    keys = sorted({d.key for d in rows} | set(drafts))
    designer = current_user.has_role("designer", "admin")
    if designer:
        from web.designer.forms import NewProcessForm, UploadForm

        forms.setdefault("new_form", NewProcessForm(prefix="new"))
        forms.setdefault("upload_form", UploadForm(prefix="upload"))
    html = render_template(
        "processes/index.html",
        keys=keys,
        versions={k: [d for d in rows if d.key == k] for k in keys},
        running=running,
        authors=authors,
        drafts=drafts if designer else {},
        designer=designer,
        **forms,
    )
    return (html, status) if status != 200 else html


def _version(key: str, version: int, with_xml: bool = False) -> ProcessDefinition:
    stmt = select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version
    )
    if with_xml:
        stmt = stmt.options(undefer(ProcessDefinition.bpmn_xml))
    found = get_session().scalar(stmt)
    if found is None:
        raise NotFound(_l("No such process version."))
    return found


@bp.route("/processes/<key>/v<int:version>")
@login_required
def show(key: str, version: int) -> str:
    definition = _version(key, version)
    return render_template(
        "processes/show.html",
        definition=definition,
        running=instances.running_on(get_session(), definition),
    )


@bp.route("/processes/<key>/v<int:version>.bpmn")
@login_required
def xml(key: str, version: int) -> Response:
    definition = _version(key, version, with_xml=True)
    response = Response(definition.bpmn_xml, mimetype="application/xml")
    if request.args.get("download"):
        name = f"{definition.key}-v{definition.version}.bpmn"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
