"""Translation markers for the domain layer (Flask-Babel resolves them per request)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

__all__ = ["_", "_l"]
