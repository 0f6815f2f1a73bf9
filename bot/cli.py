"""lockbot: run the bot, and manage doors and access from the terminal."""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, doors
from bot.cli_config import config_app
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.logs import configure

if TYPE_CHECKING:
    from bot.console import ConsoleNotifier
    from bot.locking import GroupSubmission, LockService
    from bot.models import LockRequest

T = TypeVar("T")

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
doors_app = typer.Typer(
    help="The doors lockbot knows, and their Seam device IDs.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(doors_app, name="doors")
app.add_typer(config_app, name="config")


def settings() -> Settings:
    loaded = Settings()
    configure(loaded.secrets(), fmt=loaded.log_format)
    return loaded


def fail(message: str) -> typer.Exit:
    typer.secho(f"✗ {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def require_seam(config: Settings) -> None:
    if not config.seam_api_key.get_secret_value():
        raise fail("SEAM_API_KEY is not set; see the README's configuration table")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate if needed, then run `work` in one session. Domain errors become exit code 1."""

    async def main() -> T:
        url = settings().database_url
        await migrate_async(url)
        db = Database(url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.close()

    try:
        return run(main())
    except (doors.DoorError, access.AccessError) as error:
        raise fail(str(error)) from None


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
    if not config.socket_mode and not config.slack_signing_secret.get_secret_value():
        raise fail("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
    try:
        run(run_server(config, http=http or not config.socket_mode, port=port or config.port))
    except StartupError as error:
        raise fail(str(error)) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (serve does this on its own)."""
    run(migrate_async(settings().database_url))
    typer.echo("✓ database schema is current")


@doors_app.command("add")
def doors_add(
    name: str,
    device_id: str,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name.")] = None,
) -> None:
    """Add a door: its name in Slack and its Seam device ID."""
    door = with_session(lambda s: doors.add_door(s, name, device_id, alias or []))
    extra = f" (aliases: {', '.join(alias)})" if alias else ""
    typer.echo(f"✓ added {door.name} → {door.device_id}{extra}")


@doors_app.command("list")
def doors_list() -> None:
    """Every door, its device ID and aliases."""
    rows = with_session(doors.list_doors)
    if not rows:
        typer.echo('No doors yet. Add one with: lockbot doors add "Front Door" DEVICE_ID')
    for door, aliases in rows:
        extra = f"  (aliases: {', '.join(aliases)})" if aliases else ""
        missing = "  (missing from Seam)" if door.missing_at is not None else ""
        typer.echo(f"{door.name}\t{door.device_id}{extra}{missing}")


@doors_app.command("sync")
def doors_sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Import every lock from Seam: add new ones, follow renames, mark vanished ones missing."""
    from bot.ports import BackendError
    from bot.seam import seam_backend

    config = settings()
    require_seam(config)

    async def work(session: AsyncSession) -> doors.SyncReport:
        async with seam_backend(
            config.seam_api_key.get_secret_value(),
            config.seam_endpoint,
            timeout_s=config.seam_timeout_s,
        ) as seam:
            locks = await seam.list_locks()
        return await doors.sync_doors(session, locks, dry_run=dry_run)

    try:
        report = with_session(work)
    except BackendError as error:
        raise fail(f"could not list Seam's locks: {error.message} ({error.code})") from None
    for line in sync_lines(report):
        typer.echo(line)


def sync_lines(report: doors.SyncReport) -> list[str]:
    """One line per change, then a summary."""
    out = [f"+ {d.name} ({d.device_id})" for d in report.added]
    out += [f"~ {r.old} → {r.new} ({r.device_id}): renamed in Seam" for r in report.renamed]
    out += [
        f'= {d.name} ({d.device_id}): Seam calls it "{d.seam_name}", which another door or '
        "alias already has"
        for d in report.duplicates
    ]
    out += [f"↺ {d.name} ({d.device_id}) is back in Seam" for d in report.returned]
    out += [
        f"! {d.name} ({d.device_id}) is missing from Seam; locking it is refused until it returns"
        for d in report.missing
    ]
    out += [
        f'· {k.name} ({k.device_id}) keeps its name; Seam now calls it "{k.seam_name}"'
        for k in report.kept
    ]
    counts = (
        f"{len(report.added)} added, {len(report.renamed)} renamed, "
        f"{len(report.missing)} missing, {len(report.returned)} back"
    )
    if report.duplicates:
        n = len(report.duplicates)
        counts += f", {n} duplicate name{'' if n == 1 else 's'} made unique"
    locks = f"Seam lists {report.locks} lock{'' if report.locks == 1 else 's'}"
    if report.dry_run:
        out.append(f"✓ dry run, nothing written. {locks}: {counts}")
    elif report.changed:
        out.append(f"✓ {locks}: {counts}")
    else:
        out.append(f"✓ {locks}; the doors already match")
    if report.still_missing:
        names = ", ".join(f"{d.name} ({d.device_id})" for d in report.still_missing)
        out.append(f"  still missing from Seam: {names}")
    if report.added and not report.dry_run:
        out.append('  new doors have no grants yet: lockbot grant SUBJECT "DOOR"')
    return out


@doors_app.command("remove")
def doors_remove(name: str) -> None:
    """Remove a door, its aliases and its grants. Its lock history is kept."""
    door = with_session(lambda s: doors.remove_door(s, name))
    typer.echo(f"✓ removed {door.name}")


@app.command("grant")
def grant(
    subject: Annotated[str, typer.Argument(help="Slack user (U…/W…) or user group (S…) ID.")],
    door: Annotated[str, typer.Argument(help="Door name, or '*' for every door.")],
) -> None:
    """Allow a user or user group to lock a door."""
    added = with_session(lambda s: access.grant(s, subject, door))
    typer.echo(f"✓ {subject} may lock {door}" + ("" if added else " (already could)"))


@app.command("revoke")
def revoke(subject: str, door: str) -> None:
    """Take back a grant."""
    removed = with_session(lambda s: access.revoke(s, subject, door))
    if not removed:
        raise fail(f"{subject} had no grant for {door}")
    typer.echo(f"✓ {subject} may no longer lock {door}")


@app.command("grants")
def grants() -> None:
    """Who may lock what."""
    rows = with_session(access.list_grants)
    if not rows:
        typer.echo('No grants yet. Add one with: lockbot grant U0123ABCD "Front Door"')
    for subject, door in rows:
        typer.echo(f"{subject}\t{door}")


async def wait_until_final(service: LockService, request_id: int) -> LockRequest:
    """Poll the row until it ends: its deadline, plus the sweeper's grace, bounds the wait."""
    while True:
        row = await service.load(request_id)
        assert row is not None
        if row.status.final:
            return row
        await asyncio.sleep(0.5)


async def lock_group(
    service: LockService, notifier: ConsoleNotifier, submission: GroupSubmission
) -> bool:
    from bot.models import LockStatus

    batch = submission.batch
    if not submission.accepted:
        why = "it has no doors" if batch.error_type == "empty_group" else batch.error_type
        typer.echo(f"✗ {batch.group_name} was not locked: {why}", err=True)
        return False
    assert batch.id is not None
    notifier.watch(batch_id=batch.id)
    await service.start_group(batch.id)
    await notifier.done.wait()
    return notifier.batch is not None and notifier.batch.status is LockStatus.LOCKED


@app.command("lock")
def lock(door: str) -> None:
    """Lock a door or a group from the terminal, through the same path as /lock."""
    from bot.console import ConsoleNotifier, NoGroups
    from bot.locking import GroupSubmission, Requester
    from bot.models import LockStatus
    from bot.runtime import Runtime

    config = settings()
    require_seam(config)
    operator = f"cli:{getpass.getuser()}"
    config = config.model_copy(update={"admins": config.admins | {operator}})

    async def main() -> bool:
        await migrate_async(config.database_url)
        notifier = ConsoleNotifier()
        runtime = Runtime.build(config, notifier, NoGroups())
        try:
            # Only the scheduler: pending requests belong to the running bot, not to this command.
            runtime.scheduler.start()
            submission = await runtime.service.submit(Requester(operator, source="cli"), door)
            if isinstance(submission, GroupSubmission):
                return await lock_group(runtime.service, notifier, submission)
            request = submission.request
            if request.error_type == "door_missing":
                typer.echo(
                    f"✗ {request.door_name} is missing from Seam: its lock ({request.device_id}) "
                    "was not in Seam's list at the last sync, so it was not locked. Check the "
                    "lock in the Seam console (https://console.seam.co/), then run "
                    "`lockbot doors sync`.",
                    err=True,
                )
                return False
            if submission.joined is not None:
                # The running bot is locking this door already; wait for that outcome.
                typer.echo(
                    f"⏳ {request.door_name} is already being locked (asked by "
                    f"{submission.joined.user_id}); waiting for that outcome…"
                )
                assert request.id is not None
                notifier.watch(request.id)
                final = await wait_until_final(runtime.service, request.id)
                await notifier.finished(final)
                return final.status is LockStatus.LOCKED
            if request.error_type == "rate_limited":
                typer.echo("✗ too many lock commands in the last minute; try again soon", err=True)
                return False
            if not submission.accepted:
                hint = ", ".join(submission.suggestions)
                typer.echo(
                    f"✗ no door is called {door!r}" + (f"; did you mean {hint}?" if hint else ""),
                    err=True,
                )
                return False
            assert request.id is not None
            notifier.watch(request.id)
            await runtime.service.start(request.id)
            await notifier.done.wait()
            return notifier.outcome is not None and notifier.outcome.status is LockStatus.LOCKED
        finally:
            await runtime.close()

    if not run(main()):
        raise typer.Exit(code=1)


@app.command("doctor")
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="The same checks as JSON.")] = False,
) -> None:
    """Check Slack, Seam, the database, the alert channel and the grants; say what to fix."""
    import json

    from pydantic import ValidationError

    from bot.doctor import all_ok, render, report, run_checks, settings_check

    try:
        config = settings()
    except ValidationError as error:
        checks = [settings_check(error)]
    else:
        # The report says what went wrong; per-call log lines would only repeat it.
        logging.getLogger().setLevel(logging.ERROR)
        checks = run(run_checks(config))
    if as_json:
        typer.echo(json.dumps(report(checks), ensure_ascii=False, indent=2))
    else:
        for check in checks:
            typer.echo(render(check))
    if not all_ok(checks):
        raise typer.Exit(code=1)


def main() -> None:
    app(prog_name="lockbot")
