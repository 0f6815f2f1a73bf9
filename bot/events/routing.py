"""Device news: which door an event is about, whether it is muted or held back by quiet hours,
where it goes (the door's alert channel, else its first group's by name, else the default), and
which sentence tells it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.door_state import OWN_LOCK_WINDOW
from bot.events.kinds import LOCKED, UNLOCKED
from bot.events.muting import groups_of, is_quiet
from bot.events.notices import Notices
from bot.events.unexpected import UnexpectedUnlocks
from bot.events.wording import bold, locked_text, unlocked_text
from bot.models import Door, DoorGroup, EventMute, LockRequest, LockStatus, QuietHours
from bot.ports import DeviceEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Door:
    """The door an event is about, as the relay needs it."""

    door: Door
    groups: list[DoorGroup]
    muted: bool
    channel: str | None

    @property
    def name(self) -> str:
        return self.door.name


class Routing(Notices, UnexpectedUnlocks):
    """EventRelay's device news, as a base it inherits; the tellers are its own bases."""

    # Set by EventRelay.__init__.
    default_channel: str

    async def _door(
        self, session: AsyncSession, event: DeviceEvent, device_id: str
    ) -> _Door | None:
        query = select(Door).where(col(Door.device_id) == device_id).order_by(col(Door.id))
        door = (await session.exec(query)).first()
        if door is None:
            return None
        assert door.id is not None
        groups = await groups_of(session, door.id)
        group_ids = [g.id for g in groups]
        mutes = select(EventMute.id).where(
            col(EventMute.event_type) == event.event_type,
            or_(col(EventMute.door_id) == door.id, col(EventMute.group_id).in_(group_ids)),
        )
        muted = (await session.exec(mutes)).first() is not None
        routed = door.alert_channel or next(
            (g.alert_channel for g in groups if g.alert_channel), None
        )
        return _Door(door, groups, muted, routed or self.default_channel or None)

    async def _device_news(self, event: DeviceEvent, device_id: str) -> str:
        async with self.db.session() as session:
            about = await self._door(session, event, device_id)
            if about is None:
                return "ignored"  # a lock Seam knows and lockbot does not
            if event.event_type == LOCKED and await self._ours(session, event, device_id):
                return "ignored"
            if about.muted:
                return "muted"
            if about.channel is None:
                log.warning(
                    "no channel for %s news of %s: set LOCKBOT_ALERT_CHANNEL, or "
                    "`lockbot doors alerts`",
                    event.event_type,
                    about.name,
                )
                return "ignored"
            hours = await session.get(QuietHours, about.channel)
            quiet = hours is not None and is_quiet(hours, self.clock())
            unexpected = None
            if event.event_type == UNLOCKED:
                unexpected = await self._unexpected(session, event, about)
        name, where = about.name, about.channel
        match event.event_type:
            case "device.tampered":
                return await self._post(where, f"🚨 {bold(name)} reports tampering")
            case "lock.unlocked":
                if unexpected is not None:
                    return await self._post(where, unexpected)
                if quiet:
                    return "suppressed"
                return await self._post(where, unlocked_text(name, event.method))
            case "lock.locked":
                if quiet:
                    return "suppressed"
                return await self._post(where, locked_text(name, event.method))
            case "device.low_battery" | "device.battery_status_changed":
                return await self._battery(event, device_id, name, where, quiet)
            case _:
                return await self._connection(event, device_id, name, where, quiet)

    async def _ours(self, session: AsyncSession, event: DeviceEvent, device_id: str) -> bool:
        """Whether lockbot itself asked for this lock: a request for the device pending, or
        ended, around the time of the event."""
        at = event.occurred_at
        query = select(LockRequest.id).where(
            col(LockRequest.device_id) == device_id,
            col(LockRequest.created_at) <= at + OWN_LOCK_WINDOW,
            or_(
                col(LockRequest.status) == LockStatus.PENDING,
                col(LockRequest.finished_at) >= at - OWN_LOCK_WINDOW,
            ),
        )
        return (await session.exec(query.limit(1))).first() is not None
