"""Noticing an unlocked door inside a lock window (`bot.windows`): from a `lock.unlocked`
event (the relay asks `unlocked`), or, for locks whose events do not come, from a live read
every few minutes (`check`, on the leader).

An unlock inside a window opens a `relock` row (one open per door: a unique index is the
referee, so the webhook, the poller and the check cannot open two) and is told in the window's
channel with Lock now and Keep open, whatever the channel's quiet hours or the door's mutes:
telling it is the point of the window. `bot.relocks` carries the row out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics
from bot.db import Database
from bot.models import Door, LockRequest, LockStatus, Relock, Schedule, ScheduleRun, utcnow
from bot.ports import CodeReader, DeviceEvent, DeviceReader, WindowNotifier
from bot.schedules import when_of, window_of
from bot.window_news import WindowUnlock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenWindow:
    """The window a schedule's run opened over a door."""

    schedule: Schedule
    start: datetime
    end: datetime
    relock_after: timedelta | None


def _runs_over(door_id: int | None = None) -> sa.Select[tuple[ScheduleRun, Schedule, int]]:
    """Windowed schedules' runs that asked Seam to lock a door (the door's, when given)."""
    query = (
        select(ScheduleRun, Schedule, LockRequest.door_id)
        .join(Schedule, col(Schedule.id) == col(ScheduleRun.schedule_id))
        .join(LockRequest, col(LockRequest.batch_id) == col(ScheduleRun.batch_id))
        .where(
            col(Schedule.window_minutes).is_not(None),
            col(LockRequest.status).not_in((LockStatus.REJECTED, LockStatus.DENIED)),
            col(ScheduleRun.outcome).in_(("ran", "late")),
        )
    )
    if door_id is not None:
        query = query.where(col(LockRequest.door_id) == door_id)
    return query  # type: ignore[return-value]


def _window(run: ScheduleRun, schedule: Schedule, at: datetime) -> OpenWindow | None:
    window = window_of(schedule)
    assert window is not None
    end = window.end(when_of(schedule), run.fire_at)
    # The window starts with the lock: a late run locked the door only when it ran.
    if not (run.started_at <= at < end):
        return None
    return OpenWindow(schedule, run.fire_at, end, window.relock_after)


async def window_at(session: AsyncSession, door_id: int, at: datetime) -> OpenWindow | None:
    """The lock window holding `door_id` at `at`, if one does."""
    query = (
        _runs_over(door_id)
        .where(col(ScheduleRun.started_at) <= at)
        .order_by(col(ScheduleRun.started_at).desc())
        .limit(1)
    )
    found = (await session.exec(query)).first()  # type: ignore[call-overload]
    if found is None:
        return None
    run, schedule, _ = found
    return _window(run, schedule, at)


class WindowWatch:
    def __init__(
        self,
        db: Database,
        notifier: WindowNotifier,
        devices: DeviceReader,
        codes: CodeReader,
        *,
        keep_open: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.devices = devices
        self.codes = codes
        self.keep_open = keep_open
        self.clock = clock

    async def unlocked(self, door: Door, event: DeviceEvent) -> str | None:
        """The relay's outcome for an unlock inside a window (relayed, failed, or suppressed
        when one is already told); None when no window holds the door then."""
        assert door.id is not None
        at = event.occurred_at
        async with self.db.session() as session:
            window = await window_at(session, door.id, at)
        if window is None:
            return None
        return await self._open(door, event.method, at, window, event.access_code_id)

    async def _code_name(self, access_code_id: str | None) -> str | None:
        if access_code_id is None:
            return None
        try:
            return await self.codes.access_code_name(access_code_id)
        except Exception as error:
            log.warning("no name for access code %s (%s)", access_code_id, error)
            return None

    async def _open(
        self,
        door: Door,
        method: str | None,
        at: datetime,
        window: OpenWindow,
        access_code_id: str | None = None,
    ) -> str:
        assert door.id is not None
        schedule = window.schedule
        relock_at = None if window.relock_after is None else at + window.relock_after
        due = relock_at if relock_at is not None and relock_at < window.end else None
        row = Relock(
            door_id=door.id,
            schedule_id=schedule.id,
            owner=schedule.created_by,
            channel_id=schedule.channel_id,
            timezone=schedule.timezone,
            method=method,
            unlocked_at=at,
            window_end=window.end,
            due_at=due,
        )
        try:
            async with self.db.writing() as session:
                await _close_locked_since(session, door.id, at)
                session.add(row)
                await session.commit()
                await session.refresh(row)
        except sa.exc.IntegrityError:
            log.info("%s unlocked again; its relock is already waiting", door.name)
            return "suppressed"
        assert row.id is not None
        code = await self._code_name(access_code_id)
        news = WindowUnlock(
            row.id, door.name, method, code, at, window.end, due, schedule.timezone, self.keep_open
        )
        try:
            ref = await self.notifier.window_unlocked(schedule.channel_id, news)
        except Exception:
            log.exception("could not tell that %s was unlocked in its window", door.name)
            ref = None
        if ref is None:
            return "failed"
        async with self.db.writing() as session:
            await session.exec(
                sa.update(Relock).where(col(Relock.id) == row.id).values(message_ts=ref.ts)
            )
            await session.commit()
        return "relayed"

    async def check(self) -> None:
        """For locks whose events do not come: read every door inside a window now, and treat
        one found unlocked as an unlock (the leader runs this every few minutes)."""
        now = self.clock()
        async with self.db.session() as session:
            # A window is at most a day long: older runs' windows are over.
            recent = _runs_over().where(
                col(ScheduleRun.started_at) <= now,
                col(ScheduleRun.started_at) > now - timedelta(days=1, hours=1),
            )
            rows = (await session.exec(recent)).all()  # type: ignore[call-overload]
            latest: dict[int, tuple[ScheduleRun, Schedule]] = {}
            for run, schedule, door_id in rows:
                if door_id not in latest or latest[door_id][0].started_at < run.started_at:
                    latest[door_id] = (run, schedule)
            watched: list[tuple[Door, OpenWindow]] = []
            for door_id, (run, schedule) in latest.items():
                window = _window(run, schedule, now)
                door = await session.get(Door, door_id)
                # A door whose relock already waits is read too: if lockbot locked it since
                # (Lock now), an unlock found now is a new one, which `_open` tells anew.
                if window is None or door is None or await _relocking(session, door_id):
                    continue
                watched.append((door, window))
        for door, window in watched:
            try:
                state = await self.devices.get_lock(door.device_id)
            except Exception as error:
                log.warning("window check: could not read %s (%s)", door.name, error)
                continue
            if state.locked is False:
                log.info("window check: %s found unlocked inside its window", door.name)
                await self._open(door, None, now, window)


async def _close_locked_since(session: AsyncSession, door_id: int, at: datetime) -> None:
    """A waiting relock whose door lockbot locked after its unlock (Lock now, a `/lock`) has
    told its story: an unlock at `at`, after that lock, is a new one, told and relocked anew,
    not suppressed as the same (with `relock never`, nothing would ever tell it)."""
    query = select(Relock).where(col(Relock.door_id) == door_id, col(Relock.state) == "waiting")
    waiting = (await session.exec(query)).first()
    if waiting is None:
        return
    locked = select(LockRequest.id).where(
        col(LockRequest.door_id) == door_id,
        col(LockRequest.status) == LockStatus.LOCKED,
        col(LockRequest.finished_at) > waiting.unlocked_at,
        col(LockRequest.finished_at) <= at,
    )
    if (await session.exec(locked)).first() is None:
        return
    closed = await session.exec(
        sa.update(Relock)
        .where(col(Relock.id) == waiting.id, col(Relock.state) == "waiting")
        .values(state="done", outcome="already_locked")
    )
    if closed.rowcount == 1:
        metrics.RELOCKS.labels(outcome="already_locked").inc()


async def _relocking(session: AsyncSession, door_id: int) -> bool:
    """Whether lockbot is locking the door again right now (its read would say unlocked)."""
    query = select(Relock.id).where(col(Relock.door_id) == door_id, col(Relock.state) == "locking")
    return (await session.exec(query)).first() is not None
