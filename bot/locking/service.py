"""`LockService`: the lock path's front door. `submit` records a request before the ack;
`begin` carries out what was accepted, after it. The steps live in their own rooms: `intake`
(resolve, authorize, record), `tracker` (ask Seam, poll, settle, tell) and `groups` (a group's
doors, a few at a time, then one summary)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from bot.access import AccessPolicy
from bot.db import Database
from bot.locking.group_runs import GroupRuns
from bot.locking.intake import Intake
from bot.locking.lease import Lease
from bot.locking.requests import GroupSubmission, Requester, Submission, Timing
from bot.locking.tracker import Tracker
from bot.models import LockRequest
from bot.ports import Jobs, LockBackend, Notifier


class LockService:
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
        self.access = access
        self.timing = timing or Timing()
        # This process's claim on the requests it records; bot/locking/recovery.py renews it.
        self.lease = lease or Lease()
        self.groups = GroupRuns(Tracker(db, backend, notifier, jobs, self.timing), fanout_limit)
        self.tracker = self.groups.tracker
        self.intake = Intake(
            db, access, self.timing, self.lease, rate_limit, self.groups.fanout_limit
        )

    async def submit(
        self,
        requester: Requester,
        text: str,
        request_id: str | None = None,
        *,
        as_group: bool = False,
    ) -> Submission | GroupSubmission:
        """Record a lock request (the durable receipt). `as_group` records even a single door
        as a group of one, as schedules do, so that every run tells its outcome alike."""
        submission = await self.intake.submit(requester, text, request_id, as_group)
        if (
            isinstance(submission, Submission)
            and submission.joined is not None
            and not submission.leader_pending
        ):
            # Its leader may have ended between our read and our write, and then never saw us.
            self.spawn(self.tracker.catch_up(submission.request))
        return submission

    def begin(self, submission: Submission | GroupSubmission) -> bool:
        """Carry out an accepted submission in the background; False when there is nothing to
        do (refused, or joined to a request already in flight)."""
        if not submission.accepted:
            return False
        if isinstance(submission, GroupSubmission):
            assert submission.batch.id is not None
            self.spawn(self.groups.start_group(submission.batch.id))
        else:
            assert submission.request.id is not None
            self.spawn(self.tracker.start(submission.request.id))
        return True

    async def load(self, request_id: int) -> LockRequest | None:
        return await self.tracker.load(request_id)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.tracker.spawn(coro)

    @property
    def idle(self) -> bool:
        return self.tracker.idle

    async def drain(self, timeout_s: float) -> None:
        await self.tracker.drain(timeout_s)
