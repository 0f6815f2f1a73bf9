"""`/lock admin …`: the terminal's admin operations, from Slack, for admins only.

Every change goes through `bot.admin`, the functions `lockbot` calls too, with the Slack user
as the actor: the two cannot drift apart, and the audit trail says who did what.

    /lock admin help
    /lock admin doors | add-door NAME DEVICE_ID [ALIAS…] | rename NAME NEW | alias NAME ALIAS
                      | unalias ALIAS | remove-door NAME | channels NAME [#CHANNEL…|any]
    /lock admin groups | add-group NAME [DOOR…] | ungroup NAME DOOR… | remove-group NAME
    /lock admin grant|revoke @someone|@team DOOR|GROUP|*|admin
    /lock admin grants | sync [--dry-run] | audit [N]
    /lock admin mute|unmute DOOR|GROUP EVENT | mutes | alerts DOOR|GROUP [#CHANNEL|default]
                | quiet [#CHANNEL [HH:MM-HH:MM [ZONE]|off]]
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, admin, audit, doors, events, groups
from bot.locking import LockService
from bot.models import Door, DoorChannel, DoorGroup, Grant, Permission, QuietHours
from bot.ports import BackendError, DeviceReader
from bot.reports import sync_lines
from bot.slack.messages import escape

log = logging.getLogger(__name__)

# Slack folds long messages behind "Show more" and a section block holds 3,000 characters;
# an answer that fits on a screen is one that gets read.
MAX_CHARS = 3000
LINE_MAX = 400
NAMES_SHOWN = 10
AUDIT_DEFAULT = 10
AUDIT_MAX = 50
PREFIX = "/lock admin"
SLACK_GRANT_HINT = f'{PREFIX} grant @someone "DOOR"'

# The terminal's hints inside domain errors, as an admin in Slack would type them.
_HINTS = {
    "`lockbot doors list`": f"`{PREFIX} doors`",
    "`lockbot groups list`": f"`{PREFIX} groups`",
    "`lockbot doors sync`": f"`{PREFIX} sync`",
}

# Mentions, channels and links Slack made of what was typed. The text arrives with Slack's
# `&lt;`/`&gt;`/`&amp;` already undone (bot.slack.commands.clean), so a typed `<Lab>` is text.
_ENTITY = re.compile(r"<([@#!][^<>]*|(?:https?|mailto):[^<>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_SUBTEAM = re.compile(r"<!subteam\^(S[A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)>")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


class InputError(ValueError):
    """What the admin typed cannot be done as typed; the message says how to put it."""


# -- reading what Slack sends ------------------------------------------------------------------


def _canonical(match: re.Match[str]) -> str:
    ref, _, label = match.group(1).partition("|")
    if ref[:1] in ("@", "#", "!"):
        # The label is display text that may hold spaces or quotes; the ID is what counts.
        return f"<{ref}>"
    # A link Slack made of something typed (a door called example.com): take what was typed.
    return label or ref


def split(args: str) -> list[str]:
    """Words of `args`, quotes grouping names with spaces; mentions keep only their IDs."""
    text = _ENTITY.sub(_canonical, args)
    # Phones and Macs turn straight double quotes into curly ones as people type.
    text = text.replace("“", '"').replace("”", '"').replace("„", '"')
    try:
        words = shlex.split(text)
    except ValueError as error:
        if "quotation" in str(error):
            raise InputError(
                "a quote is not closed. Put names with spaces in quotes, like "
                f'`{PREFIX} rename "Front Door" "Main Entrance"`.'
            ) from None
        raise InputError(f"I could not read that ({error}).") from None
    return words


def subject_id(word: str) -> str:
    """The Slack ID of a user or user group, from a mention or a raw ID."""
    for pattern in (_USER, _SUBTEAM):
        if found := pattern.fullmatch(word):
            return found.group(1)
    if access.valid_subject(word) is None:
        return word
    raise InputError(
        f"“{word}” is not someone I can grant to. Mention a person or user group and pick them "
        "from Slack's list as you type `@`, or paste their ID (U…, W… or S…)."
    )


def channel_id(word: str) -> str:
    if found := _CHANNEL.fullmatch(word):
        return found.group(1)
    if word.startswith("#"):
        raise InputError(
            f"“{word}” reached me as plain text. Pick the channel from Slack's list as you type "
            "`#`, so Slack sends its ID."
        )
    return word


# -- words -------------------------------------------------------------------------------------


def who(subject: str) -> str:
    if access.is_user_id(subject):
        return f"<@{subject}>"
    if access.is_group_id(subject):
        return f"<!subteam^{subject}>"
    return f"`{escape(subject)}`"


def bold(name: str) -> str:
    return f"*{escape(name)}*"


def names(items: Sequence[str]) -> str:
    shown = ", ".join(bold(n) for n in items[:NAMES_SHOWN])
    left = len(items) - NAMES_SHOWN
    return shown + (f" and {left} more" if left > 0 else "")


def channel_list(channels: Sequence[str]) -> str:
    return ", ".join(f"<#{escape(c)}>" for c in channels)


def when(moment: datetime) -> str:
    # Slack shows the date token in each reader's own time zone; the fallback is UTC.
    utc = moment.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def _cut(line: str, limit: int = LINE_MAX) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fit(
    header: str,
    lines: Sequence[str],
    hint: str,
    *,
    tail: Sequence[str] = (),
    code: bool = False,
) -> str:
    """`header`, as many `lines` as fit in one Slack answer, then `tail`, which always shows."""
    lines = [_cut(line) for line in lines]
    tail = [_cut(line) for line in tail]
    budget = MAX_CHARS - len(header) - sum(len(t) + 1 for t in tail) - len(hint) - 40
    shown: list[str] = []
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        shown.append(line)
    left = len(lines) - len(shown)
    body = [*shown, *([f"…and {left} more."] if left else []), *tail]
    text = "\n".join(body)
    if code:
        text = f"```\n{text}\n```"
    return f"{header}\n{text}" + (f"\n{hint}" if left else "")


def warning(message: str) -> str:
    return f"⚠️ {escape(message[:1].upper() + message[1:])}"


def domain_error(error: Exception) -> str:
    message = str(error)
    for terminal, slack in _HINTS.items():
        message = message.replace(terminal, slack)
    return warning(message)


# -- subcommands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    service: LockService
    devices: DeviceReader
    actor: str  # the Slack user, named in the audit trail for every change
    # For `quiet` hours given without a time zone (LOCKBOT_TIMEZONE, when the caller passes it).
    default_timezone: str = "UTC"


Handler = Callable[[Context, list[str]], Awaitable[str]]


@dataclass(frozen=True)
class Sub:
    name: str
    usage: str  # a command an admin could type as it is, shown in the help
    about: str
    section: str
    run: Handler
    min_args: int = 0
    max_args: int | None = 0
    # Unquoted words make one name (`remove-door front door`): nothing else could be meant.
    joins: bool = False

    def fits(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


SUBCOMMANDS: dict[str, Sub] = {}


def sub(
    name: str,
    usage: str,
    about: str,
    section: str,
    min_args: int = 0,
    max_args: int | None = 0,
    *,
    joins: bool = False,
) -> Callable[[Handler], Handler]:
    def register(run: Handler) -> Handler:
        SUBCOMMANDS[name] = Sub(name, usage, about, section, run, min_args, max_args, joins)
        return run

    return register


async def _channels_by_door(session: AsyncSession) -> dict[int, list[str]]:
    rows = (await session.exec(select(DoorChannel).order_by(col(DoorChannel.channel_id)))).all()
    out: dict[int, list[str]] = {}
    for row in rows:
        out.setdefault(row.door_id, []).append(row.channel_id)
    return out


@sub("doors", "doors", "every door, with its aliases, channels and Seam status", "Doors")
async def _doors(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.session() as session:
        rows = await doors.list_doors(session)
        channels = await _channels_by_door(session)
    if not rows:
        return (
            f'🚪 No doors yet. Add one with `{PREFIX} add-door "Front Door" DEVICE_ID`, or '
            f"import Seam's locks with `{PREFIX} sync`."
        )
    lines = []
    for door, aliases in rows:
        parts = [f"{bold(door.name)} `{escape(door.device_id)}`"]
        if aliases:
            parts.append("aliases: " + ", ".join(escape(a) for a in aliases))
        if limited := channels.get(door.id or -1):
            parts.append(f"only from {channel_list(limited)}")
        if door.missing_at is not None:
            parts.append("⚠️ missing from Seam")
        lines.append("• " + " · ".join(parts))
    count = f"{len(rows)} door{'' if len(rows) == 1 else 's'}"
    return fit(f"🚪 *{count}*", lines, "`lockbot doors list` shows them all.")


@sub(
    "add-door",
    'add-door "Front Door" DEVICE_ID main',
    f"add a door by its Seam device ID, with any aliases (`{PREFIX} sync` imports them all)",
    "Doors",
    2,
    None,
)
async def _add_door(ctx: Context, args: list[str]) -> str:
    name, device_id, *aliases = args
    async with ctx.service.db.writing() as session:
        door = await admin.add_door(session, ctx.actor, name, device_id, aliases)
    also = f" (aliases: {', '.join(escape(a) for a in aliases)})" if aliases else ""
    return (
        f"✅ Added {bold(door.name)} → `{escape(door.device_id)}`{also}. Only admins may lock it "
        f"until you grant it: `{PREFIX} grant @someone \"{escape(door.name)}\"`."
    )


@sub(
    "rename",
    'rename "Front Door" "Main Entrance"',
    "rename a door; `sync` keeps this name from now on",
    "Doors",
    2,
    2,
)
async def _rename(ctx: Context, args: list[str]) -> str:
    name, new_name = args
    async with ctx.service.db.writing() as session:
        before = await doors.find_door(session, name)
        old = before.name if before else name  # admin.rename_door says so when there is none
        door = await admin.rename_door(session, ctx.actor, name, new_name)
    return f"✅ {bold(old)} is now {bold(door.name)}."


@sub("alias", 'alias "Front Door" main', "another name for a door", "Doors", 2, 2)
async def _alias(ctx: Context, args: list[str]) -> str:
    name, alias = args
    async with ctx.service.db.writing() as session:
        door = await admin.add_alias(session, ctx.actor, name, alias)
    return f"✅ {bold(alias.strip())} now means {bold(door.name)}."


@sub("unalias", "unalias main", "drop an alias", "Doors", 1, 1, joins=True)
async def _unalias(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.writing() as session:
        door = await admin.remove_alias(session, ctx.actor, args[0])
    return f"✅ {bold(args[0])} no longer means {bold(door.name)}."


@sub(
    "remove-door",
    'remove-door "Front Door"',
    "remove a door with its aliases and grants; its lock history stays",
    "Doors",
    1,
    1,
    joins=True,
)
async def _remove_door(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.writing() as session:
        door = await admin.remove_door(session, ctx.actor, args[0])
    return f"🗑️ Removed {bold(door.name)}, with its aliases and grants. Its lock history stays."


@sub(
    "channels",
    'channels "Front Door" #lobby #security',
    "lock a door only from these channels (`any` lifts the limit; none shows it)",
    "Doors",
    1,
    None,
)
async def _channels(ctx: Context, args: list[str]) -> str:
    name, *given = args
    if not given:
        async with ctx.service.db.session() as session:
            door = await doors.existing_door(session, name)
            assert door.id is not None
            now = await doors.door_channels(session, door.id)
        if not now:
            return f"🌐 {bold(door.name)} may be locked from any channel."
        return f"📍 {bold(door.name)} may be locked only from {channel_list(now)}."
    lifting = [g.casefold() for g in given] == ["any"]
    if not lifting and "any" in (g.casefold() for g in given):
        raise InputError("give channels, or `any` to lift the limit, not both.")
    wanted = [] if lifting else [channel_id(g) for g in given]
    async with ctx.service.db.writing() as session:
        door, now = await admin.set_channels(session, ctx.actor, name, wanted)
    if not now:
        return f"🌐 {bold(door.name)} may be locked from any channel again."
    return f"📍 {bold(door.name)} may now be locked only from {channel_list(now)}."


@sub("groups", "groups", "every group and its doors", "Groups")
async def _groups(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.session() as session:
        views = await groups.list_groups(session)
    if not views:
        return (
            "🗂️ No groups yet. Make one with "
            f'`{PREFIX} add-group "Floor 2" "Front Door" "Back Door"`.'
        )
    lines = [
        f"• {bold(v.group.name)}: " + (names([d.name for d in v.doors]) or "no doors yet")
        for v in views
    ]
    count = f"{len(views)} group{'' if len(views) == 1 else 's'}"
    return fit(f"🗂️ *{count}*", lines, "`lockbot groups list` shows them all.")


def _members(view: groups.GroupView) -> str:
    listed = names([d.name for d in view.doors]) or "no doors"
    return f"{bold(view.group.name)} has {listed}."


@sub(
    "add-group",
    'add-group "Floor 2" "Front Door" "Back Door"',
    "make a group, or add doors to one; `/lock floor 2` then locks them all",
    "Groups",
    1,
    None,
)
async def _add_group(ctx: Context, args: list[str]) -> str:
    name, *members = args
    async with ctx.service.db.writing() as session:
        view = await admin.add_group(session, ctx.actor, name, members)
    return f"✅ {_members(view)}"


@sub(
    "ungroup",
    'ungroup "Floor 2" "Back Door"',
    "take doors out of a group (the doors stay)",
    "Groups",
    2,
    None,
)
async def _ungroup(ctx: Context, args: list[str]) -> str:
    name, *members = args
    async with ctx.service.db.writing() as session:
        view = await admin.remove_from_group(session, ctx.actor, name, members)
    return f"✅ {_members(view)}"


@sub(
    "remove-group",
    'remove-group "Floor 2"',
    "remove a group and its grants; its doors stay",
    "Groups",
    1,
    1,
    joins=True,
)
async def _remove_group(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.writing() as session:
        group = await admin.remove_group(session, ctx.actor, args[0])
    return f"🗑️ Removed the group {bold(group.name)} and its grants. Its doors stay."


def _what(where: access.Target) -> str:
    if where.door is not None:
        return bold(where.door.name)
    if where.group is not None:
        return f"the {bold(where.group.name)} group"
    return "every door"


async def _grant_or_revoke(ctx: Context, args: list[str], *, give: bool) -> str:
    subject, what = subject_id(args[0]), args[1]
    change = admin.grant if give else admin.revoke
    async with ctx.service.db.writing() as session:
        if what.strip().casefold() == access.ADMIN_LABEL:
            changed = await change(session, ctx.actor, subject, None)
            label = None
        else:
            label = _what(await access.target(session, what))
            changed = await change(session, ctx.actor, subject, what)
    person = who(subject)
    if label is None:
        if give:
            return f"✅ {person} is now a lockbot admin." if changed else (
                f"👌 {person} was already an admin."
            )
        configured = subject in ctx.service.access.admins
        if not changed:
            why = " `LOCKBOT_ADMINS` makes them one; only it can change that." if configured else ""
            return f"⚠️ {person} had no admin grant, so nothing changed.{why}"
        still = " They still are through `LOCKBOT_ADMINS`." if configured else ""
        return f"✅ {person} is no longer an admin by grant.{still}"
    if give:
        return f"✅ {person} may now lock {label}." if changed else (
            f"👌 {person} could already lock {label}."
        )
    if not changed:
        return f"⚠️ {person} had no grant for {label}, so nothing changed."
    return f"✅ {person} may no longer lock {label}."


@sub(
    "grant",
    'grant @someone "Front Door"',
    "let a person or user group lock a door, a group or `*` (every door), or make them "
    "an admin: `grant @someone admin`",
    "Access",
    2,
    2,
)
async def _grant(ctx: Context, args: list[str]) -> str:
    return await _grant_or_revoke(ctx, args, give=True)


@sub(
    "revoke",
    'revoke @team "Floor 2"',
    "take a grant back, likewise (`revoke @someone admin`)",
    "Access",
    2,
    2,
)
async def _revoke(ctx: Context, args: list[str]) -> str:
    return await _grant_or_revoke(ctx, args, give=False)


def _grant_label(label: str) -> str:
    if label == access.EVERY_DOOR:
        return "every door"
    if label == access.ADMIN_LABEL:
        return "admin"
    group = label.removesuffix(" (group)")
    return f"{bold(group)} (group)" if group != label else bold(label)


@sub("grants", "grants", "who may lock what, and who is an admin", "Access")
async def _grants(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.session() as session:
        rows = await access.list_grants(session)
    held: dict[str, list[str]] = {}
    for subject, label in rows:
        held.setdefault(subject, []).append(_grant_label(label))
    lines = [f"• {who(s)}: {', '.join(labels)}" for s, labels in held.items()]
    configured = sorted(ctx.service.access.admins)
    tail = []
    if configured:
        tail.append(f"Admins through `LOCKBOT_ADMINS`: {', '.join(who(a) for a in configured)}")
    if not lines:
        return "\n".join(
            [f'🔑 No grants yet. Add one with `{PREFIX} grant @someone "Front Door"`.', *tail]
        )
    return fit("🔑 *Grants*", lines, "`lockbot grants` shows them all.", tail=tail)


@sub(
    "sync",
    "sync --dry-run",
    "import Seam's locks: add new ones, follow renames, mark vanished ones missing "
    "(`--dry-run` only says what would change)",
    "Seam and audit",
    0,
    1,
)
async def _sync(ctx: Context, args: list[str]) -> str:
    if args and args[0].casefold() not in ("--dry-run", "dry-run"):
        raise InputError(f"`sync` takes only `--dry-run`, like `{PREFIX} sync --dry-run`.")
    dry_run = bool(args)
    try:
        # Before the write session: a slow Seam must not hold up other writers.
        locks = await ctx.devices.list_locks()
    except BackendError as error:
        return (
            f"⚠️ I could not list Seam's locks: {escape(error.message)} (`{escape(error.code)}`). "
            "Nothing changed; try again in a minute."
        )
    async with ctx.service.db.writing() as session:
        report = await admin.sync(session, ctx.actor, locks, dry_run=dry_run)
    lines = [escape(line) for line in sync_lines(report, SLACK_GRANT_HINT)]
    summary = next(i for i, line in enumerate(lines) if line.startswith("✓"))
    header = "🔄 *Seam sync*" + (" (dry run)" if dry_run else "")
    return fit(
        header,
        lines[:summary],
        "`lockbot doors sync --dry-run` shows every line.",
        tail=lines[summary:],
        code=True,
    )


@sub(
    "audit",
    "audit 20",
    f"the last N changes, who made them and when (default {AUDIT_DEFAULT}, at most {AUDIT_MAX})",
    "Seam and audit",
    0,
    1,
)
async def _audit(ctx: Context, args: list[str]) -> str:
    limit = AUDIT_DEFAULT
    if args:
        if not args[0].isdigit() or not 1 <= int(args[0]) <= AUDIT_MAX:
            raise InputError(f"`audit` shows 1 to {AUDIT_MAX} changes, like `{PREFIX} audit 20`.")
        limit = int(args[0])
    async with ctx.service.db.session() as session:
        events = await audit.recent(session, limit)
    if not events:
        return "📜 No admin changes recorded yet."
    lines = [
        f"• {when(e.created_at)} {who(e.actor)} `{escape(e.action)}` {bold(e.target)}"
        + (f": {escape(_cut(e.detail, 150))}" if e.detail else "")
        for e in events
    ]
    count = f"{len(events)} change{'' if len(events) == 1 else 's'}"
    return fit(f"📜 *Last {count}*, newest first", lines, "`lockbot audit --limit N` shows more.")


# -- device news (issue #5) --------------------------------------------------------------------

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
    2,
    2,
)
async def _mute(ctx: Context, args: list[str]) -> str:
    async with ctx.service.db.writing() as session:
        target, kind, added = await admin.mute_event(session, ctx.actor, args[0], args[1])
    if not added:
        return f"👌 `{kind}` was already muted for {_news_of(target)}."
    return f"🔇 No more `{kind}` news from {_news_of(target)}."


@sub("unmute", 'unmute "Floor 2" lock.unlocked', "tell that news again", "Device news", 2, 2)
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
    1,
    2,
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
    0,
    3,
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


def help_text() -> str:
    out = [
        "🛠️ *lockbot admin*. Put names with spaces in quotes; mention people, user groups and "
        "channels with `@` and `#`. Every change is recorded with your name."
    ]
    section = ""
    for spec in SUBCOMMANDS.values():
        if spec.section != section:
            section = spec.section
            out.append(f"*{section}*")
        out.append(f"• `{PREFIX} {spec.usage}`: {spec.about}")
    out.append(f"• `{PREFIX} help`: this message")
    return "\n".join(out)


# -- the entry point ---------------------------------------------------------------------------


async def _admins(session: AsyncSession, configured: frozenset[str]) -> list[str]:
    query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
    granted = set((await session.exec(query)).all())
    return sorted(configured) + sorted(granted - configured)


def denied(admins: Sequence[str]) -> str:
    ask = ", ".join(who(a) for a in admins[:NAMES_SHOWN]) or "a lockbot admin"
    return f"🚫 `{PREFIX}` is for lockbot admins. If something needs changing, ask {ask}."


async def run_admin(
    service: LockService,
    devices: DeviceReader,
    user_id: str,
    channel_id: str | None,
    args: str,
    *,
    default_timezone: str = "UTC",
) -> str:
    word = args.split(" ", 1)[0][:40]
    async with service.db.session() as session:
        if not await service.access.is_admin(session, user_id):
            log.warning(
                "/lock admin %r refused: %s is not an admin (channel %s)", word, user_id, channel_id
            )
            return denied(await _admins(session, service.access.admins))
    try:
        words = split(args)
    except InputError as error:
        return warning(str(error))
    if not words or words[0].casefold() in ("help", "?", "-h", "--help"):
        return help_text()
    spec = SUBCOMMANDS.get(words[0].casefold())
    if spec is None:
        return f"🤔 I don't know `{escape(words[0])}`.\n{help_text()}"
    rest = words[1:]
    if spec.joins and len(rest) > 1:
        rest = [" ".join(rest)]
    if not spec.fits(len(rest)):
        return (
            f"⚠️ That doesn't fit `{spec.name}`. Names with spaces go in quotes, like "
            f"`{PREFIX} {escape(spec.usage)}`."
        )
    log.info("/lock admin %s by %s (channel %s)", spec.name, user_id, channel_id)
    try:
        return await spec.run(Context(service, devices, user_id, default_timezone), rest)
    except InputError as error:
        return warning(str(error))
    except (doors.DoorError, access.AccessError) as error:
        return domain_error(error)
    except sa.exc.IntegrityError:
        log.warning("/lock admin %s by %s lost a race with another change", spec.name, user_id)
        return (
            "⚠️ Something else changed the same thing at the same moment, so nothing was "
            "written. Try again."
        )
