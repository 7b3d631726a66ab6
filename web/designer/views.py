"""The process designer's pages: the modeler, version diffs and instance migration.

Only designers and administrators reach them.  The modeler saves, validates and deploys
through the JSON endpoints of :mod:`web.designer.api` (registered on this blueprint).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from db.models import User
from web.auth.session import roles_required
from web.database import get_session
from web.designer import catalogue
from web.designer.forms import DiscardForm, MigrateForm, NewProcessForm, UploadForm
from web.designer.problems import blocker_text, describe, element_names
from web.forms import attach_error
from web.processes.views import render_index
from workflows import definitions, designer, designer_diff, designer_new, migration
from workflows.engine.errors import BpmnRefused
from workflows.errors import DomainError

bp = Blueprint("designer", __name__, template_folder="templates", url_prefix="/designer")
DESIGNERS = ("designer", "admin")


@bp.route("/")
@roles_required(*DESIGNERS)
def home() -> BaseResponse:
    return redirect(url_for("processes.index"))


@bp.route("/new", methods=["POST"])
@roles_required(*DESIGNERS)
def new() -> Any:
    form = NewProcessForm(prefix="new")
    if form.validate_on_submit():
        try:
            designer_new.start_process(
                get_session(), current_user, form.key.data.strip(), form.name.data
            )
        except DomainError as err:
            attach_error(form, err)
        else:
            return redirect(url_for("designer.edit", key=form.key.data.strip()))
    return render_index(400, new_form=form)


@bp.route("/upload", methods=["POST"])
@roles_required(*DESIGNERS)
def upload() -> Any:
    form = UploadForm(prefix="upload")
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            draft = designer_new.upload_new_draft(get_session(), current_user, data)
        except BpmnRefused as refused:
            names = element_names(data)
            form.file.errors = [describe(p, names) for p in refused.problems]
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("The file is now the draft of %(key)s.", key=draft.key), "success")
            return redirect(url_for("designer.edit", key=draft.key))
    return render_index(400, upload_form=form)


@bp.route("/<key>/edit")
@roles_required(*DESIGNERS)
def edit(key: str) -> str:
    db = get_session()
    opened = designer.open_model(db, current_user, key)
    draft_author = db.get(User, opened.draft.updated_by_id) if opened.draft else None
    versions = [d.version for d in definitions.list_versions(db) if d.key == key]
    return render_template(
        "designer/modeler.html",
        key=key,
        opened=opened,
        draft_author=draft_author,
        versions=versions,
        page_data=catalogue.page_data(),
        discard_form=DiscardForm(data={"lock_version": opened.lock_version}),
    )


@bp.route("/<key>/model.bpmn")
@roles_required(*DESIGNERS)
def model(key: str) -> Response:
    opened = designer.open_model(get_session(), current_user, key)
    return Response(opened.xml, mimetype="application/xml")


@bp.route("/<key>/discard", methods=["POST"])
@roles_required(*DESIGNERS)
def discard(key: str) -> BaseResponse:
    form = DiscardForm()
    if form.validate_on_submit():
        designer.discard_draft(get_session(), current_user, key, form.lock_version.data)
        flash(_("The draft of %(key)s was discarded.", key=key), "success")
    return redirect(url_for("processes.index"))


@bp.route("/<key>/diff")
@roles_required(*DESIGNERS)
def diff(key: str) -> str:
    db = get_session()
    old_version = request.args.get("from", type=int) or 0
    new_version = request.args.get("to", type=int) or 0
    old = migration.target_version(db, key, old_version)
    new = migration.target_version(db, key, new_version)
    changes = designer_diff.diff_models(_xml(old), _xml(new))
    return render_template(
        "designer/diff.html",
        key=key,
        old=old,
        new=new,
        changes=changes,
        versions=[d.version for d in definitions.list_versions(db) if d.key == key],
        markers_new={c.element_id: c.kind for c in changes if c.kind != "removed"},
        markers_old={c.element_id: c.kind for c in changes if c.kind != "added"},
    )


def _xml(definition: Any) -> bytes:
    return str(definition.bpmn_xml).encode("utf-8")


@bp.route("/<key>/v<int:version>/migrate", methods=["GET", "POST"])
@roles_required(*DESIGNERS)
def migrate(key: str, version: int) -> Any:
    db = get_session()
    form = MigrateForm()
    if form.is_submitted():
        form.instances.choices = [(i, str(i)) for i in _posted_ids()]
        if form.validate():
            outcome = migration.migrate(db, current_user, key, version, form.instances.data)
            _flash_outcome(outcome)
            return redirect(url_for("designer.migrate", key=key, version=version))
    preview = migration.preview(db, current_user, key, version)
    form.instances.choices = [(c.instance_id, str(c.instance_id)) for c in preview.movable]
    status = 400 if form.errors else 200
    return render_template(
        "designer/migrate.html", key=key, preview=preview, form=form, blocker_text=blocker_text
    ), status


def _posted_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("instances") if v.isdigit()]


def _flash_outcome(outcome: migration.Outcome) -> None:
    if outcome.moved:
        flash(_("%(n)s instances moved to the new version.", n=len(outcome.moved)), "success")
    for candidate in outcome.refused:
        reasons = "; ".join(blocker_text(b) for b in candidate.blockers)
        flash(
            _("Instance %(id)s stays where it is: %(why)s", id=candidate.instance_id, why=reasons),
            "error",
        )
    for instance_id in outcome.changed_meanwhile:
        flash(
            _(
                "Instance %(id)s changed while it was being migrated and stays where it is; "
                "preview again.",
                id=instance_id,
            ),
            "error",
        )
    for instance_id in outcome.not_found:
        flash(
            _("Instance %(id)s is not a running instance you may migrate here.", id=instance_id),
            "error",
        )


from web.designer import api  # noqa: E402,F401  (registers the modeler's JSON endpoints)
