"""`/lock admin` for doors: list, add, rename, alias, unalias, remove, channel limits."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import admin, door_admin, names
from bot.models import DoorChannel
from bot.slack.admin.parsing import InputError, channel_id
from bot.slack.admin.subcommands import Context, sub
from bot.slack.words import admin_doors as words
from bot.slack.words.admin import PREFIX, channels_or_any


async def _channels_by_door(session: AsyncSession) -> dict[int, list[str]]:
    rows = (await session.exec(select(DoorChannel).order_by(col(DoorChannel.channel_id)))).all()
    out: dict[int, list[str]] = {}
    for row in rows:
        out.setdefault(row.door_id, []).append(row.channel_id)
    return out


@sub("doors", "doors", "every door, with its aliases, channels and Seam status", "Doors")
async def _doors(ctx: Context, args: list[str]) -> str:
    rows = await ctx.read(names.list_doors)
    channels = await ctx.read(_channels_by_door)
    return words.doors(rows, channels)


@sub(
    "add-door",
    'add-door "Front Door" DEVICE_ID main',
    f"add a door by its Seam device ID, with any aliases (`{PREFIX} sync` imports them all)",
    "Doors",
    min_args=2,
    max_args=None,
)
async def _add_door(ctx: Context, args: list[str]) -> str:
    name, device_id, *aliases = args
    door = await ctx.change(admin.add_door, name, device_id, aliases)
    return words.door_added(door, aliases)


@sub(
    "rename",
    'rename "Front Door" "Main Entrance"',
    "rename a door; `sync` keeps this name from now on",
    "Doors",
    min_args=2,
    max_args=2,
)
async def _rename(ctx: Context, args: list[str]) -> str:
    name, new_name = args
    async with ctx.db.writing() as session:
        before = await names.find_door(session, name)
        old = before.name if before else name  # admin.rename_door says so when there is none
        door = await admin.rename_door(session, ctx.actor, name, new_name)
    return words.renamed(old, door.name)


@sub("alias", 'alias "Front Door" main', "another name for a door", "Doors", min_args=2, max_args=2)
async def _alias(ctx: Context, args: list[str]) -> str:
    name, alias = args
    door = await ctx.change(admin.add_alias, name, alias)
    return words.alias_added(alias.strip(), door)


@sub("unalias", "unalias main", "drop an alias", "Doors", min_args=1, max_args=1, joins=True)
async def _unalias(ctx: Context, args: list[str]) -> str:
    door = await ctx.change(admin.remove_alias, args[0])
    return words.alias_removed(args[0], door)


@sub(
    "remove-door",
    'remove-door "Front Door"',
    "remove a door with its aliases and grants; its lock history stays",
    "Doors",
    min_args=1,
    max_args=1,
    joins=True,
)
async def _remove_door(ctx: Context, args: list[str]) -> str:
    door = await ctx.change(admin.remove_door, args[0])
    return words.door_removed(door)


@sub(
    "channels",
    'channels "Front Door" #lobby #security',
    "lock a door only from these channels (`any` lifts the limit; none shows it)",
    "Doors",
    min_args=1,
    max_args=None,
)
async def _channels(ctx: Context, args: list[str]) -> str:
    name, *given = args
    if not given:
        async with ctx.db.session() as session:
            door = await names.existing_door(session, name)
            assert door.id is not None
            now = await door_admin.door_channels(session, door.id)
        return words.door_channels(door, now, changed=False)
    lifting = [g.casefold() for g in given] == ["any"]
    if not lifting and "any" in (g.casefold() for g in given):
        raise InputError(channels_or_any())
    wanted = [] if lifting else [channel_id(g) for g in given]
    door, now = await ctx.change(admin.set_channels, name, wanted)
    return words.door_channels(door, now, changed=True)
