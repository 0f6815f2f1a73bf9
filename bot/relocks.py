"""Relocks: a door unlocked inside its lock window is locked again once its relock is due
(`bot/window_watch.py` opens the `relock` row), unless someone keeps it open.

The leader (the schedules' leader) looks every few seconds. A due row is claimed with one
conditional `UPDATE` (waiting → locking), so two replicas overlapping in a failover, or a
restart, carry it out once; a row due while the bot was down is carried out when it is back, if
its window still holds. Before it locks, it checks that the door is not in flight (then it looks
again a little later) and still unlocked (a live read; locked already: nothing to do). The lock
is an ordinary request through `LockService.submit`, `source="relock"`, told in the unlock
message's thread, with its request id `relock-<row>-<try>` naming it. A failed relock is tried
once more, then given up on and alerted: it never loops. A claim whose request was never
recorded (its process died in between) is put back after `CLAIM_TIMEOUT`.

Keep open postpones `due_at` (at most to the window's end, never sooner), for anyone who may
lock the door; "until the window ends" for admins. A removed schedule's waiting relocks are
dropped (its id is set to NULL). lockbot never unlocks anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot import audit, metrics
from bot.db import Database
from bot.locking import LockService, Requester, Submission
from bot.models import Door, LockRequest, LockStatus, Relock, utcnow
from bot.ports import DeviceReader, MessageRef, WindowNotifier
from bot.window_news import KeepOpenRefused, KeptOpen, NoRelock, RelockGaveUp, WindowNews

log = logging.getLogger(__name__)
TRIES = 2  # the relock, and one more after a failure
IN_FLIGHT_WAIT = timedelta(seconds=30)  # a door being locked: look again after this
CLAIM_TIMEOUT = timedelta(minutes=2)
_REFUSED = (LockStatus.DENIED, LockStatus.REJECTED)


def relock_request_id(relock_id: int, attempt: int) -> str:
    return f"relock-{relock_id}-{attempt}"


class Relocks:
    def __init__(
        self,
        db: Database,
        service: LockService,
        devices: DeviceReader,
        notifier: WindowNotifier,
        *,
        is_leader: Callable[[], bool],
        keep_open: timedelta,
        every_s: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.service = service
        self.devices = devices
        self.notifier = notifier
        self.is_leader = is_leader
        self.keep_open_for = keep_open
        self.every_s = every_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            if not self.is_leader():
                continue
            try:
                await self.look()
            except Exception:
                log.exception("the relock look failed; trying again")

    async def look(self) -> None:
        """Settle what was asked, put back lost claims, then carry out what is due."""
        now = self.clock()
        await self._settle_asked(now)
        await self._put_back_lost(now)
        async with self.db.writing() as session:
            # `relock never`: nothing is due, and the window's end closes the row.
            await session.exec(
                sa.update(Relock)
                .where(
                    col(Relock.state) == "waiting",
                    col(Relock.due_at).is_(None),
                    col(Relock.window_end) <= now,
                )
                .values(state="done", outcome="window_ended")
            )
            await session.commit()
        await self._drop_unscheduled()
        async with self.db.session() as session:
            query = select(Relock).where(col(Relock.state) == "waiting", col(Relock.due_at) <= now)
            due = list((await session.exec(query.order_by(col(Relock.due_at)))).all())
        for row in due:
            await self._due(row, now)

    async def _update(self, row_id: int, *conditions: Any, **values: Any) -> bool:
        """One conditional UPDATE of a row; True when it changed it (this process won)."""
        query = sa.update(Relock).where(col(Relock.id) == row_id, *conditions).values(**values)
        async with self.db.writing() as session:
            result = await session.exec(query)
            await session.commit()
        won = bool(result.rowcount == 1)
        if won and values.get("state") == "done":
            metrics.RELOCKS.labels(outcome=values["outcome"]).inc()
        return won

    async def _due(self, row: Relock, now: datetime) -> None:
        assert row.id is not None
        tries = row.tries + 1
        claimed = await self._update(
            row.id,
            col(Relock.state) == "waiting",
            col(Relock.due_at) <= now,
            state="locking",
            tries=tries,
            claimed_at=now,
            request_id=relock_request_id(row.id, tries),
        )
        if not claimed:
            return  # another leader got there first
        async with self.db.session() as session:
            door = await session.get(Door, row.door_id)
            in_flight = await _in_flight(session, row.door_id)
        if door is None:
            await self._update(row.id, state="done", outcome="refused")
            return
        if now >= row.window_end:
            await self._end(
                row,
                "window_ended",
                NoRelock(door.name, "window_ended", row.window_end, row.timezone),
            )
            return
        if in_flight:
            # Someone (Lock now, a schedule) is locking it: look again once that is over.
            await self._update(
                row.id, state="waiting", tries=row.tries, due_at=now + IN_FLIGHT_WAIT
            )
            return
        if await self._locked(door):
            news = NoRelock(door.name, "already_locked", row.window_end, row.timezone)
            await self._end(row, "already_locked", news)
            return
        await self._lock(row, door, tries)

    async def _locked(self, door: Door) -> bool:
        """Whether a live read says the door is locked; a read that fails says nothing."""
        try:
            return (await self.devices.get_lock(door.device_id)).locked is True
        except Exception as error:
            log.warning("relock: could not read %s (%s); locking anyway", door.name, error)
            return False

    async def _lock(self, row: Relock, door: Door, tries: int) -> None:
        assert row.id is not None
        thread = MessageRef(row.channel_id, row.message_ts) if row.message_ts else None
        requester = Requester(
            user_id=row.owner, source="relock", channel_id=row.channel_id, thread=thread
        )
        log.info("relock %s: locking %s again (try %d)", row.id, door.name, tries)
        submission = await self.service.submit(
            requester, door.name, relock_request_id(row.id, tries)
        )
        assert isinstance(submission, Submission)
        self.service.begin(submission)  # refused or joined: its final state is read next look

    async def _settle_asked(self, now: datetime) -> None:
        """Relocks whose request has ended: done, tried once more, or given up on."""
        async with self.db.session() as session:
            query = (
                select(Relock, LockRequest)
                .join(LockRequest, col(LockRequest.request_id) == col(Relock.request_id))
                .where(
                    col(Relock.state) == "locking", col(LockRequest.status) != LockStatus.PENDING
                )
            )
            ended = list((await session.exec(query)).all())
        for row, request in ended:
            assert row.id is not None
            asked = col(Relock.state) == "locking", col(Relock.request_id) == request.request_id
            if request.status is LockStatus.LOCKED:
                await self._update(row.id, *asked, state="done", outcome="relocked")
                continue
            again = row.tries < TRIES and request.status not in _REFUSED and now < row.window_end
            if again:
                log.warning("relock %s failed (%s); trying once more", row.id, request.error_type)
                await self._update(row.id, *asked, state="waiting", due_at=now)
                continue
            if await self._update(row.id, *asked, state="done", outcome="failed"):
                name = request.door_name or str(row.door_id)
                await self._tell(row, RelockGaveUp(name, row.tries, request.error_type))

    async def _drop_unscheduled(self) -> None:
        """A removed schedule's waiting relocks (its id set to NULL) are dropped, and told: who
        removes a window does not want its door locked again."""
        async with self.db.session() as session:
            query = select(Relock, Door).join(Door, col(Door.id) == col(Relock.door_id))
            orphans = (
                await session.exec(
                    query.where(col(Relock.state) == "waiting", col(Relock.schedule_id).is_(None))
                )
            ).all()
        for row, door in orphans:
            assert row.id is not None
            waiting = col(Relock.state) == "waiting"
            if await self._update(row.id, waiting, state="done", outcome="unscheduled"):
                await self._tell(
                    row, NoRelock(door.name, "unscheduled", row.window_end, row.timezone)
                )

    async def _put_back_lost(self, now: datetime) -> None:
        """Claims whose request was never recorded (their process died in between)."""
        async with self.db.session() as session:
            query = (
                select(Relock)
                .join(
                    LockRequest,
                    col(LockRequest.request_id) == col(Relock.request_id),
                    isouter=True,
                )
                .where(
                    col(Relock.state) == "locking",
                    col(Relock.claimed_at) <= now - CLAIM_TIMEOUT,
                    col(LockRequest.id).is_(None),
                )
            )
            lost = list((await session.exec(query)).all())
        for row in lost:
            assert row.id is not None
            log.warning("relock %s: its claim was lost; due again", row.id)
            await self._update(
                row.id,
                col(Relock.state) == "locking",
                col(Relock.request_id) == row.request_id,
                state="waiting",
                tries=row.tries - 1,
                due_at=now,
            )

    async def _end(self, row: Relock, outcome: str, news: WindowNews) -> None:
        assert row.id is not None
        if await self._update(
            row.id, col(Relock.state) == "locking", state="done", outcome=outcome
        ):
            await self._tell(row, news)

    async def _tell(self, row: Relock, news: WindowNews) -> None:
        try:
            await self.notifier.window_news(row.channel_id, row.message_ts, news)
        except Exception:
            log.exception("could not tell relock %s's news", row.id)

    # -- Keep open ---------------------------------------------------------------------------

    async def door_name(self, relock_id: int) -> str | None:
        """The name of the door a relock is about (Lock now locks it by name)."""
        async with self.db.session() as session:
            row = await session.get(Relock, relock_id)
            door = await session.get(Door, row.door_id) if row is not None else None
        return door.name if door is not None else None

    async def keep_open(
        self, relock_id: int, user_id: str, *, to_window_end: bool = False
    ) -> KeptOpen | KeepOpenRefused:
        """Postpone the relock (audited); the news is told in the thread, in a task."""
        access = self.service.access
        await access.membership(self.db, user_id, None)  # user groups, asked before the write
        async with self.db.writing() as session:
            row = await session.get(Relock, relock_id)
            door = await session.get(Door, row.door_id) if row is not None else None
            if row is None or door is None or door.id is None:
                return KeepOpenRefused("", "over")
            if not await access.may_lock(session, user_id, door.id):
                return KeepOpenRefused(door.name, "may_not_lock")
            if to_window_end and not await access.is_admin(session, user_id):
                return KeepOpenRefused(door.name, "admins_only")
            now = self.clock()
            due = row.due_at
            # Done, `relock never`, its schedule removed, or its window over: nothing to postpone.
            if (
                row.state != "waiting"
                or due is None
                or row.schedule_id is None
                or now >= row.window_end
            ):
                return KeepOpenRefused(door.name, "over")
            until = (
                row.window_end if to_window_end else min(now + self.keep_open_for, row.window_end)
            )
            if until <= due:
                # Keep open only postpones: a tap never brings the relock sooner.
                ends = due >= row.window_end
                return KeepOpenRefused(door.name, "kept", due, row.timezone, ends)
            result = await session.exec(
                sa.update(Relock)
                .where(
                    col(Relock.id) == relock_id,
                    col(Relock.state) == "waiting",
                    col(Relock.due_at) < until,
                )
                .values(due_at=until)
            )
            if result.rowcount != 1:
                return KeepOpenRefused(door.name, "over")
            audit.record(
                session,
                user_id,
                "keep_open",
                door.name,
                f"relock {relock_id} until {until:%Y-%m-%d %H:%M} UTC",
            )
            await session.commit()
        # Kept to the window's end (a tap can reach it too): no relock is left.
        kept = KeptOpen(door.name, user_id, until, row.timezone, until >= row.window_end)
        # Told after the tap's ack (a Slack post waits for no one's 3 s), in a tracked task.
        self.service.spawn(self._tell(row, kept))
        return kept


async def _in_flight(session: Any, door_id: int) -> bool:
    query = select(LockRequest.id).where(
        col(LockRequest.door_id) == door_id,
        col(LockRequest.status) == LockStatus.PENDING,
        col(LockRequest.joined_id).is_(None),
    )
    return (await session.exec(query)).first() is not None
