"""Where a device's news goes: the door it speaks as, and that door's alert channel, else its
first group's by name, else the default.

A device shared by several doors speaks as its first door (lowest id): one device, one message,
however many names it has."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events.muting import groups_of
from bot.models import Door, DoorGroup


@dataclass(frozen=True)
class Route:
    """The door a device's news is about, its groups (by name), and the channel it goes to;
    None when no channel is set anywhere."""

    door: Door
    groups: list[DoorGroup]
    channel: str | None

    @property
    def name(self) -> str:
        return self.door.name


class Router:
    def __init__(self, default_channel: str = "") -> None:
        self.default_channel = default_channel

    async def route(self, session: AsyncSession, device_id: str) -> Route | None:
        """The device's route; None for a lock Seam knows and lockbot does not."""
        query = select(Door).where(col(Door.device_id) == device_id).order_by(col(Door.id))
        door = (await session.exec(query)).first()
        if door is None:
            return None
        assert door.id is not None
        groups = await groups_of(session, door.id)
        routed = door.alert_channel or next(
            (g.alert_channel for g in groups if g.alert_channel), None
        )
        return Route(door, groups, routed or self.default_channel or None)
