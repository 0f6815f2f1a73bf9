"""Recurring locks: who may create, see and change them. Rows are the truth; the runner
(bot.schedule_runner) builds its jobs from them and is told when they change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy
from bot.doors import find_door
from bot.groups import find_group, group_doors, suggest_targets
from bot.models import Door, DoorGroup, Schedule, utcnow
from bot.when import When, parse_when

ScheduleListener = Callable[[], Coroutine[Any, Any, None]]


class ScheduleError(ValueError):
    """A schedule operation that cannot be done; the message is for the person who asked."""


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    when: When
    next_runs: list[datetime]

    @property
    def id(self) -> int:
        assert self.schedule.id is not None
        return self.schedule.id


def when_of(schedule: Schedule) -> When:
    return When(schedule.cron, schedule.timezone)


def view(schedule: Schedule, count: int = 3) -> ScheduleView:
    when = when_of(schedule)
    runs = [] if schedule.paused else when.next_runs(count)
    return ScheduleView(schedule, when, runs)


async def _target(session: AsyncSession, text: str) -> tuple[Door | None, DoorGroup | None]:
    door = await find_door(session, text)
    if door is not None:
        return door, None
    group = await find_group(session, text)
    if group is not None:
        return None, group
    hint = await suggest_targets(session, text)
    also = f" Did you mean {hint[0]!r}?" if hint else ""
    raise ScheduleError(f"I don't know a door or group called {text!r}.{also}")


async def doors_of(session: AsyncSession, schedule: Schedule) -> list[Door]:
    if schedule.door_id is not None:
        door = await session.get(Door, schedule.door_id)
        return [door] if door else []
    if schedule.group_id is not None:
        return await group_doors(session, schedule.group_id)
    return []


async def may_lock_all(
    session: AsyncSession, access: AccessPolicy, user_id: str, doors: list[Door]
) -> list[str]:
    """Names of the doors `user_id` may not lock (empty: may lock them all)."""
    return [
        door.name
        for door in doors
        if door.id is None or not await access.may_lock(session, user_id, door.id)
    ]


class Schedules:
    """The operations behind `/lock schedule…` and `lockbot schedules …`."""

    def __init__(self, access: AccessPolicy, on_change: ScheduleListener | None = None) -> None:
        self.access = access
        self.on_change = on_change
        self._tasks: set[asyncio.Task[None]] = set()

    async def _changed(self, session: AsyncSession) -> None:
        await notify_change(session)
        await session.commit()
        if self.on_change is not None:
            # Later, not now: the caller may still hold the database's write lock, which the
            # runner's catch-up needs too.
            task = asyncio.get_running_loop().create_task(self.on_change())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def add(
        self,
        session: AsyncSession,
        user_id: str,
        target: str,
        when_text: str,
        channel_id: str,
        default_timezone: str,
    ) -> ScheduleView:
        when = parse_when(when_text, default_timezone)
        door, group = await _target(session, target)
        named = door or group
        assert named is not None and named.id is not None
        doors = [door] if door else await group_doors(session, named.id)
        if not doors:
            raise ScheduleError(f"{named.name} has no doors to lock yet.")
        blocked = await may_lock_all(session, self.access, user_id, doors)
        if blocked:
            raise ScheduleError(
                "You may schedule only what you may lock, and you may not lock "
                f"{', '.join(blocked)}."
            )
        schedule = Schedule(
            target=named.name,
            door_id=door.id if door else None,
            group_id=group.id if group else None,
            cron=when.cron,
            timezone=when.timezone,
            channel_id=channel_id,
            created_by=user_id,
            covered_until=utcnow(),
        )
        session.add(schedule)
        await session.flush()
        result = view(schedule)
        await self._changed(session)
        return result

    async def visible(self, session: AsyncSession, user_id: str) -> list[ScheduleView]:
        """Everything for admins; otherwise a user's own schedules and those of what they may
        lock."""
        rows = (await session.exec(select(Schedule).order_by(col(Schedule.id)))).all()
        if await self.access.is_admin(session, user_id):
            return [view(s) for s in rows]
        allowed = await self.access.lockable(session, user_id)
        out = []
        for schedule in rows:
            doors = await doors_of(session, schedule)
            if schedule.created_by == user_id or (
                doors and (allowed is None or all(d.id in allowed for d in doors))
            ):
                out.append(view(schedule))
        return out

    async def _own(self, session: AsyncSession, user_id: str, schedule_id: int) -> Schedule:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            raise ScheduleError(
                f"There is no schedule {schedule_id}; `/lock schedules` lists them."
            )
        if schedule.created_by != user_id and not await self.access.is_admin(session, user_id):
            raise ScheduleError(
                f"Schedule {schedule_id} belongs to {schedule.created_by}; only they or an admin "
                "may change it."
            )
        return schedule

    async def remove(self, session: AsyncSession, user_id: str, schedule_id: int) -> Schedule:
        schedule = await self._own(session, user_id, schedule_id)
        await session.delete(schedule)
        await self._changed(session)
        return schedule

    async def pause(self, session: AsyncSession, user_id: str, schedule_id: int) -> ScheduleView:
        schedule = await self._own(session, user_id, schedule_id)
        schedule.paused = True
        session.add(schedule)
        result = view(schedule)
        await self._changed(session)
        return result

    async def resume(self, session: AsyncSession, user_id: str, schedule_id: int) -> ScheduleView:
        schedule = await self._own(session, user_id, schedule_id)
        if schedule.paused:
            # Runs that fell in the pause were skipped on purpose, not missed.
            schedule.paused, schedule.covered_until = False, utcnow()
            session.add(schedule)
        result = view(schedule)
        await self._changed(session)
        return result


CHANNEL = "lockbot_schedules"


async def notify_change(session: AsyncSession) -> None:
    """Tell every replica's runner, through PostgreSQL, once the change commits."""
    if session.get_bind().dialect.name == "postgresql":
        await (await session.connection()).execute(sa.text(f"NOTIFY {CHANNEL}"))
