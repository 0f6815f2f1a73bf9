"""`/lock admin` for door groups: list, add to, take out of, remove."""

from __future__ import annotations

from bot import admin, door_groups
from bot.slack.admin.subcommands import Context, sub
from bot.slack.words import admin_doors as words


@sub("groups", "groups", "every group and its doors", "Groups")
async def _groups(ctx: Context, args: list[str]) -> str:
    views = await ctx.read(door_groups.list_groups)
    return words.groups(views)


@sub(
    "add-group",
    'add-group "Floor 2" "Front Door" "Back Door"',
    "make a group, or add doors to one; `/lock floor 2` then locks them all",
    "Groups",
    min_args=1,
    max_args=None,
)
async def _add_group(ctx: Context, args: list[str]) -> str:
    name, *members = args
    view = await ctx.change(admin.add_group, name, members)
    return words.group_changed(view)


@sub(
    "ungroup",
    'ungroup "Floor 2" "Back Door"',
    "take doors out of a group (the doors stay)",
    "Groups",
    min_args=2,
    max_args=None,
)
async def _ungroup(ctx: Context, args: list[str]) -> str:
    name, *members = args
    view = await ctx.change(admin.remove_from_group, name, members)
    return words.group_changed(view)


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
