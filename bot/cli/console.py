"""The terminal side of the Notifier port, for `lockbot lock`."""

from __future__ import annotations

import asyncio

import typer

from bot.models import LockBatch, LockRequest, LockStatus
from bot.ports import MessageRef, Progress


class ConsoleNotifier:
    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.outcome: LockRequest | None = None
        self.request_id: int | None = None
        self.batch_id: int | None = None
        self.batch: LockBatch | None = None

    def watch(self, request_id: int | None = None, batch_id: int | None = None) -> None:
        self.request_id, self.batch_id = request_id, batch_id

    async def started(self, request: LockRequest) -> MessageRef | None:
        typer.echo(f"🔒 Locking {request.door_name}…")
        return None

    async def progress(self, request: LockRequest, step: Progress) -> None:
        if step is Progress.SENT:
            typer.echo("📡 Seam accepted the request; waiting for the lock to confirm…")

    async def finished(self, request: LockRequest) -> None:
        if request.batch_id is not None and request.batch_id == self.batch_id:
            mark = "✅" if request.status is LockStatus.LOCKED else "❌"
            detail = "" if request.status is LockStatus.LOCKED else f": {request.error_type}"
            typer.echo(f"  {mark} {request.door_name}{detail}")
            return
        if request.id != self.request_id:
            return
        self.outcome = request
        seconds = f"{request.elapsed_s or 0:.1f} s"
        if request.status is LockStatus.LOCKED:
            typer.echo(f"✅ {request.door_name} is locked ({seconds}).")
        else:
            typer.echo(
                f"❌ {request.door_name}: {request.status.value} after {seconds}: "
                f"{request.error_type}: {request.error_message}",
                err=True,
            )
        self.done.set()

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        for follower in followers:
            await self.finished(follower)

    async def group_started(
        self, batch: LockBatch, members: list[LockRequest]
    ) -> MessageRef | None:
        typer.echo(f"🔒 Locking {batch.group_name} ({len(members)} doors)…")
        return None

    async def group_finished(self, batch: LockBatch, members: list[LockRequest]) -> None:
        if batch.id != self.batch_id:
            return
        self.batch = batch
        seconds = f"{batch.elapsed_s or 0:.1f} s"
        ok = batch.status is LockStatus.LOCKED
        typer.echo(
            f"{'✅' if ok else '⚠️'} {batch.group_name}: {batch.summary} ({seconds}).", err=not ok
        )
        self.done.set()


class NoGroups:
    """The terminal user is an operator; group lookups never decide anything there."""

    async def members(self, group_id: str) -> frozenset[str]:
        return frozenset()
