"""Test doubles shared by the unit tests of the lock service and its callers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.models import LockBatch, LockRequest, LockStatus
from bot.ports import MessageRef, Progress


class NoGroups:
    """A Slack user-group directory in which no group has members."""

    async def members(self, group_id: str) -> frozenset[str]:
        return frozenset()


@dataclass
class Recorder:
    """A Notifier that records what each request and group was told. `events` is every call of
    a door's request in order, `lines` each door's outcome, `summaries` each group's; `done` is set
    once a lone request (no group) or a group is finished."""

    events: list[tuple[str, LockStatus, str | None]] = field(default_factory=list)
    lines: list[tuple[str, str | None, LockStatus]] = field(default_factory=list)
    summaries: list[LockBatch] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def started(self, request: LockRequest) -> MessageRef | None:
        self.events.append(("started", request.status, None))
        # A group's doors have no message of their own: their lines go to the group's thread.
        return MessageRef("C1", "111.222") if request.batch_id is None else None

    async def progress(self, request: LockRequest, step: Progress) -> None:
        self.events.append(("progress", request.status, step.value))

    async def finished(self, request: LockRequest) -> None:
        self.events.append(("finished", request.status, request.error_type))
        self.lines.append(("door", request.door_name, request.status))
        if request.batch_id is None:
            self.done.set()

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        for follower in followers:
            await self.finished(follower)

    async def group_started(self, batch: LockBatch, members: list[LockRequest]) -> MessageRef:
        return MessageRef("C1", "9.9")

    async def group_finished(self, batch: LockBatch, members: list[LockRequest]) -> None:
        self.summaries.append(batch)
        self.done.set()
