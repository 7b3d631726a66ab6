"""One typed settings object for every layer, read from ``REMTRACK_*`` environment variables.

It lives in ``db`` because that is the lowest layer: every other package may import it and it
imports nothing of ours.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
LOCALES = ("vi", "en")


class ConfigError(Exception):
    """Raised at start-up when settings are invalid; lists every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Settings:
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    secret_key: str = ""
    default_locale: str = "vi"
    session_cookie_secure: bool = False
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_ip_max_failures: int = 30
    max_upload_mb: int = 20
    host: str = "127.0.0.1"
    port: int = 5000
    # Notifications (notifier/). No SMTP host: email is written to <instance>/mail/*.eml.
    base_url: str = "http://127.0.0.1:5000"
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the usual port of smtp_security (25, 587 or 465)
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "remtrack <remtrack@localhost>"
    smtp_timeout: int = 30
    smtp_ca_file: str = ""  # a private CA bundle to trust for STARTTLS/SSL
    webhook_allowed_hosts: str = ""  # comma-separated host names; "*.example.vn" allowed
    webhook_timeout: int = 10
    outbox_max_attempts: int = 8

    @property
    def dialect(self) -> str:
        return make_url(self.database_url).get_backend_name()


_ENV_PREFIX = "REMTRACK_"


def _convert(name: str, raw: str, kind: type, problems: list[str]) -> object:
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        problems.append(f"{_ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
        return None
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            problems.append(f"{_ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}")
            return None
    if kind is Path:
        return Path(raw).resolve()
    return raw


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from defaults, then the environment, then ``overrides``; validate all.

    :raises ConfigError: listing every invalid value, so an operator fixes them in one go.
    """
    env = dict(os.environ if env is None else env)
    problems: list[str] = []
    values: dict[str, object] = {}
    kinds = {"instance_path": Path, "session_cookie_secure": bool}
    for f in fields(Settings):
        raw = env.get(_ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            kind = kinds.get(f.name, int if isinstance(f.default, int) else str)
            values[f.name] = _convert(f.name, raw, kind, problems)
    values.update(overrides)
    if problems:
        raise ConfigError(problems)
    settings = Settings(**values)  # type: ignore[arg-type]
    if not settings.database_url:
        url = f"sqlite:///{settings.instance_path / 'remtrack.db'}"
        settings = replace(settings, database_url=url)
    _validate(settings, problems)
    if problems:
        raise ConfigError(problems)
    return settings


def _validate(s: Settings, problems: list[str]) -> None:
    try:
        url = make_url(s.database_url)
        if url.get_backend_name() not in SUPPORTED_DIALECTS:
            problems.append(
                f"REMTRACK_DATABASE_URL uses {url.get_backend_name()!r}; "
                "use sqlite:///path/to/file.db or postgresql://user@host/dbname"
            )
        elif url.get_backend_name() == "postgresql" and not url.database:
            problems.append(
                "REMTRACK_DATABASE_URL names no database: postgresql://user@host/dbname"
            )
    except (ArgumentError, ValueError):
        problems.append(
            f"REMTRACK_DATABASE_URL is not a database URL: {s.database_url!r}; "
            "use sqlite:///path/to/file.db or postgresql://user@host/dbname"
        )
    if s.default_locale not in LOCALES:
        problems.append(f"REMTRACK_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
    if not 1 <= s.port <= 65535:
        problems.append("REMTRACK_PORT must be between 1 and 65535")
    for name in (
        "login_max_failures",
        "login_lockout_minutes",
        "login_ip_max_failures",
        "max_upload_mb",
    ):
        if getattr(s, name) < 1:
            problems.append(f"{_ENV_PREFIX}{name.upper()} must be at least 1")
    if s.secret_key and len(s.secret_key) < 32:
        problems.append("REMTRACK_SECRET_KEY must be at least 32 characters long")
    _validate_notifier(s, problems)


SMTP_SECURITY_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _validate_notifier(s: Settings, problems: list[str]) -> None:
    """SMTP, webhook and link settings (see ``notifier``)."""
    base = urlsplit(s.base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        problems.append(
            "REMTRACK_BASE_URL must be an http(s) address, e.g. https://remtrack.example.vn"
        )
    if s.smtp_security not in SMTP_SECURITY_PORTS:
        problems.append("REMTRACK_SMTP_SECURITY must be one of none, starttls, ssl")
    if not 0 <= s.smtp_port <= 65535:
        problems.append("REMTRACK_SMTP_PORT must be between 1 and 65535 (0: the usual port)")
    if "@" not in parseaddr(s.smtp_from)[1]:
        problems.append("REMTRACK_SMTP_FROM must be an address, e.g. remtrack <noreply@example.vn>")
    if s.smtp_username and s.smtp_security == "none" and s.smtp_host not in _LOOPBACK:
        problems.append(
            "REMTRACK_SMTP_USERNAME needs REMTRACK_SMTP_SECURITY starttls or ssl "
            "(the password would cross the network in clear)"
        )
    if s.smtp_ca_file and not Path(s.smtp_ca_file).is_file():
        problems.append(f"REMTRACK_SMTP_CA_FILE names no file: {s.smtp_ca_file}")
    for name in ("smtp_timeout", "webhook_timeout", "outbox_max_attempts"):
        if getattr(s, name) < 1:
            problems.append(f"{_ENV_PREFIX}{name.upper()} must be at least 1")


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key, generating one into the instance folder on first run.

    The key is kept in a file readable only by its owner so restarts keep sessions valid and
    no secret ever needs to live in the repository.
    """
    if settings.secret_key:
        return settings
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    key_file = settings.instance_path / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return replace(settings, secret_key=key_file.read_text().strip())
