"""Tracking: from the ack to the outcome. `start` tells the channel and asks Seam, `poll`
follows the action attempt, and `settle` writes the final state once, then tells the people who
asked, the leader's followers included. Every outcome is in the row before anyone hears of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select

from bot import metrics
from bot.db import Database
from bot.locking.pacing import Pacing
from bot.locking.requests import Timing, final_values, same_place
from bot.logs import bind_request
from bot.models import LockRequest, LockStatus, utcnow
from bot.ports import (
    Attempt,
    BackendError,
    BackendErrorKind,
    Jobs,
    LockBackend,
    MessageRef,
    Notifier,
    Progress,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RATE_LIMIT_RETRIES = 2
RATE_LIMIT_MAX_WAIT_S = 10.0


def poll_key(request_id: int) -> str:
    return f"poll:{request_id}"


class Tracker:
    def __init__(
        self, db: Database, backend: LockBackend, notifier: Notifier, jobs: Jobs, timing: Timing
    ) -> None:
        self.db = db
        self.backend = backend
        self.notifier = notifier
        self.jobs = jobs
        self.timing = timing
        # When to read each attempt, learned from every lock this process settles.
        self.pacing = Pacing(db, timing)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settled: dict[int, asyncio.Event] = {}

    def settled_event(self, request_id: int) -> asyncio.Event:
        """Set when this process settles the request (others' settlements are read, not heard)."""
        return self._settled.setdefault(request_id, asyncio.Event())

    def forget(self, request_id: int) -> None:
        self._settled.pop(request_id, None)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` in the background, keeping a reference so it is not collected mid-flight."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished_task)
        return task

    def _finished_task(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The row stays pending, so the next start resumes it; say so loudly meanwhile.
            log.error("a lock task failed; its request stays pending", exc_info=task.exception())

    @property
    def idle(self) -> bool:
        return not self._tasks

    async def drain(self, timeout_s: float) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)

    async def start(self, request_id: int) -> None:
        """Tell the channel, ask the backend, then track the attempt."""
        row = await self.load(request_id)
        if row is None or row.status.final:
            return
        bind_request(row.request_id)
        if row.batch_id is not None:
            # A group's door: its turn starts now, whatever the queue before it took.
            deadline = utcnow() + timedelta(seconds=self.timing.timeout_s)
            row = await self.update(request_id, deadline_at=deadline)
        elif row.message_ts is None:
            ref = await self._notify_started(row)
            if ref is not None:
                row = await self.update(request_id, message_channel=ref.channel, message_ts=ref.ts)
        if row.action_attempt_id is not None:
            self.track(request_id, 0, self._next_read(row, 0))
            return
        assert row.device_id is not None
        try:
            attempt = await self._lock_door(row.device_id)
        except BackendError as error:
            code = "seam_no_answer" if error.maybe_sent else error.code
            await self.settle(request_id, LockStatus.FAILED, code, error.message)
            return
        row = await self.update(request_id, action_attempt_id=attempt.id, sent_at=utcnow())
        if not await self._settle_from(request_id, attempt):
            if row.batch_id is None:
                await self.notify(self.notifier.progress(row, Progress.SENT))
            self.track(request_id, 0, self._next_read(row, 0))

    async def _lock_door(self, device_id: str) -> Attempt:
        """lock_door acts, so it is repeated only when Seam said it did nothing: a 429."""
        for tries_left in range(RATE_LIMIT_RETRIES, -1, -1):
            try:
                return await self.backend.lock_door(device_id)
            except BackendError as error:
                if error.code != "seam_rate_limited" or not tries_left:
                    raise
                wait = min(error.retry_after_s or 1.0, RATE_LIMIT_MAX_WAIT_S)
                log.info("Seam asked us to wait %.1f s before locking", wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def poll(self, request_id: int, polls_done: int) -> None:
        row = await self.load(request_id)
        if row is None or row.status.final or row.action_attempt_id is None:
            self.pacing.forget(request_id)
            return
        bind_request(row.request_id)
        wait_at_least = 0.0
        try:
            attempt = await self.backend.get_attempt(row.action_attempt_id)
        except BackendError as error:
            if error.kind in (BackendErrorKind.UNAUTHORIZED, BackendErrorKind.NOT_FOUND):
                await self.settle(request_id, LockStatus.FAILED, error.code, error.message)
                return
            # A failed read changes nothing at Seam: note it and poll again until the deadline.
            log.warning("lock request %s: polling failed (%s), will retry", request_id, error.code)
            await self.update(request_id, error_type=error.code, error_message=error.message)
            wait_at_least = error.retry_after_s or 0.0  # honour Seam's Retry-After
        else:
            log.info("poll %d: attempt %s is %s", polls_done + 1, attempt.id, attempt.status)
            if await self._settle_from(request_id, attempt):
                return
            self.pacing.seen_pending(request_id)
        deadline = row.deadline_at or row.created_at + timedelta(seconds=self.timing.timeout_s)
        left = (deadline - utcnow()).total_seconds()
        if left <= 0:
            reason = f"the lock did not confirm within {self.timing.timeout_s:g} s"
            fresh = await self.load(request_id)
            if fresh is not None and fresh.error_message:
                reason += f"; the last check of Seam failed: {fresh.error_message}"
            await self.settle(request_id, LockStatus.TIMED_OUT, "timed_out", reason)
            return
        delay = max(self._next_read(row, polls_done + 1), wait_at_least)
        self.track(request_id, polls_done + 1, min(delay, left))

    async def settle(
        self,
        request_id: int,
        status: LockStatus,
        error_type: str | None = None,
        error_message: str | None = None,
        *,
        event_at: datetime | None = None,
        **extra: Any,
    ) -> LockRequest | None:
        """Write the final state once; only the caller that wrote it tells anyone. `event_at`:
        the time of the Seam event that told of the outcome, when one did."""
        self.jobs.cancel(poll_key(request_id))
        values = final_values(status, error_type, error_message) | extra
        if status is LockStatus.LOCKED:
            values["resolved_after"] = self.pacing.resolved_after(request_id, event_at)
        self.pacing.forget(request_id)
        async with self.db.writing() as session:
            result = await session.exec(
                sa.update(LockRequest)
                .where(col(LockRequest.id) == request_id)
                .where(col(LockRequest.status) == LockStatus.PENDING)
                .values(**values)
            )
            await session.commit()
            if result.rowcount != 1:
                return None
        row = await self.load(request_id)
        assert row is not None
        self.pacing.learn(row, by_event=event_at is not None)
        self._settled_now(row)
        await self.notify(self.notifier.finished(row))
        if row.joined_id is None:
            await self._settle_followers(row)
        return row

    def _settled_now(self, row: LockRequest) -> None:
        assert row.id is not None
        if (event := self._settled.get(row.id)) is not None:
            event.set()
        metrics.OUTCOMES.labels(result=row.status.value).inc()
        if row.elapsed_s is not None:
            metrics.OUTCOME_SECONDS.observe(row.elapsed_s)
        log.info(
            "lock request %s settled: %s%s after %.1f s",
            row.id,
            row.status.value,
            f" ({row.error_type})" if row.error_type else "",
            row.elapsed_s or 0.0,
        )

    async def catch_up(self, follower: LockRequest) -> None:
        """A request that joined a leader which may have ended between its read and its write
        (another process may share the database, even on SQLite: `lockbot lock`)."""
        assert follower.id is not None and follower.joined_id is not None
        leader = await self.load(follower.joined_id)
        if leader is not None and leader.status.final:
            await self.follow(follower, leader)

    async def _settle_followers(self, leader: LockRequest) -> None:
        """Requests that joined `leader` get its outcome.

        Those told in the leader's thread are settled in one statement and told in one
        message: a burst of taps must not become a burst of posts into one channel, which Slack
        allows about once a second. A group's door is told in its own group's thread.
        """
        async with self.db.session() as session:
            waiting = (await session.exec(
                select(LockRequest).where(
                    col(LockRequest.joined_id) == leader.id,
                    col(LockRequest.status) == LockStatus.PENDING,
                )
            )).all()  # fmt: skip
        if not waiting:
            return  # the common case: one read, and the write turn is not taken
        members = [f for f in waiting if f.batch_id is not None]
        singles = [f for f in waiting if f.batch_id is None]
        here = [f.id for f in singles if same_place(f, leader)]
        elsewhere = [f.id for f in singles if not same_place(f, leader)]
        told_here = await self._settle_joined(leader, here, in_thread=True)
        told_elsewhere = await self._settle_joined(leader, elsewhere, in_thread=False)
        for follower in told_here + told_elsewhere:
            bind_request(follower.request_id)
            self._settled_now(follower)
        bind_request(leader.request_id)
        if told_here:
            if leader.message_channel and leader.message_ts:
                await self.notify(self.notifier.followers_finished(leader, told_here))
            else:
                told_elsewhere += told_here
        for follower in told_elsewhere:
            # Told where they asked: the response URL of their command, else a DM.
            await self.notify(self.notifier.finished(follower))
        for member in members:
            bind_request(member.request_id)
            await self.follow(member, leader)
        bind_request(leader.request_id)

    async def _settle_joined(
        self, leader: LockRequest, ids: list[int | None], *, in_thread: bool
    ) -> list[LockRequest]:
        """Give these joined requests the leader's outcome in one statement; returns the rows it
        settled. RETURNING names only those: a sweep or catch-up racing it tells the others."""
        if not ids:
            return []
        values = final_values(leader.status, leader.error_type, leader.error_message)
        if in_thread:
            values |= {"message_channel": leader.message_channel, "message_ts": leader.message_ts}
        async with self.db.writing() as session:
            settled = await session.exec(
                sa.update(LockRequest)
                .where(
                    col(LockRequest.id).in_(ids),
                    col(LockRequest.status) == LockStatus.PENDING,
                )
                .values(**values)
                .returning(col(LockRequest.id))
            )
            done = list(settled.scalars())
            await session.commit()
        if not done:
            return []
        async with self.db.session() as session:
            return list((await session.exec(
                select(LockRequest).where(col(LockRequest.id).in_(done)).order_by(col(LockRequest.id))
            )).all())  # fmt: skip

    async def follow(self, follower: LockRequest, leader: LockRequest) -> LockRequest | None:
        """Give one joined request its leader's outcome, told in the leader's thread (or, for
        a group's door, in the group's thread)."""
        assert follower.id is not None
        where: dict[str, Any] = {}
        if follower.batch_id is None and same_place(follower, leader):
            where = {"message_channel": leader.message_channel, "message_ts": leader.message_ts}
        return await self.settle(
            follower.id, leader.status, leader.error_type, leader.error_message, **where
        )

    # -- helpers -----------------------------------------------------------------------------

    async def _settle_from(self, request_id: int, attempt: Attempt) -> bool:
        if attempt.status == "success":
            await self.settle(request_id, LockStatus.LOCKED)
            return True
        if attempt.status == "error":
            await self.settle(
                request_id,
                LockStatus.FAILED,
                attempt.error_type or "unknown_error",
                attempt.error_message or "Seam reported an error without details",
            )
            return True
        return False

    def _next_read(self, row: LockRequest, polls_done: int) -> float:
        """Seconds to the next read of this attempt: the plan's, else at the deadline."""
        now = utcnow()
        planned = self.pacing.next_delay(row, polls_done, now)
        if planned is not None:
            return planned
        deadline = row.deadline_at or row.created_at + timedelta(seconds=self.timing.timeout_s)
        return max(0.0, (deadline - now).total_seconds())

    def track(self, request_id: int, polls_done: int, delay_s: float | None = None) -> None:
        delay = self.timing.poll_delay(polls_done) if delay_s is None else delay_s
        self.jobs.call_later(delay, poll_key(request_id), self.poll, request_id, polls_done)

    async def load(self, request_id: int) -> LockRequest | None:
        async with self.db.session() as session:
            return await session.get(LockRequest, request_id)

    async def update(self, request_id: int, **values: Any) -> LockRequest:
        return await self.db.update(LockRequest, request_id, **values)

    async def _notify_started(self, row: LockRequest) -> MessageRef | None:
        try:
            return await self.notifier.started(row)
        except Exception:
            log.exception("lock request %s: could not post the first message", row.id)
            return None

    async def notify_call(self, call: Coroutine[Any, Any, T]) -> T | None:
        try:
            return await call
        except Exception:
            log.exception("could not deliver a lock notification")
            return None

    async def notify(self, call: Coroutine[Any, Any, None]) -> None:
        # Telling people is best effort: the outcome is already in the row whatever happens here.
        try:
            await call
        except Exception:
            log.exception("could not deliver a lock notification")
