"""Unexpected unlocks: an unlock soon after a door's scheduled lock is news even in quiet hours."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events.wording import _method, bold, duration
from bot.models import LockRequest, LockStatus, Schedule, ScheduleRun
from bot.ports import DeviceEvent

if TYPE_CHECKING:
    from bot.events.routing import _Door


class UnexpectedUnlocks:
    """EventRelay's check for unexpected unlocks, as a base it inherits."""

    # Set by EventRelay.__init__.
    locked: timedelta

    async def _unexpected(
        self, session: AsyncSession, event: DeviceEvent, about: _Door
    ) -> str | None:
        """The warning for an unlock soon after the door's latest scheduled lock, else None."""
        if self.locked <= timedelta(0):
            return None
        query = (
            select(ScheduleRun, Schedule)
            .join(Schedule, col(Schedule.id) == col(ScheduleRun.schedule_id))
            # Only a run that recorded its lock, and asked Seam to lock this door: not a claim
            # that never got that far, nor a door the run skipped (limited to other channels).
            .join(LockRequest, col(LockRequest.batch_id) == col(ScheduleRun.batch_id))
            .where(
                col(LockRequest.door_id) == about.door.id,
                col(LockRequest.status).not_in((LockStatus.REJECTED, LockStatus.DENIED)),
                col(ScheduleRun.outcome).in_(("ran", "late")),
                # When it ran, not when it was due: a late run locked the door only then.
                col(ScheduleRun.started_at) <= event.occurred_at,
            )
            .order_by(col(ScheduleRun.started_at).desc())
            .limit(1)
        )
        found = (await session.exec(query)).first()
        if found is None:
            return None
        run, schedule = found
        if event.occurred_at - run.started_at > self.locked:
            return None
        local = ZoneInfo(schedule.timezone)
        how = _method(event.method)
        return (
            f"⚠️ Unexpected: {bold(about.name)} was unlocked"
            + (f" ({how})" if how else "")
            + f" at {event.occurred_at.astimezone(local):%H:%M}, "
            + f"{duration(event.occurred_at - run.fire_at)} after its "
            + f"{run.fire_at.astimezone(local):%H:%M} scheduled lock"
        )
