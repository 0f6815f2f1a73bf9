"""lockbot: run the bot, and manage doors and access from the terminal."""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, admin, audit, doors, events, groups
from bot.cli_config import config_app
from bot.cli_schedules import schedules_app
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.logs import configure
from bot.models import Door, DoorGroup
from bot.reports import sync_lines

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
groups_app = typer.Typer(
    help="Door groups: several doors locked with one name.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(doors_app, name="doors")
app.add_typer(groups_app, name="groups")
events_app = typer.Typer(
    help="Device news from Seam: which kinds are muted for which doors and groups.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")
app.add_typer(schedules_app, name="schedules")
app.add_typer(events_app, name="events")


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


def operator() -> str:
    """Who the audit trail names for a change made at this terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry and no $USER
        return "cli:unknown"


def admin_change(work: Callable[[AsyncSession, str], Awaitable[T]]) -> T:
    """Run one bot.admin operation as this terminal's operator."""
    actor = operator()
    return with_session(lambda session: work(session, actor))


# -- doors -----------------------------------------------------------------------------------


@doors_app.command("add")
def doors_add(
    name: str,
    device_id: str,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name.")] = None,
) -> None:
    """Add a door: its name in Slack and its Seam device ID."""
    door = admin_change(lambda s, actor: admin.add_door(s, actor, name, device_id, alias or []))
    extra = f" (aliases: {', '.join(alias)})" if alias else ""
    typer.echo(f"✓ added {door.name} → {door.device_id}{extra}")


@doors_app.command("list")
def doors_list() -> None:
    """Every door, its device ID, aliases and channel limit."""

    async def work(session: AsyncSession) -> list[tuple[Door, list[str], list[str]]]:
        rows = await doors.list_doors(session)
        return [(d, a, await doors.door_channels(session, d.id or -1)) for d, a in rows]

    rows = with_session(work)
    if not rows:
        typer.echo('No doors yet. Add one with: lockbot doors add "Front Door" DEVICE_ID')
    for door, aliases, channels in rows:
        extra = f"  (aliases: {', '.join(aliases)})" if aliases else ""
        only = f"  (only from {', '.join(channels)})" if channels else ""
        missing = "  (missing from Seam)" if door.missing_at is not None else ""
        typer.echo(f"{door.name}\t{door.device_id}{extra}{only}{missing}")


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

    async def work(session: AsyncSession, actor: str) -> doors.SyncReport:
        async with seam_backend(
            config.seam_api_key.get_secret_value(),
            config.seam_endpoint,
            timeout_s=config.seam_timeout_s,
        ) as seam:
            locks = await seam.list_locks()
        return await admin.sync(session, actor, locks, dry_run=dry_run)

    try:
        report = admin_change(work)
    except BackendError as error:
        raise fail(f"could not list Seam's locks: {error.message} ({error.code})") from None
    for line in sync_lines(report):
        typer.echo(line)


@doors_app.command("remove")
def doors_remove(name: str) -> None:
    """Remove a door, its aliases and its grants. Its lock history is kept."""
    door = admin_change(lambda s, actor: admin.remove_door(s, actor, name))
    typer.echo(f"✓ removed {door.name}")


@doors_app.command("rename")
def doors_rename(name: str, new_name: str) -> None:
    """Rename a door. `doors sync` keeps this name from now on, whatever Seam calls the lock."""

    async def work(session: AsyncSession, actor: str) -> tuple[str, str]:
        before = await doors.find_door(session, name)
        old = before.name if before else name  # rename_door says so when there is none
        door = await admin.rename_door(session, actor, name, new_name)
        return old, door.name

    old, new = admin_change(work)
    typer.echo(f"✓ renamed {old} → {new}")


@doors_app.command("alias")
def doors_alias(name: str, alias: str) -> None:
    """Give a door another name."""
    door = admin_change(lambda s, actor: admin.add_alias(s, actor, name, alias))
    typer.echo(f"✓ {alias.strip()} now means {door.name}")


@doors_app.command("unalias")
def doors_unalias(alias: str) -> None:
    """Drop an alias."""
    door = admin_change(lambda s, actor: admin.remove_alias(s, actor, alias))
    typer.echo(f"✓ {alias} no longer means {door.name}")


@doors_app.command("channels")
def doors_channels(
    name: str,
    channel: Annotated[
        list[str] | None, typer.Argument(help="Slack channel IDs (C… or G…).", show_default=False)
    ] = None,
    any_channel: Annotated[
        bool, typer.Option("--any", help="Lift the limit: lock from any channel.")
    ] = False,
) -> None:
    """Let a door be locked from Slack only in these channels; with none, show its limit."""
    if channel and any_channel:
        raise fail("give channels or --any, not both")
    if not channel and not any_channel:

        async def show(session: AsyncSession) -> tuple[str, list[str]]:
            door = await doors.existing_door(session, name)
            return door.name, await doors.door_channels(session, door.id or -1)

        door_name, now = with_session(show)
    else:
        wanted = [] if any_channel else (channel or [])
        door, now = admin_change(lambda s, actor: admin.set_channels(s, actor, name, wanted))
        door_name = door.name
    if now:
        typer.echo(f"✓ {door_name} may be locked only from {', '.join(now)}")
    else:
        typer.echo(f"✓ {door_name} may be locked from any channel")


# -- groups ----------------------------------------------------------------------------------


def group_line(view: groups.GroupView) -> str:
    return f"{view.group.name}\t{', '.join(d.name for d in view.doors) or '(no doors)'}"


@groups_app.command("add")
def groups_add(
    name: str,
    door: Annotated[
        list[str] | None, typer.Argument(help="Doors to add.", show_default=False)
    ] = None,
) -> None:
    """Make a group, or add doors to one. `lockbot lock NAME` then locks all its doors."""
    view = admin_change(lambda s, actor: admin.add_group(s, actor, name, door or []))
    typer.echo(f"✓ {group_line(view)}")


@groups_app.command("list")
def groups_list() -> None:
    """Every group and its doors."""
    views = with_session(groups.list_groups)
    if not views:
        typer.echo('No groups yet. Add one with: lockbot groups add "Floor 2" "Front Door"')
    for view in views:
        typer.echo(group_line(view))


@groups_app.command("remove")
def groups_remove(name: str) -> None:
    """Remove a group and the grants that name it. Its doors stay."""
    group = admin_change(lambda s, actor: admin.remove_group(s, actor, name))
    typer.echo(f"✓ removed group {group.name}")


@groups_app.command("remove-doors")
def groups_remove_doors(name: str, door: list[str]) -> None:
    """Take doors out of a group. The doors stay."""
    view = admin_change(lambda s, actor: admin.remove_from_group(s, actor, name, door))
    typer.echo(f"✓ {group_line(view)}")


# -- access ----------------------------------------------------------------------------------

Subject = Annotated[str, typer.Argument(help="Slack user (U…/W…) or user group (S…) ID.")]
Target = Annotated[
    str | None,
    typer.Argument(help="Door, group, or '*' for every door.", show_default=False),
]
AdminFlag = Annotated[bool, typer.Option("--admin", help="Admin rights instead of a door.")]


def grant_target(target: str | None, as_admin: bool) -> str | None:
    """The TARGET for bot.admin: None means admin."""
    if as_admin and target is not None:
        raise fail("give a door, a group or '*', or --admin; not both")
    if not as_admin and target is None:
        raise fail("say what: a door, a group, '*' for every door, or --admin")
    return target


@app.command("grant")
def grant(subject: Subject, target: Target = None, as_admin: AdminFlag = False) -> None:
    """Allow a user or user group to lock a door, a group or every door; or to administer."""
    what = grant_target(target, as_admin)
    added = admin_change(lambda s, actor: admin.grant(s, actor, subject, what))
    if what is None:
        typer.echo(f"✓ {subject} is an admin" + ("" if added else " (already was)"))
    else:
        typer.echo(f"✓ {subject} may lock {what}" + ("" if added else " (already could)"))


@app.command("revoke")
def revoke(subject: Subject, target: Target = None, as_admin: AdminFlag = False) -> None:
    """Take back a grant."""
    what = grant_target(target, as_admin)
    removed = admin_change(lambda s, actor: admin.revoke(s, actor, subject, what))
    if what is None:
        still = subject in settings().admins
        if not removed:
            why = "; LOCKBOT_ADMINS makes them one, and only it can change that" if still else ""
            raise fail(f"{subject} had no admin grant{why}")
        typer.echo(
            f"✓ {subject} is no longer an admin by grant"
            + (" (still one through LOCKBOT_ADMINS)" if still else "")
        )
        return
    if not removed:
        raise fail(f"{subject} had no grant for {what}")
    typer.echo(f"✓ {subject} may no longer lock {what}")


@app.command("grants")
def grants() -> None:
    """Who may lock what (a door, 'NAME (group)' or '*'), and who is an admin."""
    rows = with_session(access.list_grants)
    configured = sorted(settings().admins)
    if not rows and not configured:
        typer.echo('No grants yet. Add one with: lockbot grant U0123ABCD "Front Door"')
    for subject, what in rows:
        typer.echo(f"{subject}\t{what}")
    for subject in configured:
        typer.echo(f"{subject}\t{access.ADMIN_LABEL} (LOCKBOT_ADMINS)")


@app.command("audit")
def audit_log(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many changes.")] = 20,
) -> None:
    """The last changes to doors, groups and access: when, who, what. Newest first."""
    events = with_session(lambda s: audit.recent(s, limit))
    if not events:
        typer.echo("No changes recorded yet.")
    for event in events:
        when = event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        detail = f"\t{event.detail}" if event.detail else ""
        typer.echo(f"{when}\t{event.actor}\t{event.action}\t{event.target}{detail}")


# -- device news (issue #5) ------------------------------------------------------------------

AlertChannel = Annotated[
    str | None,
    typer.Argument(help="Slack channel ID (C… or G…) for its device news.", show_default=False),
]
DefaultFlag = Annotated[
    bool,
    typer.Option("--default", help="Back to the group's channel, else LOCKBOT_ALERT_CHANNEL."),
]


def alerts(name: str, channel: str | None, default: bool, only: Literal["door", "group"]) -> None:
    if channel and default:
        raise fail("give a channel or --default, not both")
    if not channel and not default:

        async def show(session: AsyncSession) -> tuple[str, str | None]:
            target = await events.door_or_group(session, name)
            if not isinstance(target, DoorGroup if only == "group" else Door):
                raise doors.DoorError(f"no {only} is called {name!r}")
            return target.name, target.alert_channel

        shown, now = with_session(show)
        typer.echo(f"{shown}\t{now or 'default'}")
        return
    target = admin_change(
        lambda s, actor: admin.set_alert_channel(s, actor, name, channel, only=only)
    )
    typer.echo(f"✓ {target.name}'s device news goes to {target.alert_channel or 'the default'}")


@doors_app.command("alerts")
def doors_alerts(name: str, channel: AlertChannel = None, default: DefaultFlag = False) -> None:
    """Send a door's device news (offline, battery, unlocked…) to a channel; with none, show."""
    alerts(name, channel, default, "door")


@groups_app.command("alerts")
def groups_alerts(name: str, channel: AlertChannel = None, default: DefaultFlag = False) -> None:
    """Send the device news of a group's doors to a channel (a door's own channel wins)."""
    alerts(name, channel, default, "group")


EventName = Annotated[
    str, typer.Argument(help=f"One of: {', '.join(events.EVENT_TYPES)}.", show_default=False)
]


@events_app.command("mute")
def events_mute(target: str, event: EventName) -> None:
    """Stop one kind of device news for a door or group."""
    found, kind, added = admin_change(lambda s, actor: admin.mute_event(s, actor, target, event))
    typer.echo(f"✓ {kind} muted for {events.label(found)}" + ("" if added else " (already was)"))


@events_app.command("unmute")
def events_unmute(target: str, event: EventName) -> None:
    """Tell that kind of device news again."""
    found, kind, removed = admin_change(
        lambda s, actor: admin.unmute_event(s, actor, target, event)
    )
    if not removed:
        raise fail(f"{kind} was not muted for {events.label(found)}")
    typer.echo(f"✓ {kind} told again for {events.label(found)}")


@events_app.command("mutes")
def events_mutes() -> None:
    """What is muted: door or 'NAME (group)', event type, who muted it."""
    rows = with_session(events.list_mutes)
    if not rows:
        typer.echo('Nothing is muted. Mute with: lockbot events mute "Front Door" lock.unlocked')
    for row in rows:
        typer.echo(f"{row.target}\t{row.event_type}\t{row.created_by}")


@app.command("quiet")
def quiet(
    channel: Annotated[
        str | None, typer.Argument(help="Slack channel ID (C… or G…).", show_default=False)
    ] = None,
    hours: Annotated[
        str | None, typer.Argument(help="Like 22:00-07:00.", show_default=False)
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Time zone (default: LOCKBOT_TIMEZONE).")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="End the channel's quiet hours.")] = False,
) -> None:
    """Quiet hours: a channel then hears only tampering and unexpected unlocks. With no hours,
    show them."""
    if off and (hours or tz):
        raise fail("give hours or --off, not both")
    if off:
        if channel is None:
            raise fail("say which channel: lockbot quiet CHANNEL --off")
        removed = admin_change(lambda s, actor: admin.clear_quiet_hours(s, actor, channel))
        if not removed:
            raise fail(f"{channel} had no quiet hours")
        typer.echo(f"✓ {channel} has no quiet hours now")
        return
    if hours is None:
        rows = with_session(events.list_quiet)
        rows = [r for r in rows if channel is None or r.channel_id == channel]
        if not rows:
            typer.echo("No quiet hours. Set some with: lockbot quiet C0123ABCD 22:00-07:00")
        for row in rows:
            typer.echo(f"{row.channel_id}\t{row.start}-{row.end}\t{row.timezone}")
        return
    assert channel is not None  # typer fills arguments in order
    zone = tz or settings().timezone
    row = admin_change(lambda s, actor: admin.set_quiet_hours(s, actor, channel, hours, zone))
    typer.echo(f"✓ {row.channel_id} is quiet {row.start}-{row.end} ({row.timezone})")


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
