"""The poller: Seam's event log read every few seconds, for set-ups that get no webhook.

Socket Mode bots have no public URL for Seam to call, and an HTTP bot without
SEAM_WEBHOOK_SECRET cannot check who is calling; both read `/events/list` instead.

Where it is kept: the `event_cursor` row holds the `since` of the next read: the newest event
handed on, minus OVERLAP, because Seam files an event under when it happened and some arrive late;
the relay's dedupe on event_id makes the re-read ones harmless. The overlap is subtracted when the
row is written rather than when it is read, so that it never reaches back before the first start:
a new install begins at "now" and does not relay the history before it. The row moves only after
its events were handled, so a restart (or a failover to another replica) neither replays nor
skips events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import col

from bot.db import Database
from bot.models import EventCursor
from bot.ports import BackendError, DeviceEvent, EventSource

log = logging.getLogger(__name__)
CURSOR = "seam_events"
OVERLAP = timedelta(seconds=30)
# A stop lets the poll under way finish (its events are mid-hand-off) for at most this long.
STOP_GRACE_S = 5.0
LEADER_CHECK_S = 0.5


class EventHandler(Protocol):
    """What both ways in hand events to (bot.events.EventRelay)."""

    async def handle(self, event: DeviceEvent, via: str) -> str: ...


@dataclass(eq=False)
class EventPoller:
    db: Database
    source: EventSource
    relay: EventHandler
    interval_s: float
    is_leader: Callable[[], bool]
    _: KW_ONLY
    overlap: timedelta = OVERLAP
    # Ids handed on by the last poll, so the overlap re-read does not cost a database round
    # trip per event every poll; the relay's dedupe stays the guarantee (this forgets on
    # restart). The window only moves forward, so an id missing from one listing is gone.
    _recent: set[str] = field(default_factory=set, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def start(self) -> None:
        if self.interval_s <= 0:
            log.info("Seam events: polling is off (LOCKBOT_EVENTS_POLL=0)")
            return
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_S)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            # Only the replica that runs the schedules polls, so two replicas never relay the
            # same event at once (the dedupe would hold, but the work would be doubled).
            wait_s = self.interval_s
            if self.is_leader():
                try:
                    await self.poll_once()
                except BackendError as error:
                    log.warning("Seam events: could not list events (%s)", error.code)
                except Exception:
                    log.exception("Seam events: the poll failed; trying again next time")
            else:
                # Leadership is settled within a second of start (and of a failover); a long
                # poll interval should not delay the first poll after it.
                wait_s = min(wait_s, LEADER_CHECK_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait_s)

    async def cursor(self) -> datetime:
        """Where the next read starts; the first poll of a new install starts now, because
        relaying history would flood the channel with old news."""
        async with self.db.session() as session:
            row = await session.get(EventCursor, CURSOR)
        if row is not None:
            return row.since
        now = datetime.now(UTC)
        try:
            async with self.db.writing() as session:
                session.add(EventCursor(name=CURSOR, since=now))
                await session.commit()
        except sa.exc.IntegrityError:
            # Another replica wrote it first (a failover at first start): use theirs.
            async with self.db.session() as session:
                row = await session.get(EventCursor, CURSOR)
            assert row is not None
            return row.since
        return now

    async def _advance(self, to: datetime) -> None:
        # Forward only: an older poll finishing late must not pull the cursor back.
        await self.db.advance(EventCursor, "since", to, col(EventCursor.name) == CURSOR)

    async def poll_once(self) -> list[tuple[DeviceEvent, str]]:
        """One read of the event log; returns the events handed to the relay and its answers."""
        since = await self.cursor()
        asked_at = datetime.now(UTC)
        events = await self.source.list_events(since)
        handled: list[tuple[DeviceEvent, str]] = []
        done: set[str] = set()
        newest: datetime | None = None
        for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
            if event.event_id not in self._recent:
                try:
                    outcome = await self.relay.handle(event, "poll")
                except Exception:
                    # Stop here so the cursor stays before this event and the next poll retries
                    # it; moving past it could drop it for good once it falls out of the overlap.
                    log.exception("Seam events: could not handle %s", event.event_id)
                    break
                handled.append((event, outcome))
            done.add(event.event_id)
            # Capped at when we asked: an event stamped in the future (a clock ahead of ours)
            # must not carry the cursor past events that have not happened yet.
            seen = min(event.occurred_at, asked_at)
            newest = seen if newest is None else max(newest, seen)
        if newest is not None and newest - self.overlap > since:
            await self._advance(newest - self.overlap)
        self._recent = done
        return handled
