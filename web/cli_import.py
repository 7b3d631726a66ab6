"""``remtrack import conclusions FILE --as USERNAME``: the web import, from the command line.

The file is imported as the named supervisor would import it in the browser (same checks,
same reach), in one transaction; any bad row prints every problem and exits 1 with nothing
stored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory
from db.models import User
from db.settings import ConfigError, load_settings
from workflows.conclusion_import import ImportRejected, import_conclusions
from workflows.errors import DomainError
from workflows.import_files import MAX_FILE_BYTES


@click.group("import")
def import_cli() -> None:
    """Import data from files."""


@import_cli.command("conclusions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="User name of the importing supervisor.")
def conclusions(file: Path, username: str) -> None:
    """Import the conclusions and requirements of FILE (.xlsx or .csv); all or nothing."""
    try:
        settings = load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    with file.open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        actor = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        if actor is None or not actor.active:
            raise click.ClickException(f"No active user is named {username!r}.")
        try:
            result = import_conclusions(session, actor, file.name, data)
        except ImportRejected as rejected:
            session.rollback()
            click.echo(f"{file}: {rejected.message}", err=True)
            for error in rejected.errors:
                click.echo(f"  {error.describe()}", err=True)
            sys.exit(1)
        except DomainError as err:
            session.rollback()
            raise click.ClickException(str(err)) from err
        session.commit()
    click.echo(
        f"{file}: imported {len(result.conclusions)} conclusion(s) with "
        f"{result.requirements} requirement(s) (sha256 {result.sha256[:12]})."
    )
    for conclusion in result.conclusions:
        click.echo(f"  {conclusion.number}: {len(conclusion.requirements)} requirement(s)")
