"""The admin side of device news: mutes and quiet hours, as plain domain functions that do not
commit; bot.admin commits each change with its audit row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events.kinds import EVENT_TYPES
from bot.ids import is_channel_id
from bot.models import Door, DoorGroup, EventMute, GroupMember, QuietHours
from bot.names import DoorError, Unknown, resolve
from bot.refusals import Refused


class EventError(DoorError):
    """A mute or quiet-hours change that cannot be made as asked. A DoorError, so whoever
    refuses door changes refuses these too."""


def event_type(text: str) -> str:
    """The Seam event type an admin typed, or EventError listing the ones there are."""
    wanted = text.strip().casefold()
    if wanted in EVENT_TYPES:
        return wanted
    raise EventError(Refused.NOT_AN_EVENT, names=[text], choices=EVENT_TYPES)


async def door_or_group(session: AsyncSession, text: str) -> Door | DoorGroup:
    found = await resolve(session, text)
    if not isinstance(found, Unknown):
        return found
    raise EventError(Refused.NO_SUCH_TARGET, missing=[found.missing])


async def groups_of(session: AsyncSession, door_id: int) -> list[DoorGroup]:
    """The groups a door is in, by name: the first with a channel routes the door's news."""
    query = (
        select(DoorGroup)
        .join(GroupMember, col(GroupMember.group_id) == col(DoorGroup.id))
        .where(col(GroupMember.door_id) == door_id)
        .order_by(col(DoorGroup.key))
    )
    return list((await session.exec(query)).all())


def label(target: Door | DoorGroup) -> str:
    return f"{target.name} (group)" if isinstance(target, DoorGroup) else target.name


def _mute_where(kind: str, target: Door | DoorGroup) -> sa.ColumnElement[bool]:
    is_group = isinstance(target, DoorGroup)
    return sa.and_(
        col(EventMute.event_type) == kind,
        col(EventMute.group_id) == target.id if is_group else col(EventMute.group_id).is_(None),
        col(EventMute.door_id).is_(None) if is_group else col(EventMute.door_id) == target.id,
    )


async def mute(session: AsyncSession, actor: str, target: Door | DoorGroup, kind: str) -> bool:
    """Mute `kind` for a door or group; False when it already was."""
    # Checked by hand: the unique constraint treats the NULL column as distinct every time.
    if (await session.exec(select(EventMute).where(_mute_where(kind, target)))).first():
        return False
    is_group = isinstance(target, DoorGroup)
    session.add(
        EventMute(
            event_type=kind,
            door_id=None if is_group else target.id,
            group_id=target.id if is_group else None,
            created_by=actor[:64],
        )
    )
    await session.flush()
    return True


async def unmute(session: AsyncSession, target: Door | DoorGroup, kind: str) -> bool:
    rows = (await session.exec(select(EventMute).where(_mute_where(kind, target)))).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    return bool(rows)


@dataclass(frozen=True)
class MuteView:
    target: str  # "Front Door" or "Floor 2 (group)"
    event_type: str
    created_by: str


async def list_mutes(session: AsyncSession) -> list[MuteView]:
    rows = (await session.exec(select(EventMute).order_by(col(EventMute.id)))).all()
    doors = {d.id: d for d in (await session.exec(select(Door))).all()}
    groups = {g.id: g for g in (await session.exec(select(DoorGroup))).all()}
    out = []
    for row in rows:
        target: Door | DoorGroup | None = (
            doors.get(row.door_id) if row.door_id is not None else groups.get(row.group_id)
        )
        if target is not None:
            out.append(MuteView(label(target), row.event_type, row.created_by))
    return sorted(out, key=lambda m: (m.target.casefold(), m.event_type))


_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")


def channel(text: str) -> str:
    """A Slack channel ID: routing and quiet hours compare IDs, so a name would never match."""
    text = text.strip()
    if not is_channel_id(text):
        raise EventError(Refused.NOT_A_NEWS_CHANNEL, names=[text])
    return text


def parse_hours(text: str) -> tuple[str, str]:
    """ "22:00-07:00" → ("22:00", "07:00")."""
    found = _HOURS.match(text.strip())
    if found:
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) != (h2, m2):
            return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
    raise EventError(Refused.NOT_HOURS, names=[text])


def zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise EventError(Refused.UNKNOWN_ZONE, names=[name]) from None
    return name


async def set_quiet(
    session: AsyncSession, channel_id: str, hours: str, timezone: str
) -> QuietHours:
    start, end = parse_hours(hours)
    row = await session.get(QuietHours, channel(channel_id))
    if row is None:
        row = QuietHours(channel_id=channel_id, start=start, end=end, timezone=zone(timezone))
    else:
        row.start, row.end, row.timezone = start, end, zone(timezone)
    session.add(row)
    await session.flush()
    return row


async def clear_quiet(session: AsyncSession, channel_id: str) -> bool:
    row = await session.get(QuietHours, channel(channel_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def list_quiet(session: AsyncSession) -> list[QuietHours]:
    return list((await session.exec(select(QuietHours).order_by(col(QuietHours.channel_id)))).all())


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_quiet(hours: QuietHours, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(hours.timezone))
    now = local.hour * 60 + local.minute
    start, end = _minutes(hours.start), _minutes(hours.end)
    if start < end:
        return start <= now < end
    return now >= start or now < end  # across midnight, like 22:00-07:00
