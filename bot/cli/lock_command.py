"""`lockbot lock`: lock a door or a group from the terminal, through the same path as /lock.

A top-level command: bot.cli.root registers it on its root app.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from bot.cli.common import operator, require_seam, settings
from bot.db import migrate_async

if TYPE_CHECKING:
    from bot.cli.console import ConsoleNotifier
    from bot.locking import GroupSubmission, LockService
    from bot.models import LockRequest


async def wait_until_final(service: LockService, request_id: int) -> LockRequest:
    """Poll the row until it ends: its deadline, plus the sweeper's grace, bounds the wait."""
    while True:
        row = await service.load(request_id)
        assert row is not None
        if row.status.final:
            return row
        await asyncio.sleep(0.5)


async def lock_group(
    service: LockService, notifier: ConsoleNotifier, submission: GroupSubmission
) -> bool:
    from bot.models import LockStatus, Rejection

    batch = submission.batch
    if not submission.accepted:
        empty = submission.rejection is Rejection.EMPTY_GROUP
        why = "it has no doors" if empty else batch.error_type
        typer.echo(f"✗ {batch.group_name} was not locked: {why}", err=True)
        return False
    assert batch.id is not None
    notifier.watch(batch_id=batch.id)
    await service.groups.start_group(batch.id)
    await notifier.done.wait()
    return notifier.batch is not None and notifier.batch.status is LockStatus.LOCKED


def lock(door: str) -> None:
    """Lock a door or a group from the terminal, through the same path as /lock."""
    from bot.cli.console import ConsoleNotifier, NoGroups
    from bot.locking import GroupSubmission, Requester
    from bot.models import LockStatus, Rejection
    from bot.runtime import Runtime

    config = settings()
    require_seam(config)
    actor = operator()
    config = config.model_copy(update={"admins": config.admins | {actor}})

    async def main() -> bool:
        await migrate_async(config.database_url)
        notifier = ConsoleNotifier()
        runtime = Runtime.build(config, notifier, NoGroups())
        try:
            # Only its own lease: pending requests belong to the running bot, not to this command,
            # and the bot leaves this one's alone while the lease is renewed.
            runtime.keep_leases()
            submission = await runtime.service.submit(Requester(actor, source="cli"), door)
            if isinstance(submission, GroupSubmission):
                return await lock_group(runtime.service, notifier, submission)
            request = submission.request
            if submission.rejection is Rejection.DOOR_MISSING:
                typer.echo(
                    f"✗ {request.door_name} is missing from Seam: its lock ({request.device_id}) "
                    "was not in Seam's list at the last sync, so it was not locked. Check the "
                    "lock in the Seam console (https://console.seam.co/), then run "
                    "`lockbot doors sync`.",
                    err=True,
                )
                return False
            if submission.joined is not None:
                # The running bot is locking this door already; wait for that outcome.
                typer.echo(
                    f"⏳ {request.door_name} is already being locked (asked by "
                    f"{submission.joined.user_id}); waiting for that outcome…"
                )
                assert request.id is not None
                notifier.watch(request.id)
                final = await wait_until_final(runtime.service, request.id)
                await notifier.finished(final)
                return final.status is LockStatus.LOCKED
            if submission.rejection is Rejection.RATE_LIMITED:
                typer.echo("✗ too many lock commands in the last minute; try again soon", err=True)
                return False
            if not submission.accepted:
                hint = ", ".join(submission.suggestions)
                typer.echo(
                    f"✗ no door is called {door!r}" + (f"; did you mean {hint}?" if hint else ""),
                    err=True,
                )
                return False
            assert request.id is not None
            notifier.watch(request.id)
            await runtime.service.tracker.start(request.id)
            await notifier.done.wait()
            return notifier.outcome is not None and notifier.outcome.status is LockStatus.LOCKED
        finally:
            await runtime.close()

    if not asyncio.run(main()):
        raise typer.Exit(code=1)
