"""Group locks (`/lock floor 2`): one row per door under a batch, locked at most
`fanout_limit` at a time, then one summary. `LockService` gets these methods from `GroupLocks`;
the single-door path it builds on stays in bot.locking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.logs import bind_request
from bot.models import Door, LockBatch, LockRequest, LockStatus, utcnow

if TYPE_CHECKING:
    from bot.access import AccessPolicy, Membership, Verdict
    from bot.db import Database
    from bot.lease import Lease
    from bot.locking import Requester, Timing
    from bot.ports import Notifier

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class GroupSubmission:
    """A `/lock <group>`: one row per door, all pointing at `batch`."""

    batch: LockBatch
    members: list[LockRequest] = field(default_factory=list)
    # Doors of the group the user may not lock; any of them denies the whole group.
    blocked: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.batch.status is LockStatus.PENDING


_SKIPPED_WHY = {"door_missing": "missing from Seam", "wrong_channel": "not from this channel"}


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


class GroupLocks:
    """The group half of `LockService`, which provides what is declared below."""

    if TYPE_CHECKING:
        db: Database
        notifier: Notifier
        access: AccessPolicy
        timing: Timing
        fanout_limit: int
        lease: Lease
        _settled: dict[int, asyncio.Event]

        async def _vet(
            self, session: AsyncSession, row: LockRequest, door: Door, requester: Requester
        ) -> list[str]: ...

        async def _in_flight(self, session: AsyncSession, door_id: int) -> LockRequest | None: ...

        async def start(self, request_id: int) -> None: ...

        async def load(self, request_id: int) -> LockRequest | None: ...

        async def _notify_call(self, call: Coroutine[Any, Any, T]) -> T | None: ...

        async def _notify(self, call: Coroutine[Any, Any, None]) -> None: ...

    async def _record_group(
        self,
        session: AsyncSession,
        requester: Requester,
        text: str,
        request_id: str,
        name: str,
        group_id: int | None,
        doors: list[Door],
        membership: Membership | None = None,
    ) -> GroupSubmission:
        now = utcnow()
        batch = LockBatch(
            request_id=request_id,
            source=requester.source,
            user_id=requester.user_id,
            text=text,
            group_id=group_id,
            group_name=name,
            channel_id=requester.channel_id,
            response_url=requester.response_url,
            created_at=now,
            owner=self.lease.owner,
            lease_until=self.lease.until(now),
        )
        user = requester.user_id
        verdicts: list[tuple[str, Verdict]] = []
        for door in doors:
            assert door.id is not None
            verdicts.append(
                (door.name, await self.access.may_lock(session, user, door.id, membership))
            )
        blocked = [name for name, verdict in verdicts if not verdict]
        if blocked:
            # Slack's silence is the reason only when it is all that stands in the way.
            reasons = {verdict.reason for _, verdict in verdicts if not verdict}
            why = "not_allowed" if "not_allowed" in reasons else "groups_unchecked"
            batch.status, batch.error_type = LockStatus.DENIED, why
        elif not doors:
            batch.status, batch.error_type = LockStatus.REJECTED, "empty_group"
        if batch.status.final:
            batch.finished_at, batch.lease_until = now, None
            session.add(batch)
            await session.commit()
            return GroupSubmission(batch, [], blocked)
        session.add(batch)
        await session.flush()
        # Later doors wait for a free slot, so the whole group gets as many rounds as it needs;
        # each door's own deadline is set again when its turn comes (`start`).
        rounds = -(-len(doors) // self.fanout_limit)
        deadline = now + timedelta(seconds=self.timing.timeout_s * rounds)
        members = []
        for door in doors:
            row = LockRequest(
                request_id=request_id,
                source=requester.source,
                user_id=requester.user_id,
                text=text,
                door_id=door.id,
                door_name=door.name,
                device_id=door.device_id,
                channel_id=requester.channel_id,
                batch_id=batch.id,
                created_at=now,
                owner=self.lease.owner,
                lease_until=batch.lease_until,
            )
            await self._vet(session, row, door, requester)
            if row.status.final:
                row.finished_at, row.lease_until = now, None
            else:
                assert door.id is not None
                leader = await self._in_flight(session, door.id)
                row.joined_id = leader.id if leader else None
                row.deadline_at = leader.deadline_at if leader else deadline
            session.add(row)
            members.append(row)
        await session.commit()
        return GroupSubmission(batch, members)

    async def start_group(self, batch_id: int) -> None:
        """Lock a group's doors, at most `fanout_limit` at a time, then tell the summary once."""
        batch = await self.load_batch(batch_id)
        if batch is None or batch.status.final:
            return
        bind_request(batch.request_id)
        members = await self.members(batch_id)
        if batch.message_ts is None:
            ref = await self._notify_call(self.notifier.group_started(batch, members))
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
                    await self.start(row.id)
                await self._wait_final(row.id)

        await asyncio.gather(*(one(row) for row in members if not row.status.final))
        await self.finish_group(batch_id)

    async def _wait_final(self, request_id: int) -> None:
        """Until the row is final: woken by `settle` here, or found so in the database when
        another process (or the sweeper) settled it."""
        event = self._settled.setdefault(request_id, asyncio.Event())
        try:
            while True:
                row = await self.load(request_id)
                if row is None or row.status.final:
                    return
                try:
                    await asyncio.wait_for(event.wait(), timeout=5.0)
                except TimeoutError:
                    continue
        finally:
            self._settled.pop(request_id, None)

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
        await self._notify(self.notifier.group_finished(batch, members))
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
