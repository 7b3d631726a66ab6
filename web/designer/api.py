"""JSON endpoints the modeler calls: save the draft, validate, deploy, check an upload.

Each answers JSON, also when it refuses: ``problems`` (each with the element id the page
highlights) for a model that does not pass, ``error`` for everything else.  A refusal has
a status >= 400, so the request's transaction is rolled back and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth.session import roles_required
from web.database import get_session
from web.designer.problems import as_json, element_names
from web.designer.views import DESIGNERS, bp
from workflows import designer
from workflows.designer_checks import check_upload
from workflows.engine.errors import BpmnRefused
from workflows.errors import DomainError


def _reply(payload: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    return jsonify(payload), status


def _body() -> tuple[bytes, int, int | None]:
    """The model and the lock versions the page sent; DomainError when malformed."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("xml"), str):
        raise DomainError(_("The request carried no diagram. Reload the page."))
    lock, base = data.get("lock_version", 0), data.get("base_version")
    if not isinstance(lock, int) or lock < 0 or not (base is None or isinstance(base, int)):
        raise DomainError(_("The request carried no valid draft version. Reload the page."))
    return data["xml"].encode("utf-8"), lock, base


def _refusal(err: Exception, data: bytes | None) -> tuple[Response, int]:
    if isinstance(err, BpmnRefused):
        problems = as_json(err.problems, element_names(data))
        return _reply({"ok": False, "problems": problems}, 422)
    assert isinstance(err, DomainError)
    code = err.details.get("code", type(err).__name__.lower())
    return _reply({"ok": False, "error": str(err.message), "code": code}, err.status)


def _draft_state(draft: Any) -> dict[str, Any]:
    return {"lock_version": draft.lock_version, "base_version": draft.base_version}


@bp.route("/<key>/draft", methods=["POST"])
@roles_required(*DESIGNERS)
def save(key: str) -> tuple[Response, int]:
    data = None
    try:
        data, lock, base = _body()
        draft = designer.save_draft(get_session(), current_user, key, data, lock, base)
    except (BpmnRefused, DomainError) as err:
        return _refusal(err, data)
    return _reply({"ok": True, "message": _("Draft saved."), **_draft_state(draft)})


@bp.route("/<key>/validate", methods=["POST"])
@roles_required(*DESIGNERS)
def validate(key: str) -> tuple[Response, int]:
    data = None
    try:
        data, _lock, _base = _body()
        designer.validate_model(get_session(), current_user, key, data)
    except (BpmnRefused, DomainError) as err:
        return _refusal(err, data)
    return _reply({"ok": True, "problems": [], "message": _("The model passed every check.")})


@bp.route("/<key>/deploy", methods=["POST"])
@roles_required(*DESIGNERS)
def deploy(key: str) -> tuple[Response, int]:
    data = None
    try:
        data, lock, base = _body()
        deployed = designer.deploy_model(get_session(), current_user, key, data, lock, base)
    except (BpmnRefused, DomainError) as err:
        return _refusal(err, data)
    version = deployed.definition.version
    message = (
        _("Version %(v)s deployed; new instances start on it.", v=version)
        if deployed.created
        else _("This is identical to version %(v)s; nothing new was deployed.", v=version)
    )
    return _reply(
        {
            "ok": True,
            "created": deployed.created,
            "version": version,
            "message": message,
            "migrate_url": url_for("designer.migrate", key=key, version=version),
            "edit_url": url_for("designer.edit", key=key),
        }
    )


@bp.route("/<key>/upload-check", methods=["POST"])
@roles_required(*DESIGNERS)
def upload_check(key: str) -> tuple[Response, int]:
    """Check a file picked in the modeler; the page then opens it (nothing is stored)."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        check_upload(data)
        text = data.decode("utf-8")
    except BpmnRefused as err:
        return _refusal(err, data)
    except UnicodeDecodeError:
        return _reply({"ok": False, "error": _("Save BPMN files as UTF-8.")}, 422)
    return _reply({"ok": True, "xml": text})
