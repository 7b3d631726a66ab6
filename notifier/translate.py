"""Messages of the domain (lazily translated ``_l("…")`` strings) in a given language.

A notification is read long after the request that raised it, in its reader's language, and
often outside any request (the scheduler's jobs), so the text is taken from the app's
catalog directly rather than from Flask-Babel's request-bound locale.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask_babel.speaklater import LazyString

from notifier.render import money, vndate

LOCALES = ("vi", "en")
#: The app's catalogs (read as files: nothing of ``web`` is imported).
_CATALOGS = Path(__file__).resolve().parents[1] / "web" / "translations"


@cache
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(str(_CATALOGS), [locale])


class _Shown(dict[str, str]):
    """A flag's facts as people read them; a fact the text names but the flag lacks is "—"."""

    def __missing__(self, key: str) -> str:
        return "—"


def _shown(key: str, value: Any, locale: str) -> str:
    # The same reading as the flags board (web.monitor.explain): dates, money, the rest as is.
    if value is None or value == "":
        return "—"
    if key in ("deadline", "original_deadline", "doc_date") or key.endswith("_on"):
        return vndate(str(value)[:10]) or str(value)
    if key in ("recovered", "target"):
        return money(value, locale) + (" đồng" if locale == "vi" else " VND")
    return str(value)


def in_locale(text: Any, locale: str, values: dict[str, Any] | None = None) -> str:
    """A lazily translated message (``_l("…", **kw)``) in ``locale``, filled with ``values``;
    outside any request, from the catalog itself. A text that cannot be filled is given as
    it is rather than failing the transaction that raised the event."""
    msgid = text._args[0] if isinstance(text, LazyString) else str(text)
    given = {**(text._kwargs if isinstance(text, LazyString) else {}), **(values or {})}
    filled = _Shown({k: _shown(k, v, locale) for k, v in given.items()})
    translated = msgid if locale == "en" else _catalog(locale).ugettext(msgid)
    if "%(" not in translated:
        return translated
    try:
        return translated % filled
    except (TypeError, ValueError):
        return translated
