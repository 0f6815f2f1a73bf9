"""Door groups: several doors locked with one name (`/lock floor 2`): made, changed, removed
and listed here; found by name, with their doors, in bot.names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Door, DoorGroup, GroupMember
from bot.names import (
    DoorError,
    find_door,
    find_group,
    group_doors,
    missing_door,
    name_taken,
    normalise,
    valid_name,
)
from bot.refusals import Refused


@dataclass(frozen=True)
class GroupView:
    group: DoorGroup
    doors: list[Door]


async def _doors_named(session: AsyncSession, names: Sequence[str]) -> list[Door]:
    found: list[Door] = []
    unknown: list[str] = []
    for name in names:
        door = await find_door(session, name)
        if door is None:
            unknown.append(name)
        elif door not in found:
            found.append(door)
    if unknown:
        missing = [await missing_door(session, name) for name in unknown]
        raise DoorError(Refused.NO_SUCH_DOOR, missing=missing)
    return found


async def add_group(session: AsyncSession, name: str, door_names: Sequence[str]) -> GroupView:
    """Create a group, or add doors to an existing one. Does not commit."""
    name = name.strip()
    if problem := valid_name(name):
        raise DoorError(Refused.BAD_GROUP_NAME, names=[name], bad_name=problem)
    doors = await _doors_named(session, door_names)
    group = await find_group(session, name)
    if group is None:
        if await name_taken(session, name):
            raise DoorError(Refused.GROUP_NAME_TAKEN, names=[name])
        group = DoorGroup(name=name, key=normalise(name))
        session.add(group)
        await session.flush()
    assert group.id is not None
    have = {door.id for door in await group_doors(session, group.id)}
    for door in doors:
        if door.id not in have:
            assert door.id is not None
            session.add(GroupMember(group_id=group.id, door_id=door.id))
    await session.flush()
    return GroupView(group, await group_doors(session, group.id))


async def remove_from_group(
    session: AsyncSession, name: str, door_names: Sequence[str]
) -> GroupView:
    group = await _existing(session, name)
    assert group.id is not None
    ids = [door.id for door in await _doors_named(session, door_names)]
    members = await session.exec(
        select(GroupMember).where(
            col(GroupMember.group_id) == group.id, col(GroupMember.door_id).in_(ids)
        )
    )
    for member in members.all():
        await session.delete(member)
    await session.flush()
    return GroupView(group, await group_doors(session, group.id))


async def remove_group(session: AsyncSession, name: str) -> DoorGroup:
    """Remove a group and the grants that named it; its doors stay. Does not commit."""
    group = await _existing(session, name)
    await session.delete(group)
    await session.flush()
    return group


async def list_groups(session: AsyncSession) -> list[GroupView]:
    groups = (await session.exec(select(DoorGroup).order_by(col(DoorGroup.key)))).all()
    rows = (
        await session.exec(
            select(GroupMember.group_id, Door)
            .join(Door, col(Door.id) == col(GroupMember.door_id))
            .order_by(col(Door.key))
        )
    ).all()
    by_group: dict[int, list[Door]] = {}
    for group_id, door in rows:
        by_group.setdefault(group_id, []).append(door)
    return [GroupView(group, by_group.get(group.id or -1, [])) for group in groups]


async def _existing(session: AsyncSession, name: str) -> DoorGroup:
    group = await find_group(session, name)
    if group is None:
        raise DoorError(Refused.NO_SUCH_GROUP, names=[name])
    return group
