"""lockbot: run the bot, and manage doors and access from the terminal."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from bot.cli.access_commands import audit_log, grant, grants, revoke
from bot.cli.common import fail, require_seam, settings
from bot.cli.config_commands import config_app
from bot.cli.demo_command import demo
from bot.cli.door_commands import doors_app
from bot.cli.door_group_commands import groups_app
from bot.cli.event_commands import events_app, quiet
from bot.cli.lock_command import lock
from bot.cli.scheduled_lock_commands import schedules_app
from bot.db import migrate_async

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(doors_app, name="doors")
app.add_typer(groups_app, name="groups")
app.add_typer(config_app, name="config")
app.add_typer(schedules_app, name="schedules")
app.add_typer(events_app, name="events")


@app.command()
def serve(
    http: Annotated[bool, typer.Option("--http", help="Serve POST /slack/events.")] = False,
    port: Annotated[int | None, typer.Option(help="HTTP port (default: $PORT or 3000).")] = None,
) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else (or with --http) HTTP."""
    from bot.runtime import StartupError
    from bot.runtime import serve as run_server

    config = settings()
    require_seam(config)
    if not config.slack_bot_token.get_secret_value():
        raise fail("SLACK_BOT_TOKEN is not set; see the README's configuration table")
    try:  # the bot refuses HTTP mode without SLACK_SIGNING_SECRET (bot.runtime.Bot)
        asyncio.run(
            run_server(config, http=http or not config.socket_mode, port=port or config.port)
        )
    except StartupError as error:
        raise fail(str(error)) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (serve does this on its own)."""
    asyncio.run(migrate_async(settings().database_url))
    typer.echo("✓ database schema is current")


# The top-level commands that live in their own modules, in the order `lockbot --help` lists
# them: between serve and doctor.
app.command("grant")(grant)
app.command("revoke")(revoke)
app.command("grants")(grants)
app.command("audit")(audit_log)
app.command("quiet")(quiet)
app.command("lock")(lock)
app.command("demo")(demo)


@app.command("doctor")
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="The same checks as JSON.")] = False,
    http: Annotated[
        bool, typer.Option("--http", help="Check for `lockbot serve --http` (HTTP mode).")
    ] = False,
) -> None:
    """Check Slack, Seam, the database, the alert channel and the grants; say what to fix.

    The mode is the one `lockbot serve` would take with the same flags: HTTP unless
    SLACK_APP_TOKEN is set, and HTTP with --http."""
    import json

    from pydantic import ValidationError

    from bot.doctor.all_checks import run_checks
    from bot.doctor.checks import all_ok, render, report, settings_check

    try:
        config = settings()
    except ValidationError as error:
        checks = [settings_check(error)]
    else:
        # The report says what went wrong; per-call log lines would only repeat it.
        logging.getLogger().setLevel(logging.ERROR)
        checks = asyncio.run(run_checks(config, http=http))
    if as_json:
        typer.echo(json.dumps(report(checks), ensure_ascii=False, indent=2))
    else:
        for check in checks:
            typer.echo(render(check))
    if not all_ok(checks):
        raise typer.Exit(code=1)


def main() -> None:
    app(prog_name="lockbot")
