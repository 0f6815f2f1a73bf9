"""`/lock admin` for door groups: list, add to, take out of, remove."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import admin, door_groups
from bot.door_groups import GroupView
from bot.slack.admin.subcommands import Context, listing, sub
from bot.slack.words import admin_doors as words

MembersChange = Callable[[AsyncSession, str, str, list[str]], Awaitable[GroupView]]


listing("groups", "every group and its doors", "Groups", door_groups.list_groups, words.groups)


@sub(
    "add-group",
    'add-group "Floor 2" "Front Door" "Back Door"',
    "make a group, or add doors to one; `/lock floor 2` then locks them all",
    "Groups",
    min_args=1,
    max_args=None,
)
async def _add_group(ctx: Context, args: list[str]) -> str:
    return await _members_change(ctx, args, admin.add_group)


@sub(
    "ungroup",
    'ungroup "Floor 2" "Back Door"',
    "take doors out of a group (the doors stay)",
    "Groups",
    min_args=2,
    max_args=None,
)
async def _ungroup(ctx: Context, args: list[str]) -> str:
    return await _members_change(ctx, args, admin.remove_from_group)


async def _members_change(ctx: Context, args: list[str], change: MembersChange) -> str:
    """`<group> <door>…`: doors into or out of a group."""
    name, *members = args
    return words.group_changed(await ctx.change(change, name, members))


@sub(
    "remove-group",
    'remove-group "Floor 2"',
    "remove a group and its grants; its doors stay",
    "Groups",
    min_args=1,
    max_args=1,
    joins=True,
)
async def _remove_group(ctx: Context, args: list[str]) -> str:
    group = await ctx.change(admin.remove_group, args[0])
    return words.group_removed(group)
