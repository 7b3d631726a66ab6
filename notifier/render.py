"""Email text from Jinja2 templates, one set per locale, plain-text and HTML parts.

``notifier/templates/<locale>/`` holds the layouts (``notification.txt/.html``,
``digest.txt/.html``, ``subject.txt``) and one macro file per kind
(``kinds/<kind>.jinja``: ``subject(f)``, ``lead(f)``, ``action(f)``). A file of the same name
under ``<instance>/mail-templates/`` wins, so a site can reword a message without a release.

Rendering never touches the database: everything shown comes from the facts stored with the
notification when it was queued. A broken template raises :class:`TemplateFailed` naming it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

BUILTIN = Path(__file__).parent / "templates"
LOCALES = ("vi", "en")
#: Vietnam has one offset all year (no daylight saving); dates are shown in it.
VIETNAM = timezone(timedelta(hours=7))


class TemplateFailed(Exception):
    """A template could not be rendered; ``template`` names the file (and line)."""

    def __init__(self, template: str, error: Exception) -> None:
        self.template = template
        self.error = error
        super().__init__(f"email template {template} failed: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def to_vietnam(value: Any) -> datetime | date | None:
    """A stored ISO string or datetime as Vietnamese local time (dates stay dates)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(VIETNAM)
    return value if isinstance(value, date) else None


def vndate(value: Any) -> str:
    moment = to_vietnam(value)
    return moment.strftime("%d/%m/%Y") if moment else ""


def vndatetime(value: Any) -> str:
    moment = to_vietnam(value)
    if isinstance(moment, datetime):
        return moment.strftime("%H:%M %d/%m/%Y")
    return vndate(value)


def money(value: Any, locale: str = "vi") -> str:
    """Whole đồng grouped the way each language writes them (1.500.000 / 1,500,000)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    grouped = f"{amount:,.0f}"
    return grouped.replace(",", ".") if locale == "vi" else grouped


def percent(value: Any) -> str:
    """A share given as 0.75 or as 75, written as 75."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{round(number * 100 if number <= 1 else number):d}"


def upfirst(value: Any) -> str:
    """Capitalise the first letter only (Jinja's ``capitalize`` lowers the rest: 34-KL/TW)."""
    text = str(value)
    return text[:1].upper() + text[1:]


def _failing_template(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"{exc.name or exc.filename}, line {exc.lineno}"
    if isinstance(exc, TemplateNotFound):
        return str(exc.name)
    # Jinja maps template code to the template's file in the traceback; the last one failed.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_template(f.filename)]
    if frames:
        return f"{_short(frames[-1].filename)}, line {frames[-1].lineno}"
    return "?"


def _is_template(filename: str) -> bool:
    return filename.endswith((".jinja", ".txt", ".html"))


def _short(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[-3:] if "kinds" in parts else parts[-2:])


class Renderer:
    """Renders notifications and digests; one per flush (templates are cached)."""

    def __init__(self, base_url: str, override_dir: Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loader = ChoiceLoader([*loaders, FileSystemLoader(str(BUILTIN))])
        # Two environments over the same files: a kind's macros are compiled once escaping
        # (for the HTML part) and once not (for the text part and the subject), so what a
        # user typed is escaped in HTML and left as typed in text.
        self.html_env = self._environment(loader, autoescape=True)
        self.text_env = self._environment(loader, autoescape=False)
        self.base_url = base_url.rstrip("/")

    @staticmethod
    def _environment(loader: ChoiceLoader, autoescape: bool) -> Environment:
        env = Environment(
            loader=loader,
            autoescape=autoescape,  # noqa: S701 — off only for the plain-text part
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(
            vndate=vndate, vndatetime=vndatetime, money=money, percent=percent, upfirst=upfirst
        )
        return env

    def _render(self, name: str, context: dict[str, Any]) -> str:
        env = self.html_env if name.endswith(".html") else self.text_env
        try:
            return env.get_template(name).render(context)
        except TemplateError as exc:
            raise TemplateFailed(_failing_template(exc), exc) from exc

    def _context(self, locale: str, name: str, **extra: Any) -> dict[str, Any]:
        return {
            "locale": locale,
            "name": name,
            "base_url": self.base_url,
            "preferences_url": f"{self.base_url}/notifications/preferences",
            **extra,
        }

    def _compose(self, locale: str, layout: str, context: dict[str, Any]) -> Rendered:
        subject = self._render(f"{locale}/subject.txt", context)
        return Rendered(
            subject=" ".join(subject.split()),
            text=self._render(f"{locale}/{layout}.txt", context),
            html=self._render(f"{locale}/{layout}.html", context),
        )

    def notification(self, locale: str, kind: str, facts: dict[str, Any], name: str) -> Rendered:
        locale = locale if locale in LOCALES else LOCALES[0]
        link = f"{self.base_url}{facts['path']}" if facts.get("path") else self.base_url
        context = self._context(locale, name, kind=kind, f=facts, link=link)
        return self._compose(locale, "notification", context)

    def digest(self, locale: str, content: dict[str, Any], name: str) -> Rendered:
        locale = locale if locale in LOCALES else LOCALES[0]
        listed = [
            {**n, "headline": self.headline(locale, n["kind"], n["facts"])}
            for n in content.get("notifications", [])
        ]
        context = self._context(locale, name, kind="digest", d={**content, "notifications": listed})
        return self._compose(locale, "digest", context)

    def headline(self, locale: str, kind: str, facts: dict[str, Any]) -> str:
        """The one-line subject of a notification, for the in-app list."""
        locale = locale if locale in LOCALES else LOCALES[0]
        context = self._context(locale, "", kind=kind, f=facts, inapp=True)
        return " ".join(self._render(f"{locale}/subject.txt", context).split())
