"""The ``remtrack`` command line."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from db.audit import verify_chain
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models import Body
from db.settings import ConfigError, Settings, load_settings
from workflows.accounts import NewUser, create_user
from workflows.errors import DomainError


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from err


@click.group()
def main() -> None:
    """remtrack — track that conclusions are actually remediated."""


@main.command()
@click.option(
    "--demo", is_flag=True, help="Add the demo bodies and users when the database is empty."
)
def init(demo: bool) -> None:
    """Create or upgrade the database schema (and optionally load demo data)."""
    settings = _settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    click.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    _deploy_shipped(engine)
    if demo:
        from workflows.demo import load_demo

        with make_session_factory(engine).begin() as session:
            if session.scalar(select(func.count()).select_from(Body)):
                click.echo("Database already has data; demo data not loaded again.")
                return
            logins = load_demo(session, settings.instance_path)
        _write_demo_logins(settings.instance_path, logins)
        click.echo(
            f"Demo data loaded; logins written to {settings.instance_path / 'demo-logins.txt'}"
        )


def _deploy_shipped(engine: Any) -> None:
    from workflows.definitions import deploy_shipped
    from workflows.engine.errors import BpmnRefused

    try:
        with make_session_factory(engine).begin() as session:
            for done in deploy_shipped(session):
                d = done.definition
                state = "deployed" if done.created else "up to date"
                click.echo(f"Process {d.key}: v{d.version} {state}")
    except BpmnRefused as refused:
        raise click.ClickException(str(refused)) from refused


def _write_demo_logins(instance: Path, logins: list[tuple[str, str, str]]) -> None:
    path = instance / "demo-logins.txt"
    lines = [f"{role:<11} {user:<18} {password}" for role, user, password in logins]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default REMTRACK_HOST).")
@click.option("--port", default=None, type=int, help="Port (default REMTRACK_PORT).")
@click.option("--threads", default=8, show_default=True)
def serve(host: str | None, port: int | None, threads: int) -> None:
    """Serve the web app with waitress, a production WSGI server."""
    from waitress import serve as waitress_serve

    from web.app import create_app

    settings = _settings()
    app = create_app(settings)
    host, port = host or settings.host, port or settings.port
    from web.cli_scheduler import start_in_process

    start_in_process(settings)  # SQLite: the scheduler runs in this process (make run)
    click.echo(f"remtrack is serving on http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads, ident="remtrack")


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--full-name", required=True)
@click.option("--body", "body_code", required=True, help="Code of the user's body.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["officer", "supervisor", "designer", "admin", "observer"]),
)
@click.option("--email", default=None)
@click.option("--locale", default="vi", type=click.Choice(["vi", "en"]))
@click.option("--password", default=None, help="Prompted for when not given.")
def users_create(
    username: str,
    full_name: str,
    body_code: str,
    roles: tuple[str, ...],
    email: str | None,
    locale: str,
    password: str | None,
) -> None:
    """Create a user in an existing body."""
    settings = _settings()
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise click.ClickException("The passwords differ.")
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with factory.begin() as session:
            body = session.scalar(select(Body).where(Body.code == body_code))
            if body is None:
                raise click.ClickException(f"No body has the code {body_code!r}.")
            create_user(
                session,
                NewUser(username.lower(), full_name, body.id, roles, password, email, locale),
            )
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"User {username} created in {body_code}.")


@main.group()
def audit() -> None:
    """Inspect the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check every link of the hash chain; exit 1 at the first broken one."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        checked, broken = verify_chain(session)
    if broken is not None:
        click.echo(
            f"BROKEN at row {broken.seq}: {broken.reason} ({checked} rows before it are intact).",
            err=True,
        )
        sys.exit(1)
    click.echo(f"OK: {checked} audit rows, chain intact.")


@main.group()
def bench() -> None:
    """Measure speed and size against the budgets in DESIGN.md."""


@bench.command("engine", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_engine(args: tuple[str, ...]) -> None:
    """Deploy, start, verbs vs the raw engine cycle, stored bytes (SQLite and PostgreSQL).

    Options are those of ``python -m workflows.bench --help``.
    """
    from workflows.bench import main as run_bench

    sys.exit(run_bench(list(args)))


def _register() -> None:
    from web.cli_definitions import definitions_cli
    from web.cli_import import import_cli
    from web.cli_monitor import register_monitor
    from web.cli_scheduler import scheduler_command

    main.add_command(definitions_cli)
    register_monitor(main, bench)
    main.add_command(scheduler_command)
    main.add_command(import_cli)


_register()
