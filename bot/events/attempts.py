"""Attempt outcomes: Seam's word that a lock attempt ended settles the lock requests waiting on
it, through the lock service, whose `UPDATE … WHERE pending` keeps the outcome told once even when
its own poll gets there at the same moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlmodel import col, select

from bot.db import Database
from bot.events.kinds import LOCK_SUCCEEDED
from bot.models import LockRequest, LockStatus
from bot.ports import DeviceEvent


class LockSettler(Protocol):
    """What settling needs of the lock tracker (bot.locking.tracker.Tracker)."""

    async def settle(
        self,
        request_id: int,
        status: LockStatus,
        error_type: str | None = ...,
        error_message: str | None = ...,
        *,
        event_at: datetime | None = ...,
        **extra: Any,
    ) -> LockRequest | None: ...

    async def poll(self, request_id: int, polls_done: int) -> None: ...

    async def load(self, request_id: int) -> LockRequest | None: ...


class Attempts:
    def __init__(self, db: Database, locks: LockSettler) -> None:
        self.db = db
        self.locks = locks

    async def settle(self, event: DeviceEvent) -> str:
        """settled, or ignored when no request was waiting (or another path settled it)."""
        if not event.action_attempt_id:
            return "ignored"
        async with self.db.session() as session:
            query = select(LockRequest.id).where(
                col(LockRequest.action_attempt_id) == event.action_attempt_id,
                col(LockRequest.status) == LockStatus.PENDING,
            )
            request_ids = list((await session.exec(query)).all())
        settled = False
        for request_id in request_ids:
            assert request_id is not None
            if event.event_type == LOCK_SUCCEEDED:
                # The event's time is when the lock answered, which the poll plan learns from.
                row = await self.locks.settle(
                    request_id, LockStatus.LOCKED, event_at=event.occurred_at
                )
            elif not event.error_type:
                # A polled failure comes without its error (the SDK's event class drops it);
                # one read of the attempt has it, and that read settles the request itself.
                await self.locks.poll(request_id, 0)
                row = await self.locks.load(request_id)
                row = row if row is not None and row.status.final else None
            else:
                row = await self.locks.settle(
                    request_id,
                    LockStatus.FAILED,
                    event.error_type or "unknown_error",
                    event.error_message or "Seam reported an error without details",
                    event_at=event.occurred_at,
                )
            # None: the poll (or the sweeper) wrote the outcome first and has told it.
            settled = settled or row is not None
        return "settled" if settled else "ignored"
