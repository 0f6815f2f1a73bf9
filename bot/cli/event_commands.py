"""`lockbot events …` and `lockbot quiet` (issue #5): which device news is told, where, and
when a channel hears less. Also the `alerts` commands that `doors` and `groups` share.

`quiet` is a top-level command: bot.cli.root registers it on its root app.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import admin, events
from bot.cli.common import admin_change, echo_lines, fail, in_session, settings
from bot.models import Door, DoorGroup

events_app = typer.Typer(
    help="Device news from Seam: which kinds are muted for which doors and groups.",
    no_args_is_help=True,
)


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
                raise fail(f"no {only} is called {name!r}")
            return target.name, target.alert_channel

        shown, now = in_session(show)
        typer.echo(f"{shown}\t{now or 'default'}")
        return
    target = admin_change(
        lambda s, actor: admin.set_alert_channel(s, actor, name, channel, only=only)
    )
    typer.echo(f"✓ {target.name}'s device news goes to {target.alert_channel or 'the default'}")


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
    rows = in_session(events.list_mutes)
    echo_lines(
        [f"{row.target}\t{row.event_type}\t{row.created_by}" for row in rows],
        empty='Nothing is muted. Mute with: lockbot events mute "Front Door" lock.unlocked',
    )


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
        rows = in_session(events.list_quiet)
        echo_lines(
            [
                f"{row.channel_id}\t{row.start}-{row.end}\t{row.timezone}"
                for row in rows
                if channel is None or row.channel_id == channel
            ],
            empty="No quiet hours. Set some with: lockbot quiet C0123ABCD 22:00-07:00",
        )
        return
    assert channel is not None  # typer fills arguments in order
    zone = tz or settings().timezone
    row = admin_change(lambda s, actor: admin.set_quiet_hours(s, actor, channel, hours, zone))
    typer.echo(f"✓ {row.channel_id} is quiet {row.start}-{row.end} ({row.timezone})")
