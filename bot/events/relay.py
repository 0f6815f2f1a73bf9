"""EventRelay: claim each event once by its id, then settle the lock request waiting on it or
tell its device news. The device news parts are its bases, by topic (routing, notices,
unexpected)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.door_state import remember
from bot.events.facts import facts_of
from bot.events.kinds import EVENT_TYPES, LOCK_FAILED, LOCK_SUCCEEDED
from bot.events.routing import Routing
from bot.models import LockRequest, LockStatus, SeamEvent, utcnow
from bot.ports import DeviceEvent, EventNotifier

if TYPE_CHECKING:
    from bot.locking import LockService

log = logging.getLogger(__name__)


class EventRelay(Routing):
    def __init__(
        self,
        db: Database,
        service: LockService,
        notifier: EventNotifier,
        *,
        default_channel: str = "",
        flap_minutes: float = 10.0,
        locked_hours: float = 8.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.service = service
        self.notifier = notifier
        self.default_channel = default_channel
        self.flap = timedelta(minutes=flap_minutes)
        self.locked = timedelta(hours=locked_hours)
        self.clock = clock
        # The webhook and the poller can hand us two events of one device at once; the notices
        # they both read and rewrite need them one after the other.
        self._devices: dict[str, asyncio.Lock] = {}

    async def handle(self, event: DeviceEvent, via: str) -> str:
        """Handle one event once (its id is the dedupe key); returns what was done with it:
        duplicate, relayed, muted, suppressed, settled, ignored; or failed (Slack refused the
        post) and error (a bug here; logged, and kept so the event is not handled again)."""
        if not await self._claim(event, via):
            log.info("seam event %s (%s) via %s: duplicate", event.event_id, event.event_type, via)
            return "duplicate"
        try:
            outcome = await self._dispatch(event)
        except Exception:
            log.exception("seam event %s (%s): handling failed", event.event_id, event.event_type)
            outcome = "error"
        async with self.db.writing() as session:
            await session.exec(
                sa.update(SeamEvent)
                .where(col(SeamEvent.event_id) == event.event_id[:64])
                .values(outcome=outcome)
            )
            await session.commit()
        log.info(
            "seam event %s (%s, device %s) via %s: %s",
            event.event_id,
            event.event_type,
            event.device_id,
            via,
            outcome,
        )
        return outcome

    async def _claim(self, event: DeviceEvent, via: str) -> bool:
        row = SeamEvent(
            event_id=event.event_id[:64],
            event_type=event.event_type[:80],
            device_id=event.device_id[:120] if event.device_id else None,
            occurred_at=event.occurred_at,
            received_at=self.clock(),
            via=via[:16],
        )
        try:
            async with self.db.writing() as session:
                session.add(row)
                await session.commit()
        except sa.exc.IntegrityError:
            return False  # the other way in (or an earlier poll) got it first
        return True

    async def _dispatch(self, event: DeviceEvent) -> str:
        if event.event_type in (LOCK_SUCCEEDED, LOCK_FAILED):
            return await self._attempt(event)
        if event.event_type not in EVENT_TYPES or not event.device_id:
            return "ignored"
        if (facts := facts_of(event)) is not None:
            # Kept whatever becomes of the news (muted, quiet hours, a door added later).
            await remember(self.db, [(event.device_id, facts)])
        lock = self._devices.setdefault(event.device_id, asyncio.Lock())
        async with lock:
            return await self._device_news(event, event.device_id)

    # -- attempt outcomes --------------------------------------------------------------------

    async def _attempt(self, event: DeviceEvent) -> str:
        if not event.action_attempt_id:
            return "ignored"
        async with self.db.session() as session:
            query = select(LockRequest.id).where(
                col(LockRequest.action_attempt_id) == event.action_attempt_id,
                col(LockRequest.status) == LockStatus.PENDING,
            )
            request_ids = list((await session.exec(query)).all())
        settled = False
        for request_id in request_ids:
            assert request_id is not None
            if event.event_type == LOCK_SUCCEEDED:
                row = await self.service.settle(request_id, LockStatus.LOCKED)
            elif not event.error_type:
                # A polled failure comes without its error (the SDK's event class drops it);
                # one read of the attempt has it, and that read settles the request itself.
                await self.service.tracker.poll(request_id, 0)
                row = await self.service.load(request_id)
                row = row if row is not None and row.status.final else None
            else:
                row = await self.service.settle(
                    request_id,
                    LockStatus.FAILED,
                    event.error_type or "unknown_error",
                    event.error_message or "Seam reported an error without details",
                )
            # None: the poll (or the sweeper) wrote the outcome first and has told it.
            settled = settled or row is not None
        return "settled" if settled else "ignored"
