"""The rate limit without a query per request: `LOCKBOT_RATE_LIMIT` per user a minute.

Each process counts its own requests in memory (the times of the last minute, per user), and
adds the requests of the last minute that other processes recorded, as the table said at most
`RECOUNT_S` ago: one count per active user per `RECOUNT_S`, not one per request. After a
restart this process has a new owner id, so what it recorded before counts as another's: a
restart does not reset anyone's minute.

The tolerance: a process sees another's requests up to `RECOUNT_S` late, and keeps counting
another's request up to `RECOUNT_S` after it left the minute. So on one replica the limit is
exact; with several, a user can get at most the limit plus what the other replicas accepted
from them in the last `RECOUNT_S` seconds (and may be refused up to `RECOUNT_S` early).

What counts is what the table-based limit counted: every request of the user's except those
refused for the rate limit itself; a group once (its batch); scheduled runs never (the intake
does not ask).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, func, or_, select

from bot.db import Database
from bot.models import LockBatch, LockRequest, Rejection

RECOUNT_S = 10.0
MINUTE = timedelta(minutes=1)


@dataclass
class _User:
    mine: deque[datetime] = field(default_factory=deque)  # this process's, oldest first
    others: int = 0  # other processes' requests of the last minute, at the last count
    counted_at: float = float("-inf")  # time.monotonic() of that count


class RateWindow:
    def __init__(self, db: Database, per_minute: int, owner: str) -> None:
        self.db = db
        self.per_minute = per_minute  # 0 turns the limit off
        self.owner = owner
        self._users: dict[str, _User] = {}
        self._counting: dict[str, asyncio.Task[None]] = {}

    async def take(self, user_id: str, now: datetime) -> bool:
        """Count a request of `user_id` asked at `now`; False (and not counted) when it is over
        the limit."""
        if not self.per_minute:
            return True
        user = self._users.setdefault(user_id, _User())
        if time.monotonic() - user.counted_at >= RECOUNT_S:
            await self._recount(user_id, user, now)
        since = now - MINUTE
        while user.mine and user.mine[0] <= since:
            user.mine.popleft()
        if len(user.mine) + user.others >= self.per_minute:
            return False
        user.mine.append(now)
        return True

    def give_back(self, user_id: str, now: datetime) -> None:
        """A request counted by `take` that was never recorded."""
        user = self._users.get(user_id)
        if user is not None and now in user.mine:
            user.mine.remove(now)

    async def _recount(self, user_id: str, user: _User, now: datetime) -> None:
        # Requests that arrive during the count wait for the same one.
        task = self._counting.get(user_id)
        if task is None:
            task = self._counting[user_id] = asyncio.create_task(self._count(user, user_id, now))
            task.add_done_callback(lambda _: self._counting.pop(user_id, None))
        await task

    async def _count(self, user: _User, user_id: str, now: datetime) -> None:
        started = time.monotonic()
        user.others = await self._others(user_id, now)
        user.counted_at = started
        self._forget_idle(now)

    async def _others(self, user_id: str, now: datetime) -> int:
        since = now - MINUTE
        not_mine = or_(col(LockRequest.owner).is_(None), col(LockRequest.owner) != self.owner)
        singles = select(func.count()).where(
            col(LockRequest.user_id) == user_id,
            col(LockRequest.created_at) > since,
            col(LockRequest.batch_id).is_(None),
            or_(
                col(LockRequest.error_type).is_(None),
                col(LockRequest.error_type) != Rejection.RATE_LIMITED,
            ),
            not_mine,
        )
        groups = select(func.count()).where(
            col(LockBatch.user_id) == user_id,
            col(LockBatch.created_at) > since,
            or_(col(LockBatch.owner).is_(None), col(LockBatch.owner) != self.owner),
        )
        async with self.db.session() as session:
            return int((await session.exec(singles)).one()) + int(
                (await session.exec(groups)).one()
            )

    def _forget_idle(self, now: datetime) -> None:
        """Users with nothing in the last minute (kept small: a burst of many users)."""
        if len(self._users) < 1000:
            return
        since = now - MINUTE
        for user_id in [
            u for u, user in self._users.items() if not user.mine or user.mine[-1] <= since
        ]:
            if user_id not in self._counting:
                del self._users[user_id]
