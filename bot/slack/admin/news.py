"""`/lock admin` for device news (issue #5): mutes, alert channels and quiet hours."""

from __future__ import annotations

from bot import admin, events
from bot.models import Door, DoorGroup, QuietHours
from bot.slack.admin.parsing import InputError, channel_id
from bot.slack.admin.subcommands import Context, sub
from bot.slack.admin.wording import PREFIX, bold, fit
from bot.text import escape

_MUTE_HINT = f'`{PREFIX} mute "Front Door" device.disconnected`'


def _news_of(target: Door | DoorGroup) -> str:
    if isinstance(target, DoorGroup):
        return f"the {bold(target.name)} group's doors"
    return bold(target.name)


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
    async with ctx.service.db.writing() as session:
        target, kind, added = await admin.mute_event(session, ctx.actor, args[0], args[1])
    if not added:
        return f"👌 `{kind}` was already muted for {_news_of(target)}."
    return f"🔇 No more `{kind}` news from {_news_of(target)}."


@sub(
    "unmute",
    'unmute "Floor 2" lock.unlocked',
    "tell that news again",
    "Device news",
    min_args=2,
    max_args=2,
)
async def _unmute(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.writing() as session:
        target, kind, removed = await admin.unmute_event(session, ctx.actor, args[0], args[1])
    if not removed:
        return f"⚠️ `{kind}` was not muted for {_news_of(target)}, so nothing changed."
    return f"🔔 `{kind}` news from {_news_of(target)} is told again."


@sub("mutes", "mutes", "which device news is muted, for which doors and groups", "Device news")
async def _mutes(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.session() as session:
        rows = await events.list_mutes(session)
    if not rows:
        return f"🔔 Nothing is muted. Mute news with {_MUTE_HINT}."
    held: dict[str, list[str]] = {}
    for row in rows:
        held.setdefault(row.target, []).append(f"`{row.event_type}`")
    lines = []
    for target, kinds in held.items():
        group = target.removesuffix(" (group)")
        name = f"{bold(group)} (group)" if group != target else bold(target)
        lines.append(f"• {name}: {', '.join(kinds)}")
    return fit("🔇 *Muted device news*", lines, "`lockbot events mutes` shows them all.")


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
        async with ctx.service.db.session() as session:
            target = await events.door_or_group(session, args[0])
            routed = [] if isinstance(target, DoorGroup) or target.id is None else [
                g for g in await events.groups_of(session, target.id) if g.alert_channel
            ]
        if target.alert_channel is None and routed:
            group = routed[0]
            return (
                f"📣 News from {_news_of(target)} goes to <#{escape(group.alert_channel or '')}>, "
                f"the {bold(group.name)} group's channel."
            )
        if target.alert_channel is None:
            return f"📣 News from {_news_of(target)} goes to the default alert channel."
        return f"📣 News from {_news_of(target)} goes to <#{escape(target.alert_channel)}>."
    name, where = args
    wanted = None if where.casefold() == "default" else channel_id(where)
    async with ctx.service.db.writing() as session:
        target = await admin.set_alert_channel(session, ctx.actor, name, wanted)
    if wanted is None:
        return f"📣 News from {_news_of(target)} goes to the default alert channel again."
    return f"📣 News from {_news_of(target)} now goes to <#{escape(wanted)}>."


def _quiet_line(row: QuietHours) -> str:
    return f"<#{escape(row.channel_id)}> is quiet {row.start}–{row.end} ({escape(row.timezone)})"


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
        async with ctx.service.db.session() as session:
            rows = await events.list_quiet(session)
        if not rows:
            example = f"`{PREFIX} quiet #alerts 22:00-07:00`"
            return f"🔔 No channel has quiet hours. Set some with {example}."
        return fit("🌙 *Quiet hours*", [f"• {_quiet_line(r)}" for r in rows], "")
    where = channel_id(args[0])
    if len(args) == 1:
        async with ctx.service.db.session() as session:
            row = await session.get(QuietHours, where)
        if row is None:
            return f"🔔 <#{escape(where)}> has no quiet hours."
        return f"🌙 {_quiet_line(row)}."
    if args[1].casefold() == "off":
        if len(args) > 2:
            raise InputError(f"`off` takes nothing after it, like `{PREFIX} quiet #alerts off`.")
        async with ctx.service.db.writing() as session:
            removed = await admin.clear_quiet_hours(session, ctx.actor, where)
        if not removed:
            return f"⚠️ <#{escape(where)}> had no quiet hours, so nothing changed."
        return f"🔔 <#{escape(where)}> has no quiet hours now: all device news is posted."
    timezone = args[2] if len(args) == 3 else ctx.default_timezone
    async with ctx.service.db.writing() as session:
        row = await admin.set_quiet_hours(session, ctx.actor, where, args[1], timezone)
    return f"🌙 {_quiet_line(row)}: only tampering and unexpected unlocks are posted then."
