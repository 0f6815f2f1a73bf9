"""Unexpected unlocks: an unlock soon after a door's scheduled lock is news even in quiet hours."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Door, LockRequest, LockStatus, Schedule, ScheduleRun
from bot.news import UnexpectedUnlock
from bot.ports import DeviceEvent


class UnexpectedUnlocks:
    def __init__(self, window: timedelta) -> None:
        # How long after a scheduled lock an unlock is unexpected; zero or less turns it off.
        self.window = window

    async def warning(
        self, session: AsyncSession, event: DeviceEvent, door: Door
    ) -> UnexpectedUnlock | None:
        """The warning for an unlock soon after the door's latest scheduled lock, else None."""
        if self.window <= timedelta(0):
            return None
        query = (
            select(ScheduleRun, Schedule)
            .join(Schedule, col(Schedule.id) == col(ScheduleRun.schedule_id))
            # Only a run that recorded its lock, and asked Seam to lock this door: not a claim
            # that never got that far, nor a door the run skipped (limited to other channels).
            .join(LockRequest, col(LockRequest.batch_id) == col(ScheduleRun.batch_id))
            .where(
                col(LockRequest.door_id) == door.id,
                # A schedule with a window says exactly when the door stays locked
                # (bot/window_watch.py); this guess is for schedules without an end.
                col(Schedule.window_minutes).is_(None),
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
        if event.occurred_at - run.started_at > self.window:
            return None
        return UnexpectedUnlock(
            door.name, event.method, event.occurred_at, run.fire_at, schedule.timezone
        )
