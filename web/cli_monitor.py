"""``remtrack monitor run`` (one pass, printed) and ``remtrack bench monitor``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from db.engine import make_engine, make_session_factory
from db.settings import ConfigError, load_settings


@click.group("monitor")
def monitor_cli() -> None:
    """The monitor of slow and formal remediation."""


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter(
            "give an ISO date or time, e.g. 2027-03-01T09:00+07:00", param_hint="--now"
        ) from err
    # A bare date or time without a zone is read in Vietnam's time, as users mean it.
    from workflows.conclusions import VIETNAM

    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


@monitor_cli.command("run")
@click.option("--now", "now_text", default=None, help="Evaluate as of this ISO time.")
@click.option("--full", is_flag=True, help="Look at every requirement, not only changes.")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable).")
@click.option(
    "--silent", is_flag=True, help="Open flags without notifying (first pass over old data)."
)
def monitor_run(now_text: str | None, full: bool, rules: tuple[str, ...], silent: bool) -> None:
    """Run one monitor pass and print what it opened and resolved."""
    from workflows.monitor import run_pass

    try:
        settings = load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    factory = make_session_factory(make_engine(settings.database_url))
    result = run_pass(factory, _parse_now(now_text), full=full, only=rules, notify=not silent)
    click.echo(f"Monitor pass at {result.now.isoformat(timespec='seconds')}")
    if result.signed:
        click.echo(f"  report signatures computed: {result.signed}")
    for rule_id in sorted(set(result.opened) | set(result.resolved)):
        opened, resolved = result.opened.get(rule_id, 0), result.resolved.get(rule_id, 0)
        if opened or resolved:
            scope = "full" if rule_id in result.full else "changes"
            click.echo(f"  {rule_id:<22} opened {opened:>6}  resolved {resolved:>6}  ({scope})")
    for rule_id, requirement_id in result.new_flags[:50]:
        click.echo(f"  + {rule_id} on requirement #{requirement_id}")
    if result.skipped:
        click.echo(f"  skipped (another process holds them): {', '.join(result.skipped)}")
    click.echo(f"Opened {result.total_opened}, resolved {result.total_resolved}.")


@click.command("monitor", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_monitor_command(args: tuple[str, ...]) -> None:
    """1,000,000 requirements on a throwaway PostgreSQL: full and incremental passes.

    Options are those of ``python -m workflows.bench_monitor --help``.
    """
    from workflows.bench_monitor import main as run_bench

    sys.exit(run_bench(list(args)))


def register_monitor(main: click.Group, bench: click.Group) -> None:
    main.add_command(monitor_cli)
    bench.add_command(bench_monitor_command)
