"""Admin operations, one transaction each, written to the audit trail with who made them.

The terminal (`lockbot doors|groups|grant|…`) and Slack (`/lock admin …`) both call these, so the
two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, audit, door_admin, door_groups, door_sync, events, names
from bot.door_sync import ListedLock, SyncReport
from bot.models import Door, DoorGroup, QuietHours
from bot.refusals import Refused


async def add_door(
    session: AsyncSession, actor: str, name: str, device_id: str, aliases: Sequence[str] = ()
) -> Door:
    door = await door_admin.add_door(session, name, device_id, aliases)
    detail = f"device {door.device_id}" + (f", aliases {', '.join(aliases)}" if aliases else "")
    audit.record(session, actor, "door.add", door.name, detail)
    await session.commit()
    return door


async def remove_door(session: AsyncSession, actor: str, name: str) -> Door:
    door = await door_admin.remove_door(session, name)
    audit.record(session, actor, "door.remove", door.name, f"device {door.device_id}")
    await session.commit()
    return door


async def rename_door(session: AsyncSession, actor: str, name: str, new_name: str) -> Door:
    old = (await names.existing_door(session, name)).name
    door = await door_admin.rename_door(session, name, new_name)
    audit.record(session, actor, "door.rename", door.name, f"was {old}")
    await session.commit()
    return door


async def add_alias(session: AsyncSession, actor: str, name: str, alias: str) -> Door:
    door = await door_admin.add_alias(session, name, alias)
    audit.record(session, actor, "alias.add", door.name, alias)
    await session.commit()
    return door


async def remove_alias(session: AsyncSession, actor: str, alias: str) -> Door:
    door = await door_admin.remove_alias(session, alias)
    audit.record(session, actor, "alias.remove", door.name, alias)
    await session.commit()
    return door


async def set_channels(
    session: AsyncSession, actor: str, name: str, channels: Iterable[str]
) -> tuple[Door, list[str]]:
    door = await door_admin.set_channels(session, name, channels)
    assert door.id is not None
    now = await door_admin.door_channels(session, door.id)
    audit.record(session, actor, "door.channels", door.name, ", ".join(now) or "any channel")
    await session.commit()
    return door, now


async def add_group(
    session: AsyncSession, actor: str, name: str, door_names: Sequence[str]
) -> door_groups.GroupView:
    view = await door_groups.add_group(session, name, door_names)
    members = ", ".join(d.name for d in view.doors) or "no doors"
    audit.record(session, actor, "group.add", view.group.name, members)
    await session.commit()
    return view


async def remove_from_group(
    session: AsyncSession, actor: str, name: str, door_names: Sequence[str]
) -> door_groups.GroupView:
    view = await door_groups.remove_from_group(session, name, door_names)
    audit.record(session, actor, "group.remove_doors", view.group.name, ", ".join(door_names))
    await session.commit()
    return view


async def remove_group(session: AsyncSession, actor: str, name: str) -> DoorGroup:
    group = await door_groups.remove_group(session, name)
    audit.record(session, actor, "group.remove", group.name)
    await session.commit()
    return group


async def grant(session: AsyncSession, actor: str, subject: str, target: str | None) -> bool:
    """`target` None grants admin. False when they already held it."""
    return await _change_grant(session, actor, subject, target, give=True)


async def revoke(session: AsyncSession, actor: str, subject: str, target: str | None) -> bool:
    """False when they held no such grant."""
    return await _change_grant(session, actor, subject, target, give=False)


async def _change_grant(
    session: AsyncSession, actor: str, subject: str, target: str | None, *, give: bool
) -> bool:
    change = access.grant if give else access.revoke
    changed = await change(session, subject, target)
    if changed:
        action = "grant.add" if give else "grant.remove"
        audit.record(session, actor, action, subject, target or access.ADMIN_LABEL)
    await session.commit()
    return changed


async def sync(
    session: AsyncSession, actor: str, locks: Iterable[ListedLock], *, dry_run: bool = False
) -> SyncReport:
    locks = list(locks)
    if not dry_run:
        # Written with the sync's own commit; a sync that changes nothing rolls it back.
        audit.record(session, actor, "doors.sync", "*", f"{len(locks)} devices listed")
    return await door_sync.sync_doors(session, locks, dry_run=dry_run)


# -- device news (issue #5): mutes, alert channels, quiet hours ------------------------------


async def mute_event(
    session: AsyncSession, actor: str, name: str, event_type: str
) -> tuple[Door | DoorGroup, str, bool]:
    """Mute an event type for a door or group; returns it, the type, and False if already."""
    kind = events.event_type(event_type)
    target = await events.door_or_group(session, name)
    added = await events.mute(session, actor, target, kind)
    if added:
        audit.record(session, actor, "event.mute", events.label(target), kind)
    await session.commit()
    return target, kind, added


async def unmute_event(
    session: AsyncSession, actor: str, name: str, event_type: str
) -> tuple[Door | DoorGroup, str, bool]:
    kind = events.event_type(event_type)
    target = await events.door_or_group(session, name)
    removed = await events.unmute(session, target, kind)
    if removed:
        audit.record(session, actor, "event.unmute", events.label(target), kind)
    await session.commit()
    return target, kind, removed


async def set_alert_channel(
    session: AsyncSession,
    actor: str,
    name: str,
    channel: str | None,
    *,
    only: Literal["door", "group"] | None = None,
) -> Door | DoorGroup:
    """Send a door's or group's device news to `channel`; None: back to the default route.
    `only` keeps the terminal's `doors alerts` from changing a group of that name, and back."""
    if only == "door":
        target: Door | DoorGroup = await names.existing_door(session, name)
    elif only == "group":
        group = await names.find_group(session, name)
        if group is None:
            raise names.DoorError(Refused.NO_SUCH_GROUP, names=[name])
        target = group
    else:
        target = await events.door_or_group(session, name)
    target.alert_channel = events.channel(channel) if channel is not None else None
    session.add(target)
    action = "group.alerts" if isinstance(target, DoorGroup) else "door.alerts"
    audit.record(session, actor, action, target.name, channel or "default")
    await session.commit()
    return target


async def set_quiet_hours(
    session: AsyncSession, actor: str, channel: str, hours: str, timezone: str
) -> QuietHours:
    row = await events.set_quiet(session, channel, hours, timezone)
    audit.record(
        session, actor, "quiet.set", row.channel_id, f"{row.start}-{row.end} {row.timezone}"
    )
    await session.commit()
    return row


async def clear_quiet_hours(session: AsyncSession, actor: str, channel: str) -> bool:
    removed = await events.clear_quiet(session, channel)
    if removed:
        audit.record(session, actor, "quiet.clear", channel)
    await session.commit()
    return removed
