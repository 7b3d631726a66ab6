"""Importing conclusions from a file: the upload page, its result, and the templates."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth.session import roles_required
from web.database import get_session
from web.imports.forms import ImportForm
from workflows import import_guide
from workflows.conclusion_import import ImportRejected, import_conclusions
from workflows.import_columns import COLUMNS
from workflows.import_files import MAX_FILE_BYTES
from workflows.import_template import build_csv_template, build_xlsx_template

bp = Blueprint("imports", __name__, template_folder="templates")
#: How many refused rows the result page lists (the count says how many there are).
SHOWN_ERRORS = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _locale() -> str:
    return "vi" if str(get_locale() or "vi") == "vi" else "en"


def _page(form: ImportForm, rejected: ImportRejected | None = None, name: str = "") -> str:
    locale = _locale()
    return render_template(
        "imports/upload.html",
        form=form,
        rejected=rejected,
        errors=rejected.errors[:SHOWN_ERRORS] if rejected else [],
        filename=name,
        locale=locale,
        columns=COLUMNS,
        rules=import_guide.rules(locale),
        required_label=import_guide.requirement_label,
        back_url=_list_url(),
    )


def _list_url() -> str:
    """The conclusions list (the remediation pages' blueprint), else the home page."""
    if "conclusions.index" in current_app.view_functions:
        return url_for("conclusions.index")
    return url_for("main.home")


@bp.route("/conclusions/import", methods=["GET", "POST"])
@roles_required("supervisor")
def upload() -> Any:
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form), 400 if request.method == "POST" else 200
    upload = form.file.data
    # Read one byte past the cap so the verb can tell an oversized file from a full one.
    data = upload.read(MAX_FILE_BYTES + 1)
    try:
        result = import_conclusions(get_session(), current_user, upload.filename or "", data)
    except ImportRejected as rejected:
        # 400: the request's transaction is rolled back, so nothing of the file is kept.
        return _page(form, rejected, upload.filename or ""), 400
    flash(
        _(
            "Imported %(conclusions)d conclusion(s) with %(requirements)d requirement(s) "
            "from %(file)s: %(numbers)s.",
            conclusions=len(result.conclusions),
            requirements=result.requirements,
            file=upload.filename or "",
            numbers=", ".join(c.number for c in result.conclusions[:20])
            + (" …" if len(result.conclusions) > 20 else ""),
        ),
        "success",
    )
    return redirect(_list_url())


@bp.route("/conclusions/import/template.xlsx")
@roles_required("supervisor")
def template_xlsx() -> Response:
    data = build_xlsx_template(get_session(), current_user, _locale())
    return _download(data, "xlsx", XLSX_TYPE)


@bp.route("/conclusions/import/template.csv")
@roles_required("supervisor")
def template_csv() -> Response:
    data = build_csv_template(get_session(), current_user, _locale())
    return _download(data, "csv", "text/csv; charset=utf-8")


def _download(data: bytes, extension: str, mimetype: str) -> Response:
    name = "mau-nhap-ket-luan" if _locale() == "vi" else "conclusion-import-template"
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"{name}.{extension}",
    )
    response.headers["Cache-Control"] = "no-store"  # it lists the bodies in the user's reach
    return response
