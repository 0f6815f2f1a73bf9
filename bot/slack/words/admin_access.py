"""`/lock admin` answers about access: grants, revokes, and who holds what."""

from __future__ import annotations

from collections.abc import Sequence

from bot.access import ADMIN_LABEL, EVERY_DOOR, Target
from bot.slack.words.admin import PREFIX, listing
from bot.slack.words.common import bold, grantee


def target(where: Target) -> str:
    """What a grant covers: a door in bold, "the *Floor 2* group", or "every door"."""
    if where.door is not None:
        return bold(where.door.name)
    if where.group is not None:
        return f"the {bold(where.group.name)} group"
    return "every door"


def admin_granted(subject: str, changed: bool) -> str:
    person = grantee(subject)
    return (
        f"✅ {person} is now a lockbot admin." if changed else f"👌 {person} was already an admin."
    )


def admin_revoked(subject: str, changed: bool, configured: bool) -> str:
    """`configured`: LOCKBOT_ADMINS makes them an admin whatever the grants say."""
    person = grantee(subject)
    if not changed:
        why = " `LOCKBOT_ADMINS` makes them one; only it can change that." if configured else ""
        return f"⚠️ {person} had no admin grant, so nothing changed.{why}"
    still = " They still are through `LOCKBOT_ADMINS`." if configured else ""
    return f"✅ {person} is no longer an admin by grant.{still}"


def granted(subject: str, what: str, changed: bool) -> str:
    """`what`: the grant's target as `target` words it."""
    person = grantee(subject)
    return (
        f"✅ {person} may now lock {what}."
        if changed
        else f"👌 {person} could already lock {what}."
    )


def revoked(subject: str, what: str, changed: bool) -> str:
    person = grantee(subject)
    if not changed:
        return f"⚠️ {person} had no grant for {what}, so nothing changed."
    return f"✅ {person} may no longer lock {what}."


def _held(label: str) -> str:
    """One grant as `bot.access.list_grants` labels it: a door, `name (group)`, `*`, `admin`."""
    if label == EVERY_DOOR:
        return "every door"
    if label == ADMIN_LABEL:
        return "admin"
    group = label.removesuffix(" (group)")
    return f"{bold(group)} (group)" if group != label else bold(label)


def grants_held(rows: Sequence[tuple[str, str]], configured: Sequence[str]) -> str:
    """Who holds which grant (`rows`: subject, label), and the admins LOCKBOT_ADMINS makes."""
    held: dict[str, list[str]] = {}
    for subject, label in rows:
        held.setdefault(subject, []).append(_held(label))
    lines = [f"• {grantee(s)}: {', '.join(labels)}" for s, labels in held.items()]
    tail = []
    if configured:
        tail.append(f"Admins through `LOCKBOT_ADMINS`: {', '.join(grantee(a) for a in configured)}")
    if not lines:
        return "\n".join(
            [f'🔑 No grants yet. Add one with `{PREFIX} grant @someone "Front Door"`.', *tail]
        )
    return listing("🔑 *Grants*", lines, "`lockbot grants` shows them all.", tail=tail)
