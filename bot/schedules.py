"""Recurring locks: who may create, see and change them. Rows are the truth; the runner
(bot.schedule_runner) builds its jobs from them and is told when they change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy
from bot.cadence import shortest_gap
from bot.door_admin import door_channels
from bot.models import Door, DoorGroup, LockBatch, Schedule, ScheduleRun, utcnow
from bot.names import Named, Unknown, covered_doors, group_doors, resolve
from bot.refusals import Refusal, Refused
from bot.when import When
from bot.windows import RELOCK_MIN, Planned, Window, parse_schedule

ScheduleListener = Callable[[], Coroutine[Any, Any, None]]


class ScheduleError(Refusal):
    """A schedule operation that cannot be done as asked."""


class WrongChannel(ScheduleError):
    """The report channel is not one that every limited door may be locked from."""

    def __init__(self, channel_id: str, allowed: dict[str, list[str]]) -> None:
        super().__init__(Refused.WRONG_CHANNEL, names=[channel_id])
        self.channel_id = channel_id
        self.allowed = allowed  # door name → the only channels it may be locked from


class TooOften(ScheduleError):
    def __init__(self, when: When, gap: timedelta, minimum: timedelta) -> None:
        super().__init__(Refused.TOO_OFTEN)
        self.when, self.gap, self.minimum = when, gap, minimum


class TooMany(ScheduleError):
    def __init__(self, owner: str, limit: int) -> None:
        super().__init__(Refused.TOO_MANY, names=[owner])
        self.owner, self.limit = owner, limit


@dataclass(frozen=True)
class Limits:
    """What keeps schedules from flooding a channel; admins are exempt. Zero turns one off."""

    min_interval: timedelta = timedelta(hours=1)
    per_person: int = 10
    relock_min: timedelta = RELOCK_MIN  # the shortest `relock after` (a test may lower it)


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    when: When
    next_runs: list[datetime]
    window: Window | None = None

    @property
    def id(self) -> int:
        assert self.schedule.id is not None
        return self.schedule.id

    def describe(self) -> str:
        """When it runs, in plain words, with its window if it has one."""
        return Planned(self.when, self.window).describe()


def when_of(schedule: Schedule) -> When:
    return When(schedule.cron, schedule.timezone)


def window_of(schedule: Schedule) -> Window | None:
    if schedule.window_minutes is None:
        return None
    after = schedule.relock_after_s
    return Window(schedule.window_minutes, None if after is None else timedelta(seconds=after))


def view(schedule: Schedule, count: int = 3) -> ScheduleView:
    when = when_of(schedule)
    runs = [] if schedule.paused else when.next_runs(count)
    return ScheduleView(schedule, when, runs, window_of(schedule))


async def _target(session: AsyncSession, text: str) -> Named:
    found = await resolve(session, text)
    if not isinstance(found, Unknown):
        return found
    raise ScheduleError(Refused.SCHEDULE_TARGET_UNKNOWN, missing=[found.missing])


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


async def channel_limits(
    session: AsyncSession, doors: list[Door], channel_id: str
) -> dict[str, list[str]]:
    """The doors limited to channels other than `channel_id`, with the channels they allow."""
    limited = {}
    for door in doors:
        assert door.id is not None
        channels = await door_channels(session, door.id)
        if channels and channel_id not in channels:
            limited[door.name] = channels
    return limited


async def _one_owner_at_a_time(session: AsyncSession, owner: str) -> None:
    """On PostgreSQL, make one person's adds wait for each other until commit, so a double
    submit cannot make two schedules, nor two adds pass the per-person cap together. SQLite
    already writes one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        lock = sa.text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:owner))")
        await (await session.connection()).execute(lock, {"space": _OWNER_LOCKS, "owner": owner})


_OWNER_LOCKS = 0x5C4ED  # names these locks among the server's advisory locks


async def _same_schedule(
    session: AsyncSession, owner: str, named: Named, planned: Planned, channel_id: str
) -> Schedule | None:
    """The owner's active schedule that locks the same door or group at the same times from
    the same channel, if there is one."""
    query = select(Schedule).where(
        col(Schedule.created_by) == owner,
        col(Schedule.paused).is_(False),
        col(Schedule.door_id if isinstance(named, Door) else Schedule.group_id) == named.id,
        col(Schedule.cron) == planned.when.cron,
        col(Schedule.timezone) == planned.when.timezone,
        col(Schedule.channel_id) == channel_id,
    )
    return next(
        (s for s in (await session.exec(query)).all() if window_of(s) == planned.window), None
    )


class Schedules:
    """The operations behind `/lock schedule…` and `lockbot schedules …`."""

    def __init__(
        self,
        access: AccessPolicy,
        on_change: ScheduleListener | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.access = access
        self.on_change = on_change
        self.limits = limits or Limits()
        self._tasks: set[asyncio.Task[None]] = set()

    async def _within_limits(
        self, session: AsyncSession, actor: str, owner: str, when: When
    ) -> None:
        """Refuse a schedule that would run too often, or one too many for its owner, when a
        person who is not an admin creates or resumes it."""
        if await self.access.is_admin(session, actor):
            return
        minimum = self.limits.min_interval
        gap = shortest_gap(when) if minimum > timedelta(0) else None
        if gap is not None and gap < minimum:
            raise TooOften(when, gap, minimum)
        if self.limits.per_person > 0:
            query = select(func.count()).where(
                col(Schedule.created_by) == owner, col(Schedule.paused).is_(False)
            )
            if int((await session.exec(query)).one()) >= self.limits.per_person:
                raise TooMany(owner, self.limits.per_person)

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
        actor: str | None = None,
    ) -> ScheduleView:
        """A schedule owned by `user_id`, made by `actor` (default: the owner himself); a
        terminal operator makes one for a Slack user with `--as`."""
        planned = parse_schedule(when_text, default_timezone, self.limits.relock_min)
        when, window = planned.when, planned.window
        named = await _target(session, target)
        assert named.id is not None
        doors = await covered_doors(session, named)
        if not doors:
            raise ScheduleError(Refused.EMPTY_GROUP, names=[named.name])
        blocked = await may_lock_all(session, self.access, user_id, doors)
        if blocked:
            raise ScheduleError(Refused.MAY_NOT_LOCK, names=blocked)
        # Each run locks from this channel, and a door's channel limit holds for runs too.
        if limited := await channel_limits(session, doors, channel_id):
            raise WrongChannel(channel_id, limited)
        await _one_owner_at_a_time(session, user_id)
        # A second submit of the same form (or the same command typed twice) is the schedule
        # already made, not a second one locking the same doors at the same time.
        if (same := await _same_schedule(session, user_id, named, planned, channel_id)) is not None:
            return view(same)
        await self._within_limits(session, actor or user_id, user_id, when)
        schedule = Schedule(
            target=named.name,
            door_id=named.id if isinstance(named, Door) else None,
            group_id=named.id if isinstance(named, DoorGroup) else None,
            cron=when.cron,
            timezone=when.timezone,
            channel_id=channel_id,
            created_by=user_id,
            covered_until=utcnow(),
            window_minutes=window.minutes if window else None,
            relock_after_s=_seconds(window.relock_after) if window else None,
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
            raise ScheduleError(Refused.NO_SUCH_SCHEDULE, number=schedule_id)
        if schedule.created_by != user_id and not await self.access.is_admin(session, user_id):
            raise ScheduleError(
                Refused.NOT_YOUR_SCHEDULE, number=schedule_id, names=[schedule.created_by]
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
            await self._within_limits(session, user_id, schedule.created_by, when_of(schedule))
            # Runs that fell in the pause were skipped on purpose, not missed.
            schedule.paused, schedule.covered_until = False, utcnow()
            session.add(schedule)
        result = view(schedule)
        await self._changed(session)
        return result


def _seconds(length: timedelta | None) -> int | None:
    return None if length is None else int(length.total_seconds())


@dataclass(frozen=True)
class LastRun:
    """A schedule's latest run, and the lock batch it recorded (none when it did not run)."""

    run: ScheduleRun
    batch: LockBatch | None


async def owned(session: AsyncSession, user_id: str) -> list[ScheduleView]:
    """The schedules `user_id` made, oldest first."""
    query = select(Schedule).where(col(Schedule.created_by) == user_id).order_by(col(Schedule.id))
    return [view(s, 1) for s in (await session.exec(query)).all()]


async def last_runs(session: AsyncSession, schedule_ids: list[int]) -> dict[int, LastRun]:
    """Each schedule's latest run, by schedule ID."""
    if not schedule_ids:
        return {}
    latest = (
        select(func.max(ScheduleRun.id))
        .where(col(ScheduleRun.schedule_id).in_(schedule_ids))
        .group_by(col(ScheduleRun.schedule_id))
    )
    query = (
        select(ScheduleRun, LockBatch)
        .join(LockBatch, col(LockBatch.id) == col(ScheduleRun.batch_id), isouter=True)
        .where(col(ScheduleRun.id).in_(latest))
    )
    rows = (await session.exec(query)).all()
    return {run.schedule_id: LastRun(run, batch) for run, batch in rows}


CHANNEL = "lockbot_schedules"


async def notify_change(session: AsyncSession) -> None:
    """Tell every replica's runner, through PostgreSQL, once the change commits."""
    if session.get_bind().dialect.name == "postgresql":
        await (await session.connection()).execute(sa.text(f"NOTIFY {CHANNEL}"))
