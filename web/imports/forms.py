"""The upload form of the conclusion import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from web.forms import Form


class ImportForm(Form):
    file = FileField(
        _l("File (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )
