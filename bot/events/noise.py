"""Noise control: device news held back (lockbot's own locks, mutes, quiet hours) or folded
into an earlier message (one message per outage or flapping spell, edited as it goes on; battery
news at most once a day; good news only for those who heard the bad)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.door_state import OWN_LOCK_WINDOW
from bot.events.kinds import CONNECTED, DISCONNECTED, LOCKED, LOW_BATTERY
from bot.events.muting import is_quiet
from bot.events.notices import Notices
from bot.events.routing import Route
from bot.events.telling import Teller
from bot.models import EventMute, LockRequest, LockStatus, QuietHours, SeamEvent, utcnow
from bot.news import Battery, Flapping, Offline, Online, Outage, is_low
from bot.ports import DeviceEvent

BATTERY_EVERY = timedelta(days=1)


class NoiseControl:
    def __init__(
        self,
        db: Database,
        tell: Teller,
        *,
        flap: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.tell = tell
        self.notices = Notices(db, tell)
        self.flap = flap
        self.clock = clock

    # -- held back ---------------------------------------------------------------------------

    async def held(
        self, session: AsyncSession, event: DeviceEvent, device_id: str, route: Route
    ) -> str | None:
        """Why the news is not told: "ignored" for a lock lockbot asked for itself, "muted" for
        news muted for the door or one of its groups; None for news that may be told."""
        if event.event_type == LOCKED and await self._ours(session, event, device_id):
            return "ignored"
        group_ids = [g.id for g in route.groups]
        mutes = select(EventMute.id).where(
            col(EventMute.event_type) == event.event_type,
            or_(col(EventMute.door_id) == route.door.id, col(EventMute.group_id).in_(group_ids)),
        )
        if (await session.exec(mutes)).first() is not None:
            return "muted"
        return None

    async def quiet(self, session: AsyncSession, channel: str) -> bool:
        """Whether the channel's quiet hours hold news back now."""
        hours = await session.get(QuietHours, channel)
        return hours is not None and is_quiet(hours, self.clock())

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

    # -- folded into an earlier message ------------------------------------------------------

    async def battery(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        status = event.battery_status or ("low" if event.event_type == LOW_BATTERY else None)
        if status is None:
            return "ignored"
        notice = await self.notices.find(device_id, "battery")
        if not is_low(status):
            # Good news is worth telling only to those who heard the bad news.
            if notice is None:
                return "ignored"
            if quiet:
                return "suppressed"
            outcome = await self.tell.post(where, Battery(name, status, event.battery_level))
            await self.notices.drop(device_id, "battery")
            return outcome
        now = self.clock()
        if notice is not None and now - notice.last_at < BATTERY_EVERY:
            return "suppressed"
        if quiet:
            return "suppressed"
        news = Battery(name, status, event.battery_level)
        return await self.notices.open(device_id, "battery", where, news, now)

    async def connection(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        """One message per outage, or per flapping spell: a reconnect, or another disconnect,
        within `flap` of the message's latest event edits it instead of posting."""
        at = event.occurred_at
        notice = await self.notices.find(device_id, "connection")
        recent = notice is not None and notice.channel == where and at - notice.last_at <= self.flap
        if event.event_type == DISCONNECTED:
            if notice is not None and recent:
                count = notice.count + 1
                flapping = Flapping(name, count, at - notice.opened_at, online=False)
                await self.notices.edit(notice, flapping, count=count, last_at=at)
                return "suppressed"
            if quiet:
                return "suppressed"
            return await self.notices.open(device_id, "connection", where, Offline(name), at)
        down_since = await self._down_since(event, device_id)
        if notice is not None and recent:
            if down_since is None:
                return "suppressed"  # its message already says it is online
            news: Outage | Flapping
            if notice.count == 1:
                news = Outage(name, at - down_since)
            else:
                news = Flapping(name, notice.count, at - notice.opened_at, online=True)
            await self.notices.edit(notice, news, last_at=at)
            return "suppressed"
        if quiet:
            return "suppressed"
        down_for = at - down_since if down_since is not None else None
        outcome = await self.tell.post(where, Online(name, down_for))
        # The outage's message is done with: a new disconnect starts a new one.
        await self.notices.drop(device_id, "connection")
        return outcome

    async def _down_since(self, event: DeviceEvent, device_id: str) -> datetime | None:
        """When the device went offline, if its latest connection event before this one was a
        disconnect (told or not: quiet hours may have held it back)."""
        async with self.db.session() as session:
            query = (
                select(SeamEvent)
                .where(
                    col(SeamEvent.device_id) == device_id,
                    col(SeamEvent.event_type).in_((DISCONNECTED, CONNECTED)),
                    col(SeamEvent.occurred_at) <= event.occurred_at,
                    col(SeamEvent.event_id) != event.event_id[:64],
                )
                .order_by(col(SeamEvent.occurred_at).desc(), col(SeamEvent.id).desc())
                .limit(1)
            )
            last = (await session.exec(query)).first()
        if last is None or last.event_type != DISCONNECTED:
            return None
        return last.occurred_at
