"""Noise control, and the messages it keeps: one message per outage or flapping spell (edited
as it goes on), battery news at most once a day, good news only for those who heard the bad."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.events.kinds import CONNECTED, DISCONNECTED, LOW_BATTERY
from bot.events.wording import _LOW, battery_text, bold, duration
from bot.models import EventNotice, SeamEvent
from bot.ports import DeviceEvent, EventNotifier, MessageRef

log = logging.getLogger(__name__)

BATTERY_EVERY = timedelta(days=1)


class Notices:
    """EventRelay's noise control and its notices (the EventNotice rows), as a base it inherits."""

    # Set by EventRelay.__init__.
    db: Database
    notifier: EventNotifier
    flap: timedelta
    clock: Callable[[], datetime]

    # -- noise control -----------------------------------------------------------------------

    async def _battery(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        status = event.battery_status or ("low" if event.event_type == LOW_BATTERY else None)
        if status is None:
            return "ignored"
        notice = await self._notice(device_id, "battery")
        if status not in _LOW:
            # Good news is worth telling only to those who heard the bad news.
            if notice is None:
                return "ignored"
            if quiet:
                return "suppressed"
            outcome = await self._post(where, battery_text(name, status, event.battery_level))
            await self._drop_notice(device_id, "battery")
            return outcome
        now = self.clock()
        if notice is not None and now - notice.last_at < BATTERY_EVERY:
            return "suppressed"
        if quiet:
            return "suppressed"
        text = battery_text(name, status, event.battery_level)
        ref = await self._send(where, text)
        if ref is None:
            return "failed"
        await self._save_notice(device_id, "battery", ref, now, now, 1, text)
        return "relayed"

    async def _connection(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        """One message per outage, or per flapping spell: a reconnect, or another disconnect,
        within `flap_minutes` of the message's latest event edits it instead of posting."""
        at = event.occurred_at
        notice = await self._notice(device_id, "connection")
        recent = (
            notice is not None and notice.channel == where and at - notice.last_at <= self.flap
        )
        if event.event_type == DISCONNECTED:
            if notice is not None and recent:
                count = notice.count + 1
                text = f"📴 {bold(name)} flapped {count} times in {duration(at - notice.opened_at)}"
                text += "; offline now"
                await self._edit(notice, text, count=count, last_at=at)
                return "suppressed"
            if quiet:
                return "suppressed"
            text = f"📴 {bold(name)} went offline"
            ref = await self._send(where, text)
            if ref is None:
                return "failed"
            await self._save_notice(device_id, "connection", ref, at, at, 1, text)
            return "relayed"
        down_since = await self._down_since(event, device_id)
        if notice is not None and recent:
            if down_since is None:
                return "suppressed"  # its message already says it is online
            if notice.count == 1:
                text = f"📶 {bold(name)} was offline for {duration(at - down_since)}; online now"
            else:
                span = duration(at - notice.opened_at)
                text = f"📶 {bold(name)} flapped {notice.count} times in {span}; online now"
            await self._edit(notice, text, last_at=at)
            return "suppressed"
        if quiet:
            return "suppressed"
        after = f" after {duration(at - down_since)}" if down_since is not None else ""
        outcome = await self._post(where, f"📶 {bold(name)} is back online{after}")
        # The outage's message is done with: a new disconnect starts a new one.
        await self._drop_notice(device_id, "connection")
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

    # -- notices and posting -----------------------------------------------------------------

    async def _notice(self, device_id: str, kind: str) -> EventNotice | None:
        async with self.db.session() as session:
            query = select(EventNotice).where(
                col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
            )
            return (await session.exec(query)).first()

    async def _save_notice(
        self,
        device_id: str,
        kind: str,
        ref: MessageRef,
        opened_at: datetime,
        last_at: datetime,
        count: int,
        text: str,
    ) -> None:
        async with self.db.writing() as session:
            query = select(EventNotice).where(
                col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
            )
            row = (await session.exec(query)).first() or EventNotice(
                device_id=device_id, kind=kind, channel=ref.channel, ts=ref.ts,
                opened_at=opened_at, last_at=last_at,
            )
            row.channel, row.ts = ref.channel, ref.ts
            row.opened_at, row.last_at, row.count, row.text = opened_at, last_at, count, text[:2000]
            session.add(row)
            await session.commit()

    async def _drop_notice(self, device_id: str, kind: str) -> None:
        async with self.db.writing() as session:
            await session.exec(
                sa.delete(EventNotice).where(
                    col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
                )
            )
            await session.commit()

    async def _edit(self, notice: EventNotice, text: str, **values: object) -> None:
        # Edits notify nobody, so they go ahead in quiet hours: the message stays true.
        try:
            await self.notifier.update(MessageRef(notice.channel, notice.ts), text)
        except Exception:
            log.exception("could not update the message about device %s", notice.device_id)
        async with self.db.writing() as session:
            await session.exec(
                sa.update(EventNotice)
                .where(col(EventNotice.id) == notice.id)
                .values(text=text[:2000], **values)
            )
            await session.commit()

    async def _send(self, channel: str, text: str) -> MessageRef | None:
        try:
            return await self.notifier.post(channel, text)
        except Exception:
            # Telling is best effort; the event's row keeps what happened.
            log.exception("could not post device news in %s", channel)
            return None

    async def _post(self, channel: str, text: str) -> str:
        return "relayed" if await self._send(channel, text) is not None else "failed"
