"""``remtrack definitions``: check, deploy, list and dry-run process models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory
from db.settings import ConfigError, load_settings
from workflows import definitions, instances
from workflows.engine import runner
from workflows.engine.errors import BpmnRefused, EngineError


def _factory() -> Any:
    try:
        settings = load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    return make_session_factory(make_engine(settings.database_url))


def _report_refusal(path: str, refused: BpmnRefused) -> None:
    click.echo(f"{path}: REFUSED", err=True)
    for problem in refused.problems:
        click.echo(f"  - {problem}", err=True)


@click.group("definitions")
def definitions_cli() -> None:
    """Process models: validate, deploy as versions, list, dry-run."""


@definitions_cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Validate FILES without storing anything; exit 1 if any is refused."""
    failed = 0
    for path in files:
        try:
            validated = definitions.check(Path(path).read_bytes())
        except BpmnRefused as refused:
            _report_refusal(path, refused)
            failed += 1
        else:
            click.echo(f"{path}: OK (process {validated.process_id!r})")
    sys.exit(1 if failed else 0)


@definitions_cli.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def deploy(files: tuple[str, ...]) -> None:
    """Deploy FILES as new versions; all or nothing, exit 1 if any is refused."""
    with _factory()() as session:
        results = []
        for path in files:
            try:
                results.append((path, definitions.deploy(session, Path(path).read_bytes())))
            except BpmnRefused as refused:
                _report_refusal(path, refused)
                session.rollback()
                click.echo("Nothing was deployed.", err=True)
                sys.exit(1)
        session.commit()
    for path, done in results:
        d = done.definition
        state = "deployed as" if done.created else "unchanged, still"
        click.echo(f"{path}: {state} {d.key} v{d.version} ({d.checksum[:12]})")


@definitions_cli.command("list")
def list_versions() -> None:
    """Every deployed version with how many instances run on it."""
    with _factory()() as session:
        rows = definitions.list_versions(session)
        click.echo(f"{'key':<16} {'ver':>4}  {'deployed (UTC)':<17} {'running':>7}  checksum")
        for d in rows:
            click.echo(
                f"{d.key:<16} {d.version:>4}  {d.deployed_at:%Y-%m-%d %H:%M} "
                f"{instances.running_on(session, d):>7}  {d.checksum[:12]}"
            )


@definitions_cli.command("run")
@click.argument("key_or_file")
@click.option("--data", "data_json", default="{}", help="Start data as a JSON object.")
def run(key_or_file: str, data_json: str) -> None:
    """Dry run: start KEY_OR_FILE with --data, run the automated steps, print the result.

    Everything happens in a transaction that is rolled back: nothing is kept.
    """
    try:
        data = json.loads(data_json)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise click.ClickException(f"--data must be a JSON object: {exc}") from exc
    with _factory()() as session:
        try:
            _dry_run(session, key_or_file, data)
        finally:
            session.rollback()


def _dry_run(session: Session, key_or_file: str, data: dict[str, Any]) -> None:
    key = key_or_file
    if key_or_file.endswith(".bpmn") or Path(key_or_file).is_file():
        try:
            key = definitions.deploy(session, Path(key_or_file).read_bytes()).definition.key
        except BpmnRefused as refused:
            _report_refusal(key_or_file, refused)
            sys.exit(1)
    try:
        running = instances.start(session, key, ("dry_run", 0), {}, data)
    except EngineError as err:
        raise click.ClickException(f"The process stopped: {err}") from err
    wf = running.workflow
    click.echo(f"Process {key}: {'completed' if runner.is_completed(wf) else 'waiting'}")
    click.echo("Ready user tasks:")
    for task in runner.ready_user_tasks(wf):
        due = f", due {task.due.isoformat()}" if task.due else ""
        click.echo(f"  - {task.spec_name} ({task.title}) for {task.role or 'anyone'}{due}")
    click.echo(f"Next timer: {runner.next_timer_at(wf) or 'none'}")
    click.echo(f"Waiting for messages: {', '.join(runner.waiting_messages(wf)) or 'none'}")
    click.echo(
        "Effects: " + (", ".join(f"{e.operation}{e.params}" for e in running.effects) or "none")
    )
    ready = wf.get_tasks(state=TaskState.READY)
    data_now = ready[0].data if ready else wf.data
    click.echo("Data: " + json.dumps(data_now, default=str, ensure_ascii=False, sort_keys=True))
