"""Pacing: the tracker's side of the poll plan. It keeps this process's `Resolutions`, fed by
every lock the process settles and, every `REFRESH_S`, by those others settled (other replicas,
`lockbot lock`), read from the table, which is also where it starts from; and it answers the
tracker's one question: when is the next read of this attempt?

What a lock teaches is in its row: `sent_at` (lock_door answered), `resolved_after` (the last
read that saw the attempt pending, or the time of the event that ended it) and `finished_at`.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.locking.poll_plan import next_read
from bot.locking.poll_plan import plan as plan_reads
from bot.locking.requests import Timing
from bot.locking.resolution import WINDOW, Bracket, Resolutions
from bot.models import LockRequest, LockStatus, utcnow

log = logging.getLogger(__name__)

REFRESH_S = 30.0  # how stale one replica's view of the others' locks may be

_CONFIRMED = (
    col(LockRequest.status) == LockStatus.LOCKED,
    col(LockRequest.sent_at).is_not(None),
    col(LockRequest.finished_at).is_not(None),
    col(LockRequest.device_id).is_not(None),
)


def bracket_of(
    sent_at: datetime | None, resolved_after: datetime | None, finished_at: datetime | None
) -> Bracket | None:
    """What a confirmed lock's row says of when its device answered."""
    if sent_at is None or finished_at is None:
        return None
    after = 0.0 if resolved_after is None else (resolved_after - sent_at).total_seconds()
    return Bracket(max(0.0, after), max(0.0, (finished_at - sent_at).total_seconds()))


class Pacing:
    def __init__(self, db: Database, timing: Timing, model: Resolutions | None = None) -> None:
        self.db = db
        self.timing = timing
        self.model = model or Resolutions()
        self._pending_seen: dict[int, datetime] = {}
        # A device's plan (None: today's cadence), and the one each lock in flight started with.
        self._plans: dict[tuple[str, bool], tuple[float, ...] | None] = {}
        self._by_request: dict[int, tuple[bool, tuple[float, ...] | None]] = {}
        # Rows up to this id are learned from or not worth it; above it, those already seen.
        self._watermark = 0
        self._seen: set[int] = set()

    # -- the tracker's questions and news ----------------------------------------------------

    def next_delay(self, row: LockRequest, polls_done: int, now: datetime) -> float | None:
        """Seconds until the next read; None when the plan has none left before the deadline.

        A lock keeps the plan it started with, as other locks settle meanwhile; only events
        starting (or ceasing) to come first change it midway.
        """
        if row.sent_at is None or row.device_id is None or row.id is None or not self.timing.learn:
            return self.timing.poll_delay(polls_done)  # (sent_at: none from an older lockbot)
        events = self.model.events_flowing
        planned = self._by_request.get(row.id)
        if planned is None or planned[0] != events:
            planned = self._by_request[row.id] = (events, self.plan(row.device_id))
        if planned[1] is None:
            return self.timing.poll_delay(polls_done)
        return next_read(planned[1], (now - row.sent_at).total_seconds())

    def plan(self, device_id: str) -> tuple[float, ...] | None:
        key = (device_id, self.model.events_flowing)
        if key not in self._plans:
            events = self.model.events_flowing
            profile = self.model.profile(device_id)
            self._plans[key] = plan_reads(profile, self.timing, events=events)
        return self._plans[key]

    def seen_pending(self, request_id: int) -> None:
        self._pending_seen[request_id] = utcnow()

    def forget(self, request_id: int) -> None:
        self._pending_seen.pop(request_id, None)
        self._by_request.pop(request_id, None)

    def resolved_after(self, request_id: int, event_at: datetime | None) -> datetime | None:
        """The last moment this attempt was known to be pending, as the settling write keeps it."""
        seen = self._pending_seen.pop(request_id, None)
        self._by_request.pop(request_id, None)
        if event_at is not None:
            event_at = min(event_at, utcnow())  # Seam's clock may run ahead of ours
        moments = [t for t in (seen, event_at) if t is not None]
        return max(moments) if moments else None

    def learn(self, row: LockRequest, *, by_event: bool) -> None:
        """A lock this process settled."""
        if row.sent_at is None or row.device_id is None or row.id is None:
            return
        self.model.settled(by_event=by_event)
        if row.status is LockStatus.LOCKED:
            self._observe(row)
        self._plans.clear()

    def _observe(self, row: LockRequest) -> bool:
        bracket = bracket_of(row.sent_at, row.resolved_after, row.finished_at)
        if bracket is None or row.id is None or row.device_id is None or row.id in self._seen:
            return False
        self._seen.add(row.id)
        self.model.observe(row.device_id, bracket)
        return True

    # -- the table -----------------------------------------------------------------------------

    async def load(self) -> int:
        """At start-up: each device's recent confirmed locks, oldest first (twice the window,
        so that the first of them are judged against a profile too)."""
        newest_first = sa.desc(col(LockRequest.finished_at))
        nth = func.row_number().over(partition_by=col(LockRequest.device_id), order_by=newest_first)
        ranked = select(col(LockRequest.id), nth.label("nth")).where(*_CONFIRMED).subquery()
        recent = select(ranked.c.id).where(ranked.c.nth <= 2 * WINDOW)
        query = (
            select(LockRequest)
            .where(col(LockRequest.id).in_(recent))
            .order_by(col(LockRequest.finished_at))
        )
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
            watermark = await self._next_watermark(session)
        for row in rows:
            self._observe(row)
        self._advance(watermark)
        self._plans.clear()
        log.info("poll plan: learned from %d locks of %d devices", len(rows),
                 len(self.model.devices))  # fmt: skip
        return len(rows)

    async def refresh(self) -> int:
        """The locks settled since the last look that this process did not settle itself."""
        async with self.db.session() as session:
            watermark = await self._next_watermark(session)
            query = (
                select(LockRequest)
                .where(col(LockRequest.id) > self._watermark, *_CONFIRMED)
                .order_by(col(LockRequest.finished_at))
            )
            rows = (await session.exec(query)).all()
        learned = sum(self._observe(row) for row in rows)
        self._advance(watermark)
        if learned:
            self._plans.clear()
        return learned

    async def _next_watermark(self, session: AsyncSession) -> int:
        """Below the oldest request still pending, every row is final: none need reading again."""
        oldest = select(func.min(col(LockRequest.id))).where(
            col(LockRequest.status) == LockStatus.PENDING
        )
        pending = (await session.exec(oldest)).one()
        newest = (await session.exec(select(func.max(col(LockRequest.id))))).one() or 0
        return newest if pending is None else min(newest, pending - 1)

    def _advance(self, watermark: int) -> None:
        self._watermark = max(self._watermark, watermark)
        self._seen = {i for i in self._seen if i > self._watermark}
