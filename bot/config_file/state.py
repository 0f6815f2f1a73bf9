"""The database, as it is: every row the config file covers, read in one go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Door, DoorAlias, DoorChannel, DoorGroup, Grant, GroupMember, Schedule

_Row = TypeVar("_Row", DoorAlias, DoorChannel)


@dataclass(frozen=True)
class State:
    doors: list[Door]
    aliases: list[DoorAlias]
    channels: list[DoorChannel]
    groups: list[DoorGroup]
    members: list[GroupMember]
    grants: list[Grant]
    # Not in the file, but they go when their door or group does; the diff must say so.
    schedules: list[Schedule]


async def load_state(session: AsyncSession) -> State:
    async def rows(model: type[Any]) -> list[Any]:
        return list((await session.exec(select(model).order_by(model.id))).all())

    return State(
        doors=await rows(Door),
        aliases=await rows(DoorAlias),
        channels=await rows(DoorChannel),
        groups=await rows(DoorGroup),
        members=await rows(GroupMember),
        grants=await rows(Grant),
        schedules=await rows(Schedule),
    )


def _by_door(rows: Iterable[_Row]) -> dict[int | None, list[_Row]]:
    out: dict[int | None, list[_Row]] = {}
    for row in rows:
        out.setdefault(row.door_id, []).append(row)
    return out
