"""`/lock admin` for access: grant, revoke, and who holds which grant."""

from __future__ import annotations

from bot import access, admin
from bot.slack.admin.parsing import subject_id
from bot.slack.admin.subcommands import Context, sub
from bot.slack.admin.wording import PREFIX, bold, fit, who


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
