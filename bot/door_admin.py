"""Door admin: adding, removing and renaming doors, their aliases, and the channels a door may
be locked from (its channel limit)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.ids import is_channel_id
from bot.models import Door, DoorAlias, DoorChannel, NameSource
from bot.names import DoorError, existing_door, name_taken, normalise, valid_name
from bot.refusals import Refused


async def add_door(
    session: AsyncSession, name: str, device_id: str, aliases: Iterable[str] = ()
) -> Door:
    name, device_id = name.strip(), device_id.strip()
    for label in (name, *aliases):
        if problem := valid_name(label):
            raise DoorError(Refused.BAD_DOOR_NAME, names=[label], bad_name=problem)
    if not device_id:
        raise DoorError(Refused.NO_DEVICE_ID)
    taken = [label for label in (name, *aliases) if await name_taken(session, label)]
    if taken:
        raise DoorError(Refused.NAME_TAKEN, names=taken)
    keys = [normalise(a) for a in aliases]
    if normalise(name) in keys or len(set(keys)) != len(keys):
        raise DoorError(Refused.NAMES_REPEAT)
    door = Door(
        name=name, key=normalise(name), device_id=device_id, name_source=NameSource.ADMIN.value
    )
    session.add(door)
    await session.flush()
    assert door.id is not None
    for alias in aliases:
        session.add(DoorAlias(door_id=door.id, alias=alias.strip(), key=normalise(alias)))
    await session.flush()
    return door


async def remove_door(session: AsyncSession, name: str) -> Door:
    """Remove a door with its aliases, grants and group places; its lock history stays."""
    door = await existing_door(session, name)
    await session.delete(door)
    await session.flush()
    return door


async def add_alias(session: AsyncSession, name: str, alias: str) -> Door:
    door = await existing_door(session, name)
    if problem := valid_name(alias):
        raise DoorError(Refused.BAD_DOOR_NAME, names=[alias], bad_name=problem)
    if await name_taken(session, alias):
        raise DoorError(Refused.NAME_TAKEN, names=[alias])
    assert door.id is not None
    session.add(DoorAlias(door_id=door.id, alias=alias.strip(), key=normalise(alias)))
    await session.flush()
    return door


async def remove_alias(session: AsyncSession, alias: str) -> Door:
    key = normalise(alias)
    row = (await session.exec(select(DoorAlias).where(col(DoorAlias.key) == key))).first()
    if row is None:
        raise DoorError(Refused.NO_SUCH_ALIAS, names=[alias])
    door = await session.get(Door, row.door_id)
    assert door is not None
    await session.delete(row)
    await session.flush()
    return door


async def rename_door(session: AsyncSession, name: str, new_name: str) -> Door:
    """Rename by hand: from now on `doors sync` keeps this name whatever Seam calls the lock."""
    door = await existing_door(session, name)
    new_name = new_name.strip()
    if problem := valid_name(new_name):
        raise DoorError(Refused.BAD_DOOR_NAME, names=[new_name], bad_name=problem)
    if normalise(new_name) != door.key and await name_taken(session, new_name):
        raise DoorError(Refused.NAME_TAKEN, names=[new_name])
    door.name, door.key, door.name_source = new_name, normalise(new_name), NameSource.ADMIN.value
    session.add(door)
    await session.flush()
    return door


async def door_channels(session: AsyncSession, door_id: int) -> list[str]:
    query = select(DoorChannel.channel_id).where(col(DoorChannel.door_id) == door_id)
    return sorted((await session.exec(query)).all())


async def set_channels(session: AsyncSession, name: str, channels: Iterable[str]) -> Door:
    """Limit a door to these channels; none lifts the limit."""
    door = await existing_door(session, name)
    assert door.id is not None
    wanted = sorted({c.strip() for c in channels if c.strip()})
    for channel in wanted:
        if not is_channel_id(channel):
            raise DoorError(Refused.NOT_A_CHANNEL, names=[channel])
    rows = await session.exec(select(DoorChannel).where(col(DoorChannel.door_id) == door.id))
    for row in rows.all():
        await session.delete(row)
    await session.flush()
    session.add_all(DoorChannel(door_id=door.id, channel_id=c) for c in wanted)
    await session.flush()
    return door
