"""EventRelay: the one handler for Seam events, from the parts it is handed.

Each event is claimed once by its id, its facts about the lock are kept, then it settles the
lock request waiting on it, or its device news is routed, put through noise control and told."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from bot.db import Database
from bot.door_state import remember
from bot.events.attempts import Attempts
from bot.events.facts import facts_of
from bot.events.kinds import EVENT_TYPES, LOCK_FAILED, LOCK_SUCCEEDED, UNLOCKED
from bot.events.noise import NoiseControl
from bot.events.routing import Router
from bot.events.telling import Teller
from bot.events.unexpected import UnexpectedUnlocks
from bot.models import SeamEvent, utcnow
from bot.news import Locked, Tampered, Unlocked
from bot.ports import DeviceEvent
from bot.window_watch import WindowWatch

log = logging.getLogger(__name__)


@dataclass(eq=False)  # it holds state (the device locks): equal only to itself
class EventRelay:
    db: Database
    attempts: Attempts
    router: Router
    noise: NoiseControl
    unexpected: UnexpectedUnlocks
    tell: Teller
    # Lock windows (bot/window_watch.py): an unlock inside one is told past mutes and quiet hours.
    windows: WindowWatch | None = field(default=None, kw_only=True)
    clock: Callable[[], datetime] = field(default=utcnow, kw_only=True)
    # The webhook and the poller can hand us two events of one device at once; the notices
    # they both read and rewrite need them one after the other.
    _devices: dict[str, asyncio.Lock] = field(default_factory=dict, init=False, repr=False)

    async def handle(self, event: DeviceEvent, via: str) -> str:
        """Handle one event once (its id is the dedupe key); returns what was done with it:
        duplicate, relayed, muted, suppressed, settled, ignored; or failed (Slack refused the
        post) and error (a bug here; logged, and kept so the event is not handled again)."""
        if not await self._claim(event, via):
            log.info("seam event %s (%s) via %s: duplicate", event.event_id, event.event_type, via)
            return "duplicate"
        try:
            outcome = await self._handle_claimed(event)
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

    async def _handle_claimed(self, event: DeviceEvent) -> str:
        device_id = event.device_id
        if device_id and (facts := facts_of(event)) is not None:
            # Kept whatever becomes of the news (muted, quiet hours, a door added later).
            await remember(self.db, [(device_id, facts)])
        if event.event_type in (LOCK_SUCCEEDED, LOCK_FAILED):
            return await self.attempts.settle(event)
        if event.event_type not in EVENT_TYPES or not device_id:
            return "ignored"
        async with self._devices.setdefault(device_id, asyncio.Lock()):
            return await self._device_news(event, device_id)

    async def _device_news(self, event: DeviceEvent, device_id: str) -> str:
        async with self.db.session() as session:
            route = await self.router.route(session, device_id)
            if route is None:
                return "ignored"  # a lock Seam knows and lockbot does not
        if event.event_type == UNLOCKED and self.windows is not None:
            told = await self.windows.unlocked(route.door, event)
            if told is not None:
                return told
        async with self.db.session() as session:
            held = await self.noise.held(session, event, device_id, route)
            if held is not None:
                return held
            if route.channel is None:
                log.warning(
                    "no channel for %s news of %s: set LOCKBOT_ALERT_CHANNEL, or "
                    "`lockbot doors alerts`",
                    event.event_type,
                    route.name,
                )
                return "ignored"
            quiet = await self.noise.quiet(session, route.channel)
            unexpected = None
            if event.event_type == UNLOCKED:
                unexpected = await self.unexpected.warning(session, event, route.door)
        name, where = route.name, route.channel
        match event.event_type:
            case "device.tampered":
                return await self.tell.post(where, Tampered(name))
            case "lock.unlocked":
                if unexpected is not None:
                    return await self.tell.post(where, unexpected)
                if quiet:
                    return "suppressed"
                return await self.tell.post(where, Unlocked(name, event.method))
            case "lock.locked":
                if quiet:
                    return "suppressed"
                return await self.tell.post(where, Locked(name, event.method))
            case "device.low_battery" | "device.battery_status_changed":
                return await self.noise.battery(event, device_id, name, where, quiet)
            case _:
                return await self.noise.connection(event, device_id, name, where, quiet)
