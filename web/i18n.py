"""Locale choice: the user's own setting, else the session's (before login), else Vietnamese."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LOCALES = {"vi": "Tiếng Việt", "en": "English"}
LOGIN_REQUIRED = _l("Please log in to see this page.")


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    @app.context_processor
    def _locales() -> dict[str, Any]:
        from web import labels

        return {
            "LOCALES": LOCALES,
            "current_locale": select_locale(),
            "kind_labels": labels.KIND_LABELS,
            "role_labels": labels.ROLE_LABELS,
            "labels": labels,
        }
