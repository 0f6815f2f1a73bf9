"""`/lock admin` for device news (issue #5): mutes, alert channels and quiet hours."""

from __future__ import annotations

from bot import admin, events
from bot.models import DoorGroup, QuietHours
from bot.slack.admin.parsing import InputError, channel_id
from bot.slack.admin.subcommands import Context, listing, sub
from bot.slack.words import admin_news as words
from bot.slack.words.admin import quiet_off_arguments


@sub(
    "mute",
    'mute "Front Door" device.disconnected',
    "stop one kind of device news for a door or group: "
    + ", ".join(f"`{kind}`" for kind in events.EVENT_TYPES),
    "Device news",
    min_args=2,
    max_args=2,
)
async def _mute(ctx: Context, args: list[str]) -> str:
    target, kind, added = await ctx.change(admin.mute_event, args[0], args[1])
    return words.muted(target, kind, added)


@sub(
    "unmute",
    'unmute "Floor 2" lock.unlocked',
    "tell that news again",
    "Device news",
    min_args=2,
    max_args=2,
)
async def _unmute(ctx: Context, args: list[str]) -> str:
    target, kind, removed = await ctx.change(admin.unmute_event, args[0], args[1])
    return words.unmuted(target, kind, removed)


listing(
    "mutes",
    "which device news is muted, for which doors and groups",
    "Device news",
    events.list_mutes,
    words.mutes,
)


@sub(
    "alerts",
    'alerts "Front Door" #security',
    "where a door's or group's device news goes (`default`: its group's channel, else the "
    "bot's alert channel; none shows it)",
    "Device news",
    min_args=1,
    max_args=2,
)
async def _alerts(ctx: Context, args: list[str]) -> str:
    if len(args) == 1:
        async with ctx.db.session() as session:
            target = await events.door_or_group(session, args[0])
            routed = (
                []
                if isinstance(target, DoorGroup) or target.id is None
                else [g for g in await events.groups_of(session, target.id) if g.alert_channel]
            )
        return words.news_goes(target, routed[0] if routed else None)
    name, where = args
    wanted = None if where.casefold() == "default" else channel_id(where)
    target = await ctx.change(admin.set_alert_channel, name, wanted)
    return words.news_moved(target, wanted)


@sub(
    "quiet",
    "quiet #alerts 22:00-07:00 Europe/Berlin",
    "quiet hours for a channel: only tampering and unexpected unlocks are posted then "
    "(`off` ends them; none lists them)",
    "Device news",
    min_args=0,
    max_args=3,
)
async def _quiet(ctx: Context, args: list[str]) -> str:
    if not args:
        rows = await ctx.read(events.list_quiet)
        return words.quiet_hours(rows)
    where = channel_id(args[0])
    if len(args) == 1:
        async with ctx.db.session() as session:
            row = await session.get(QuietHours, where)
        return words.quiet_of(where, row)
    if args[1].casefold() == "off":
        if len(args) > 2:
            raise InputError(quiet_off_arguments())
        removed = await ctx.change(admin.clear_quiet_hours, where)
        return words.quiet_ended(where, removed)
    timezone = args[2] if len(args) == 3 else ctx.default_timezone
    row = await ctx.change(admin.set_quiet_hours, where, args[1], timezone)
    return words.quiet_set(row)
