"""Group runs (`/lock floor 2`): the batch's doors locked at most `fanout_limit` at a time,
each through the tracker like a single door, then the summary written and told once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.locking.tracker import Tracker
from bot.logs import bind_request
from bot.models import LockBatch, LockRequest, LockStatus, Rejection, utcnow
from bot.ports import Notifier

log = logging.getLogger(__name__)


_SKIPPED_WHY: dict[str, str] = {
    Rejection.DOOR_MISSING: "missing from Seam",
    Rejection.WRONG_CHANNEL: "not from this channel",
}


def group_summary(members: list[LockRequest]) -> str:
    """Plain words for a group's outcome: "3 of 4 locked, 1 failed: Back Door (device_offline)"."""
    locked = [r for r in members if r.status is LockStatus.LOCKED]
    skipped = [r for r in members if r.status in (LockStatus.REJECTED, LockStatus.DENIED)]
    failed = [r for r in members if r.status.final and r not in locked and r not in skipped]
    pending = [r for r in members if not r.status.final]
    parts = [f"{len(locked)} of {len(members)} locked"]
    if failed:
        names = ", ".join(f"{r.door_name} ({r.error_type or 'error'})" for r in failed)
        parts.append(f"{len(failed)} failed: {names}")
    if skipped:
        names = ", ".join(
            f"{r.door_name} ({_SKIPPED_WHY.get(r.error_type or '', r.error_type)})" for r in skipped
        )
        parts.append(f"{len(skipped)} skipped: {names}")
    if pending:
        parts.append(f"{len(pending)} still going")
    return ", ".join(parts)


class GroupRuns:
    def __init__(self, tracker: Tracker, fanout_limit: int = 10) -> None:
        self.tracker = tracker
        self.db: Database = tracker.db
        self.notifier: Notifier = tracker.notifier
        # Doors of one group locked at the same time, from `lock_door` until the outcome.
        self.fanout_limit = max(1, fanout_limit)

    async def start_group(self, batch_id: int) -> None:
        """Lock a group's doors, at most `fanout_limit` at a time, then tell the summary once."""
        batch = await self.load_batch(batch_id)
        if batch is None or batch.status.final:
            return
        bind_request(batch.request_id)
        members = await self.members(batch_id)
        if batch.message_ts is None:
            ref = await self.tracker.notify_call(self.notifier.group_started(batch, members))
            if ref is not None:
                batch = await self._update_batch(
                    batch_id, message_channel=ref.channel, message_ts=ref.ts
                )
                async with self.db.writing() as session:
                    await session.exec(
                        sa.update(LockRequest)
                        .where(col(LockRequest.batch_id) == batch_id)
                        .values(message_channel=ref.channel, message_ts=ref.ts)
                    )
                    await session.commit()
        slots = asyncio.Semaphore(self.fanout_limit)

        async def one(row: LockRequest) -> None:
            assert row.id is not None
            async with slots:
                if row.joined_id is None:
                    await self.tracker.start(row.id)
                await self._wait_final(row.id)

        await asyncio.gather(*(one(row) for row in members if not row.status.final))
        await self.finish_group(batch_id)

    async def _wait_final(self, request_id: int) -> None:
        """Until the row is final: woken by `settle` here, or found so in the database when
        another process (or the sweeper) settled it."""
        event = self.tracker.settled_event(request_id)
        try:
            while True:
                row = await self.tracker.load(request_id)
                if row is None or row.status.final:
                    return
                try:
                    await asyncio.wait_for(event.wait(), timeout=5.0)
                except TimeoutError:
                    continue
        finally:
            self.tracker.forget(request_id)

    async def finish_group(self, batch_id: int) -> LockBatch | None:
        """Write the group's outcome once every door has one; only the writer tells anyone."""
        members = await self.members(batch_id)
        if any(not row.status.final for row in members):
            return None
        locked = all(row.status is LockStatus.LOCKED for row in members)
        status = LockStatus.LOCKED if locked else LockStatus.FAILED
        async with self.db.writing() as session:
            result = await session.exec(
                sa.update(LockBatch)
                .where(col(LockBatch.id) == batch_id)
                .where(col(LockBatch.status) == LockStatus.PENDING)
                .values(status=status, finished_at=utcnow(), lease_until=None)
            )
            await session.commit()
            if result.rowcount != 1:
                return None
        await self._update_batch(batch_id, summary=group_summary(members)[:1000])
        batch = await self.load_batch(batch_id)
        assert batch is not None
        log.info(
            "group lock %s settled: %d of %d locked after %.1f s",
            batch_id,
            sum(row.status is LockStatus.LOCKED for row in members),
            len(members),
            batch.elapsed_s or 0.0,
        )
        await self.tracker.notify(self.notifier.group_finished(batch, members))
        return batch

    async def load_batch(self, batch_id: int) -> LockBatch | None:
        async with self.db.session() as session:
            return await session.get(LockBatch, batch_id)

    async def members(self, batch_id: int) -> list[LockRequest]:
        async with self.db.session() as session:
            query = (
                select(LockRequest)
                .where(col(LockRequest.batch_id) == batch_id)
                .order_by(col(LockRequest.id))
            )
            return list((await session.exec(query)).all())

    async def _update_batch(self, batch_id: int, **values: Any) -> LockBatch:
        return await self.db.update(LockBatch, batch_id, **values)
