"""`lockbot doors …`: the doors lockbot knows, their Seam device IDs, aliases and channels."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import admin, door_admin, door_sync, names
from bot.cli.common import admin_change, echo_lines, fail, in_session, require_seam, settings
from bot.cli.event_commands import AlertChannel, DefaultFlag, alerts
from bot.models import Door
from bot.reports import sync_lines

doors_app = typer.Typer(
    help="The doors lockbot knows, and their Seam device IDs.", no_args_is_help=True
)


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
        rows = await names.list_doors(session)
        return [(d, a, await door_admin.door_channels(session, d.id or -1)) for d, a in rows]

    echo_lines(
        [door_line(*row) for row in in_session(work)],
        empty='No doors yet. Add one with: lockbot doors add "Front Door" DEVICE_ID',
    )


def door_line(door: Door, aliases: list[str], channels: list[str]) -> str:
    extra = f"  (aliases: {', '.join(aliases)})" if aliases else ""
    only = f"  (only from {', '.join(channels)})" if channels else ""
    missing = "  (missing from Seam)" if door.missing_at is not None else ""
    return f"{door.name}\t{door.device_id}{extra}{only}{missing}"


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

    async def work(session: AsyncSession, actor: str) -> door_sync.SyncReport:
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
        before = await names.find_door(session, name)
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
            door = await names.existing_door(session, name)
            return door.name, await door_admin.door_channels(session, door.id or -1)

        door_name, now = in_session(show)
    else:
        wanted = [] if any_channel else (channel or [])
        door, now = admin_change(lambda s, actor: admin.set_channels(s, actor, name, wanted))
        door_name = door.name
    if now:
        typer.echo(f"✓ {door_name} may be locked only from {', '.join(now)}")
    else:
        typer.echo(f"✓ {door_name} may be locked from any channel")


@doors_app.command("alerts")
def doors_alerts(name: str, channel: AlertChannel = None, default: DefaultFlag = False) -> None:
    """Send a door's device news (offline, battery, unlocked…) to a channel; with none, show."""
    alerts(name, channel, default, "door")
