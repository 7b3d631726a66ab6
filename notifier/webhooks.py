"""Webhooks per body: where they may point, how calls are signed, how they are sent.

A call is a JSON POST with these headers:

- ``X-Remtrack-Event``: the event (``requirement.submitted``, …);
- ``X-Remtrack-Delivery``: the delivery id, equal to the body's ``id`` and the same on every
  retry — a receiver deduplicates on it;
- ``X-Remtrack-Timestamp``: seconds since the epoch when this attempt was signed;
- ``X-Remtrack-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the webhook's secret,
  of ``<timestamp>.<raw body>`` (the timestamp is signed so an old call cannot be replayed).

A webhook may only point at http(s) URLs on the hosts the administrator allowed
(``REMTRACK_WEBHOOK_ALLOWED_HOSTS``): the check runs when it is configured and again before
every call, so narrowing the setting stops calls at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from notifier.mail import SENT, Outcome

#: Answers that say "try later" although they are 4xx.
_TRANSIENT_4XX = frozenset({408, 425, 429})


class WebhookRefused(ValueError):
    """A webhook configuration that must not be saved; the message says what to fix."""

    def __init__(self, message: Any, field: str = "url") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def allowed_hosts(setting: str) -> list[str]:
    return [h.strip().lower() for h in setting.split(",") if h.strip()]


def _host_allowed(host: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def check_url(url: str, allowed_setting: str) -> str:
    """The URL, stripped, if a webhook may call it; else :class:`WebhookRefused`."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — raises ValueError on a malformed port
    except ValueError as exc:
        raise WebhookRefused(_l("This is not a valid web address.")) from exc
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookRefused(
            _l("A webhook address must start with http:// or https:// and name a host.")
        )
    if parts.username or parts.password:
        raise WebhookRefused(_l("Do not put a user name or password in the address."))
    allowed = allowed_hosts(allowed_setting)
    if not allowed:
        raise WebhookRefused(
            _l(
                "No webhook host is allowed on this server. The administrator of the server "
                "must list the allowed hosts in REMTRACK_WEBHOOK_ALLOWED_HOSTS."
            )
        )
    if not _host_allowed(host, allowed):
        raise WebhookRefused(
            _l(
                "The host %(host)s is not among the hosts allowed for webhooks (%(allowed)s).",
                host=host,
                allowed=", ".join(allowed),
            )
        )
    return url


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead outside the allowed hosts: answer it as the final word."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, payload: dict[str, Any], timestamp: str, timeout: int) -> Outcome:
    """One signed call; a 2xx answer is success, other 4xx answers are final."""
    body = encode(payload)
    request = urllib.request.Request(  # noqa: S310 — the scheme was checked by check_url
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "remtrack-webhook/1",
            "X-Remtrack-Event": str(payload.get("event", "")),
            "X-Remtrack-Delivery": str(payload.get("id", "")),
            "X-Remtrack-Timestamp": timestamp,
            "X-Remtrack-Signature": signature(secret, timestamp, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code} {exc.reason}"
        if 300 <= exc.code < 400:
            return Outcome("dead", detail + " (redirects are not followed; give the final URL)")
        final = 400 <= exc.code < 500 and exc.code not in _TRANSIENT_4XX
        return Outcome("dead" if final else "retry", detail)
    except (urllib.error.URLError, OSError) as exc:
        return Outcome("retry", f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")
    return SENT
