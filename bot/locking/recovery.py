"""After a crash, a restart or a rolling deploy: who carries out which pending request, and what
is no longer carried out at all.

Every pending request and group batch has an owner and a lease (bot/lease.py). The owner renews
its leases while it lives (`renew`); `take_over` claims only requests whose lease has lapsed,
each with one conditional `UPDATE … RETURNING`, so exactly one process wins a request and a
replica that starts while another is mid-`lock_door` leaves that request alone. What it takes
over is checked before anything is sent:
- a request that never reached Seam and is past its deadline ends as `expired`: a restart days
  later, or a restored backup, never locks a door late;
- one still in time is authorized again, since access, channel limits or the door itself may
  have changed while nobody was carrying it out;
- one that reached Seam (it has an attempt id) is polled: asking Seam about it acts on nothing.
`sweep` is the safety net for this process's own requests that lost their tracking.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, or_, select

from bot.db import Database
from bot.locking.lease import Lease
from bot.locking.service import LockService
from bot.logs import bind_request
from bot.models import LockBatch, LockRequest, LockStatus, Rejection, utcnow

log = logging.getLogger(__name__)

# A request of our own this far past its deadline has lost its tracking (its task died).
SWEEP_GRACE = timedelta(seconds=30)


def _lapsed(model: type[LockRequest] | type[LockBatch], owner: str, now: datetime) -> Any:
    """Pending, not ours, and nobody's lease runs any more."""
    return sa.and_(
        col(model.status) == LockStatus.PENDING,
        or_(col(model.owner).is_(None), col(model.owner) != owner),
        or_(col(model.lease_until).is_(None), col(model.lease_until) < now),
    )


async def stranded(db: Database, lease: Lease) -> int:
    """Pending requests nobody has carried out for longer than a takeover takes: no replica is
    running (or none can reach the database)."""
    since = utcnow() - timedelta(seconds=lease.takeover_bound_s)
    async with db.session() as session:
        query = select(sa.func.count()).where(
            col(LockRequest.status) == LockStatus.PENDING,
            col(LockRequest.joined_id).is_(None),
            or_(col(LockRequest.lease_until).is_(None), col(LockRequest.lease_until) < since),
        )
        return int((await session.exec(query)).one())


class Recovery:
    def __init__(self, service: LockService) -> None:
        self.intake = service.intake
        self.tracker = service.tracker
        self.groups = service.groups
        self.db = service.db
        self.lease = service.lease
        self.timeout = timedelta(seconds=service.timing.timeout_s)

    async def renew(self) -> None:
        """Keep this process's claim on what it is carrying out."""
        await self._set_own(lease_until=self.lease.until(utcnow()))

    async def release(self) -> None:
        """At a clean shutdown: what is still pending may be taken over at once."""
        await self._set_own(owner=None, lease_until=None)

    async def _set_own(self, **values: Any) -> None:
        # Joined requests are left out: none is ever claimed (its leader's outcome settles it),
        # and a burst that joins one slow lock leaves thousands, whose UPDATE every renewal
        # queued behind, and held up, the group commit's shared lock on their leader.
        mine = col(LockRequest.owner) == self.lease.owner
        async with self.db.writing() as session:
            await session.exec(
                sa.update(LockRequest)
                .where(mine, col(LockRequest.status) == LockStatus.PENDING)
                .where(col(LockRequest.joined_id).is_(None))
                .values(**values)
            )
            await session.exec(
                sa.update(LockBatch)
                .where(col(LockBatch.owner) == self.lease.owner)
                .where(col(LockBatch.status) == LockStatus.PENDING)
                .values(**values)
            )
            await session.commit()

    async def _claim(self, now: datetime) -> tuple[list[int], list[int]]:
        """Make lapsed requests and batches ours; returns their ids (singles, batches)."""
        me, until = self.lease.owner, self.lease.until(now)
        async with self.db.writing() as session:
            claimed = await session.exec(
                sa.update(LockBatch)
                .where(_lapsed(LockBatch, me, now))
                .values(owner=me, lease_until=until)
                .returning(col(LockBatch.id))
            )
            batches = [i for i in claimed.scalars() if i is not None]
            if batches:
                # A batch's doors go with it: its runner carries them out.
                await session.exec(
                    sa.update(LockRequest)
                    .where(col(LockRequest.batch_id).in_(batches))
                    .where(col(LockRequest.status) == LockStatus.PENDING)
                    .values(owner=me, lease_until=until)
                )
            claimed = await session.exec(
                sa.update(LockRequest)
                .where(_lapsed(LockRequest, me, now))
                .where(col(LockRequest.batch_id).is_(None))
                # A joined request never calls Seam: its leader's outcome settles it.
                .where(col(LockRequest.joined_id).is_(None))
                .values(owner=me, lease_until=until)
                .returning(col(LockRequest.id))
            )
            singles = [i for i in claimed.scalars() if i is not None]
            await session.commit()
        return sorted(singles), sorted(batches)

    async def take_over(self) -> int:
        """Carry out what nobody carries out any more: at start-up, and every few seconds."""
        now = utcnow()
        singles, batches = await self._claim(now)
        for batch_id in batches:
            for member in await self.groups.members(batch_id):
                if not member.status.final and member.joined_id is None:
                    await self._still_due(member, now)
            self.tracker.spawn(self.groups.start_group(batch_id))
        for request_id in singles:
            row = await self.tracker.load(request_id)
            if row is None or row.status.final:
                continue
            bind_request(row.request_id)
            if row.action_attempt_id is not None:
                self.tracker.track(request_id, 0, 0)
            elif await self._still_due(row, now):
                # We may have died before or during the call to Seam; locking is idempotent,
                # so asking again within the deadline is safe. `start` skips what happened.
                self.tracker.spawn(self.tracker.start(request_id))
        bind_request(None)
        if singles or batches:
            log.info(
                "took over %d pending lock requests and %d groups (owner %s)",
                len(singles),
                len(batches),
                self.lease.owner,
            )
        return len(singles) + len(batches)

    async def _still_due(self, row: LockRequest, now: datetime) -> bool:
        """Whether a request we took over is sent; if not, it is settled here and told."""
        assert row.id is not None
        if row.action_attempt_id is not None:
            return True
        if self._deadline(row) < now:
            await self._expire(row, "lockbot was not running when it was due")
            return False
        refusal = await self.intake.recheck(row)
        if refusal is not None:
            status, error_type, message = refusal
            await self.tracker.settle(row.id, status, error_type, message)
            return False
        return True

    def _deadline(self, row: LockRequest) -> datetime:
        return row.deadline_at or row.created_at + self.timeout

    async def _expire(self, row: LockRequest, why: str) -> None:
        assert row.id is not None
        late = utcnow() - self._deadline(row)
        log.warning("lock request %s expired: %s (%s past its deadline)", row.id, why, late)
        await self.tracker.settle(row.id, LockStatus.EXPIRED, Rejection.EXPIRED, why)

    async def sweep(self) -> int:
        """Settle what lost its tracking: the safety net behind polling, every half minute.

        Our own request past its deadline by `SWEEP_GRACE` gets one last poll (which settles
        it), or expires when Seam was never asked; a joined request whose leader has ended
        gets the leader's outcome; a group whose doors have all ended gets its summary.
        Other processes' requests are left to their owners until their leases lapse.
        """
        now, settled = utcnow(), 0
        async with self.db.session() as session:
            query = select(LockRequest).where(
                col(LockRequest.status) == LockStatus.PENDING,
                or_(
                    col(LockRequest.joined_id).is_not(None),
                    col(LockRequest.owner) == self.lease.owner,
                ),
            )
            rows = list((await session.exec(query)).all())
        for row in rows:
            assert row.id is not None
            bind_request(row.request_id)
            if row.joined_id is not None:
                settled += await self._follow_ended_leader(row)
            elif self._deadline(row) + SWEEP_GRACE < now:
                if row.action_attempt_id is not None:
                    await self.tracker.poll(row.id, 0)
                else:
                    await self._expire(row, "lockbot lost track of it before Seam was asked")
                settled += 1
        async with self.db.session() as session:
            open_batches = select(LockBatch.id).where(col(LockBatch.status) == LockStatus.PENDING)
            batches = list((await session.exec(open_batches)).all())
        for batch_id in batches:
            assert batch_id is not None
            # A group whose runner died after its last door settled (another replica's, say).
            settled += bool(await self.groups.finish_group(batch_id))
        bind_request(None)
        if settled:
            log.warning("the sweeper settled %d requests that had lost their tracking", settled)
        return settled

    async def _follow_ended_leader(self, row: LockRequest) -> int:
        assert row.id is not None and row.joined_id is not None
        leader = await self.tracker.load(row.joined_id)
        if leader is not None and not leader.status.final:
            return 0
        if leader is None:
            outcome = LockStatus.FAILED, Rejection.LOST, "the request it waited on disappeared"
            return int(bool(await self.tracker.settle(row.id, *outcome)))
        return int(bool(await self.tracker.follow(row, leader)))
