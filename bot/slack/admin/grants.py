"""`/lock admin` for access: grant, revoke, and who holds which grant."""

from __future__ import annotations

from bot import access, admin
from bot.slack.admin.parsing import subject_id
from bot.slack.admin.subcommands import Context, sub
from bot.slack.words import admin_access as words


async def _grant_or_revoke(ctx: Context, args: list[str], *, give: bool) -> str:
    subject, what = subject_id(args[0]), args[1]
    change = admin.grant if give else admin.revoke
    async with ctx.db.writing() as session:
        if what.strip().casefold() == access.ADMIN_LABEL:
            changed = await change(session, ctx.actor, subject, None)
            label = None
        else:
            label = words.target(await access.target(session, what))
            changed = await change(session, ctx.actor, subject, what)
    if label is None:
        if give:
            return words.admin_granted(subject, changed)
        configured = subject in ctx.access.admins
        return words.admin_revoked(subject, changed, configured)
    if give:
        return words.granted(subject, label, changed)
    return words.revoked(subject, label, changed)


@sub(
    "grant",
    'grant @someone "Front Door"',
    "let a person or user group lock a door, a group or `*` (every door), or make them "
    "an admin: `grant @someone admin`",
    "Access",
    min_args=2,
    max_args=2,
)
async def _grant(ctx: Context, args: list[str]) -> str:
    return await _grant_or_revoke(ctx, args, give=True)


@sub(
    "revoke",
    'revoke @team "Floor 2"',
    "take a grant back, likewise (`revoke @someone admin`)",
    "Access",
    min_args=2,
    max_args=2,
)
async def _revoke(ctx: Context, args: list[str]) -> str:
    return await _grant_or_revoke(ctx, args, give=False)


@sub("grants", "grants", "who may lock what, and who is an admin", "Access")
async def _grants(ctx: Context, args: list[str]) -> str:
    rows = await ctx.read(access.list_grants)
    return words.grants_held(rows, sorted(ctx.access.admins))
