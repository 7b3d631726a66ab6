"""Error pages in the user's language; unexpected errors get a reference id in the log."""

from __future__ import annotations

import uuid

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflows.errors import DomainError

_TITLES = {
    400: lambda: _("The request could not be understood"),
    401: lambda: _("Please log in"),
    403: lambda: _("You are not allowed to do this"),
    404: lambda: _("Not found"),
    405: lambda: _("This action is not available here"),
    409: lambda: _("Someone else changed this first"),
    413: lambda: _("The upload is too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong on our side"),
}


def _explain(code: int) -> str:
    return {
        403: _("Your account does not give access to this page or record."),
        404: _("The page or record does not exist, or it is outside your reach."),
        413: _("The files you sent are larger than allowed. Send smaller files."),
    }.get(code, "")


def render_error(code: int, message: str = "", ref: str | None = None) -> tuple[str, int]:
    title = _TITLES.get(code, _TITLES[500])()
    return (
        render_template(
            "error.html", code=code, title=title, message=message or _explain(code), ref=ref
        ),
        code,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            _(
                "The form expired or did not come from this site. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> tuple[str, int]:
        return render_error(err.status, str(err.message))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[str, int]:
        return render_error(err.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[str, int]:
        ref = uuid.uuid4().hex[:10]
        app.logger.exception("unhandled error ref=%s path=%s", ref, request.path)
        return render_error(
            500, _("Give this reference to your administrator: %(ref)s", ref=ref), ref
        )
