"""The one path of a lock request: resolve → authorize → record → request → track → settle.

`submit` is the fast, durable part that runs before Slack gets its ack: it writes the audit row
and says whether the request goes ahead. `start`, `poll` and `settle` run afterwards, in the
background, and every outcome is written to the row before anyone is told about it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import SQLModel, col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics
from bot.access import AccessPolicy
from bot.db import Database
from bot.door_admin import door_channels
from bot.group_locks import GroupLocks
from bot.group_locks import GroupSubmission as GroupSubmission  # re-exported: its old home
from bot.group_locks import group_summary as group_summary
from bot.lease import Lease
from bot.logs import bind_request, new_request_id
from bot.models import Door, LockBatch, LockRequest, LockStatus, utcnow
from bot.names import find_door, find_group, group_doors, suggest_targets
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


@dataclass(frozen=True)
class Requester:
    user_id: str
    source: str = "slack"
    channel_id: str | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class Timing:
    timeout_s: float = 60.0
    poll_first_s: float = 0.25
    poll_backoff: float = 1.5
    poll_max_s: float = 0.8

    def poll_delay(self, polls_done: int) -> float:
        return min(self.poll_first_s * self.poll_backoff**polls_done, self.poll_max_s)


@dataclass(frozen=True)
class Submission:
    request: LockRequest
    suggestions: list[str] = field(default_factory=list)
    # The request already locking this door, when this one joined it instead of asking Seam.
    joined: LockRequest | None = None

    # The only channels the door may be locked from, when it was asked from another one.
    channels: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Accepted and ours to carry out (a joined request waits on another one)."""
        return self.request.status is LockStatus.PENDING and self.joined is None


RATE_LIMIT_RETRIES = 2
RATE_LIMIT_MAX_WAIT_S = 10.0


# Built once, values given as parameters: SQLAlchemy's compiled cache then finds it cheaply.
# On the Table, not the model: an ORM-enabled insert would take the ORM's bulk path.
_LOCK_REQUEST_TABLE = SQLModel.metadata.tables["lock_request"]
_INSERT_REQUEST = _LOCK_REQUEST_TABLE.insert()
_LOCK_REQUEST_COLUMNS = tuple(c.name for c in _LOCK_REQUEST_TABLE.columns if c.name != "id")


def _columns(row: LockRequest) -> dict[str, Any]:
    """The row's values for a Core insert (the id comes from the database)."""
    return {name: getattr(row, name) for name in _LOCK_REQUEST_COLUMNS}


def same_place(follower: LockRequest, leader: LockRequest) -> bool:
    """Whether a request that joined `leader` is told in the leader's thread: only when it was
    asked in the same channel. Someone who asked in a DM or a private channel is answered there,
    and never named in a channel they did not ask in."""
    return follower.channel_id is not None and follower.channel_id == leader.channel_id


def poll_key(request_id: int) -> str:
    return f"poll:{request_id}"


def _final_values(
    status: LockStatus, error_type: str | None, error_message: str | None
) -> dict[str, Any]:
    """The columns that end a request; a lock that succeeded carries no error."""
    assert status.final
    values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
    if status is LockStatus.LOCKED:
        return values | {"error_type": None, "error_message": None}
    return values | {"error_type": error_type, "error_message": (error_message or "")[:500]}


class LockService(GroupLocks):
    def __init__(
        self,
        db: Database,
        backend: LockBackend,
        notifier: Notifier,
        jobs: Jobs,
        access: AccessPolicy,
        timing: Timing | None = None,
        rate_limit: int = 20,
        fanout_limit: int = 10,
        lease: Lease | None = None,
    ) -> None:
        self.db = db
        self.backend = backend
        self.notifier = notifier
        self.jobs = jobs
        self.access = access
        self.timing = timing or Timing()
        self.rate_limit = rate_limit  # requests per user per minute; 0 turns the limit off
        # Doors of one group locked at the same time, from `lock_door` until the outcome.
        self.fanout_limit = max(1, fanout_limit)
        # This process's claim on the requests it records; bot/recovery.py renews it.
        self.lease = lease or Lease()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settled: dict[int, asyncio.Event] = {}

    # -- intake: runs before the ack, so it only touches the database ------------------------

    async def submit(
        self,
        requester: Requester,
        text: str,
        request_id: str | None = None,
        *,
        as_group: bool = False,
    ) -> Submission | GroupSubmission:
        """Record a lock request. `as_group` records even a single door as a group of one, as
        schedules do, so that every run tells its outcome the same way."""
        request_id = request_id or new_request_id()
        bind_request(request_id)
        for attempt in range(3):
            try:
                submission = await self._record(requester, text, request_id, as_group)
                break
            except sa.exc.IntegrityError:
                # Another request for the door became the one in flight between our read and
                # our write (the unique index said so); the next round joins it.
                if attempt == 2:
                    raise
        if isinstance(submission, GroupSubmission):
            batch = submission.batch
            log.info(
                "group lock %s: %s asked for %r (%d doors) → %s",
                batch.id,
                requester.user_id,
                batch.group_name,
                len(submission.members),
                batch.status.value,
            )
            return submission
        row = submission.request
        if submission.joined is not None:
            # The leader may have settled between our read and our write (another process
            # may share the database, even on SQLite: `lockbot lock`), and then it never saw
            # us; catch up in the background rather than wait for the sweeper.
            self.spawn(self._catch_up(row))
        log.info(
            "lock request %s: %s asked for %r → %s%s",
            row.id,
            requester.user_id,
            row.door_name or text,
            row.status.value,
            f" (joins request {row.joined_id})" if row.joined_id else "",
        )
        return submission

    async def _record(
        self, requester: Requester, text: str, request_id: str, as_group: bool = False
    ) -> Submission | GroupSubmission:
        now = utcnow()
        row = LockRequest(
            request_id=request_id,
            source=requester.source,
            user_id=requester.user_id,
            text=text,
            channel_id=requester.channel_id,
            response_url=requester.response_url,
            created_at=now,
            owner=self.lease.owner,
            lease_until=self.lease.until(now),
        )
        suggestions: list[str] = []
        channels: list[str] = []
        leader: LockRequest | None = None
        # Slack is asked about user groups now, not while holding the write turn.
        membership = await self.access.membership(self.db, requester.user_id, text)
        async with self.db.writing() as session:
            door = await find_door(session, text)
            # A schedule's runs are not its creator's typing: they never count against them.
            limited = self.rate_limit and requester.source != "schedule"
            over_limit = limited and await self._over_limit(session, requester.user_id, now)
            if door is None and not over_limit and (group := await find_group(session, text)):
                assert group.id is not None
                doors = await group_doors(session, group.id)
                return await self._record_group(
                    session, requester, text, request_id, group.name, group.id, doors, membership
                )
            if door is not None and as_group:
                return await self._record_group(
                    session, requester, text, request_id, door.name, None, [door], membership
                )
            if over_limit:
                row.status, row.error_type = LockStatus.REJECTED, "rate_limited"
            elif door is None or door.id is None:
                suggestions = await suggest_targets(session, text)
                row.status, row.error_type = LockStatus.REJECTED, "unknown_door"
            else:
                row.door_id, row.door_name, row.device_id = door.id, door.name, door.device_id
                verdict = await self.access.may_lock(
                    session, requester.user_id, door.id, membership
                )
                if not verdict:
                    row.status, row.error_type = LockStatus.DENIED, verdict.reason
                else:
                    channels = await self._vet(session, row, door, requester)
                    if not row.status.final:
                        leader = await self._in_flight(session, door.id)
                        if leader is not None:
                            row.joined_id = leader.id
                            row.deadline_at = leader.deadline_at
                            if same_place(row, leader):
                                row.message_channel = leader.message_channel
                                row.message_ts = leader.message_ts
                        else:
                            row.deadline_at = now + timedelta(seconds=self.timing.timeout_s)
            if row.status.final:
                row.finished_at, row.lease_until = now, None
            # A Core insert: the ORM's unit of work costs more than the statement itself here.
            result = await session.exec(_INSERT_REQUEST, params=_columns(row))
            await session.commit()
        inserted = result.inserted_primary_key
        assert inserted is not None
        row.id = inserted[0]
        return Submission(row, suggestions, leader, channels)

    async def _vet(
        self, session: AsyncSession, row: LockRequest, door: Door, requester: Requester
    ) -> list[str]:
        """Refuse a door that cannot be locked from here; returns its channels when limited."""
        assert door.id is not None
        channels = await door_channels(session, door.id)
        # A schedule's runs lock from its channel, so a limit made after the schedule holds too.
        from_channel = requester.source in ("slack", "schedule")
        if channels and from_channel and requester.channel_id not in channels:
            row.status, row.error_type = LockStatus.REJECTED, "wrong_channel"
            row.error_message = f"may be locked only from {', '.join(channels)}"
            return channels
        if door.missing_at is not None:
            # `lockbot doors sync` found its device gone from Seam: asking would fail.
            row.status, row.error_type = LockStatus.REJECTED, "door_missing"
            row.error_message = "the door's device is missing from Seam"
        return []

    async def recheck(self, row: LockRequest) -> tuple[LockStatus, str, str] | None:
        """Whether a request recorded a while ago may still be sent: access, the door's channel
        limits and its presence in Seam may all have changed since it was acked. None: it may;
        otherwise the final state, error type and message it ends with."""
        async with self.db.session() as session:
            door = await session.get(Door, row.door_id) if row.door_id is not None else None
            if door is None or door.id is None:
                return LockStatus.REJECTED, "door_removed", "the door was removed meanwhile"
            if not await self.access.may_lock(session, row.user_id, door.id):
                return LockStatus.DENIED, "access_changed", "access was taken away meanwhile"
            probe = LockRequest(source=row.source, user_id=row.user_id, text=row.text)
            requester = Requester(row.user_id, row.source, row.channel_id, row.response_url)
            await self._vet(session, probe, door, requester)
        if probe.status.final:
            return probe.status, probe.error_type or "rejected", probe.error_message or ""
        return None

    async def _in_flight(self, session: AsyncSession, door_id: int) -> LockRequest | None:
        query = select(LockRequest).where(
            col(LockRequest.door_id) == door_id,
            col(LockRequest.status) == LockStatus.PENDING,
            col(LockRequest.joined_id).is_(None),
        )
        return (await session.exec(query)).first()

    async def _over_limit(self, session: AsyncSession, user_id: str, now: datetime) -> bool:
        # A group lock counts once, however many doors it has.
        since = now - timedelta(minutes=1)
        singles = select(func.count()).where(
            col(LockRequest.user_id) == user_id,
            col(LockRequest.created_at) > since,
            col(LockRequest.batch_id).is_(None),
            or_(
                col(LockRequest.error_type).is_(None), col(LockRequest.error_type) != "rate_limited"
            ),
        )
        groups = select(func.count()).where(
            col(LockBatch.user_id) == user_id, col(LockBatch.created_at) > since
        )
        used = int((await session.exec(singles)).one()) + int((await session.exec(groups)).one())
        return used >= self.rate_limit

    # -- the background part -----------------------------------------------------------------

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
            row = await self._update(request_id, deadline_at=deadline)
        elif row.message_ts is None:
            ref = await self._notify_started(row)
            if ref is not None:
                row = await self._update(request_id, message_channel=ref.channel, message_ts=ref.ts)
        if row.action_attempt_id is not None:
            self.track(request_id, 0)
            return
        assert row.device_id is not None
        try:
            attempt = await self._lock_door(row.device_id)
        except BackendError as error:
            code = "seam_no_answer" if error.maybe_sent else error.code
            await self.settle(request_id, LockStatus.FAILED, code, error.message)
            return
        row = await self._update(request_id, action_attempt_id=attempt.id)
        if not await self._settle_from(request_id, attempt):
            if row.batch_id is None:
                await self._notify(self.notifier.progress(row, Progress.SENT))
            self.track(request_id, 0)

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
            await self._update(request_id, error_type=error.code, error_message=error.message)
            wait_at_least = error.retry_after_s or 0.0  # honour Seam's Retry-After
        else:
            log.info("poll %d: attempt %s is %s", polls_done + 1, attempt.id, attempt.status)
            if await self._settle_from(request_id, attempt):
                return
        deadline = row.deadline_at or row.created_at + timedelta(seconds=self.timing.timeout_s)
        left = (deadline - utcnow()).total_seconds()
        if left <= 0:
            reason = f"the lock did not confirm within {self.timing.timeout_s:g} s"
            fresh = await self.load(request_id)
            if fresh is not None and fresh.error_message:
                reason += f"; the last check of Seam failed: {fresh.error_message}"
            await self.settle(request_id, LockStatus.TIMED_OUT, "timed_out", reason)
            return
        delay = max(self.timing.poll_delay(polls_done + 1), wait_at_least)
        self.track(request_id, polls_done + 1, min(delay, left))

    async def settle(
        self,
        request_id: int,
        status: LockStatus,
        error_type: str | None = None,
        error_message: str | None = None,
        **extra: Any,
    ) -> LockRequest | None:
        """Write the final state once; only the caller that wrote it tells anyone."""
        self.jobs.cancel(poll_key(request_id))
        values = _final_values(status, error_type, error_message) | {"lease_until": None} | extra
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
        self._settled_now(row)
        await self._notify(self.notifier.finished(row))
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

    async def _catch_up(self, follower: LockRequest) -> None:
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
                await self._notify(self.notifier.followers_finished(leader, told_here))
            else:
                told_elsewhere += told_here
        for follower in told_elsewhere:
            # Told where they asked: the response URL of their command, else a DM.
            await self._notify(self.notifier.finished(follower))
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
        values = _final_values(leader.status, leader.error_type, leader.error_message)
        if in_thread:
            values |= {"message_channel": leader.message_channel, "message_ts": leader.message_ts}
        async with self.db.writing() as session:
            settled = await session.exec(
                sa.update(LockRequest)
                .where(
                    col(LockRequest.id).in_(ids),
                    col(LockRequest.status) == LockStatus.PENDING,
                )
                .values(**values, lease_until=None)
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
        where = {}
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

    def track(self, request_id: int, polls_done: int, delay_s: float | None = None) -> None:
        delay = self.timing.poll_delay(polls_done) if delay_s is None else delay_s
        self.jobs.call_later(delay, poll_key(request_id), self.poll, request_id, polls_done)

    async def load(self, request_id: int) -> LockRequest | None:
        async with self.db.session() as session:
            return await session.get(LockRequest, request_id)

    async def _update(self, request_id: int, **values: Any) -> LockRequest:
        return await self.db.update(LockRequest, request_id, **values)

    async def _notify_started(self, row: LockRequest) -> MessageRef | None:
        try:
            return await self.notifier.started(row)
        except Exception:
            log.exception("lock request %s: could not post the first message", row.id)
            return None

    async def _notify_call(self, call: Coroutine[Any, Any, T]) -> T | None:
        try:
            return await call
        except Exception:
            log.exception("could not deliver a lock notification")
            return None

    async def _notify(self, call: Coroutine[Any, Any, None]) -> None:
        # Telling people is best effort: the outcome is already in the row whatever happens here.
        try:
            await call
        except Exception:
            log.exception("could not deliver a lock notification")
