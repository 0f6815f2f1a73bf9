"""Runs the schedules: one APScheduler cron job per active schedule, on the leader only.

Every fire goes through `catch_up`, which looks at all the fire times since the schedule was
last covered: the newest one runs if it is within the grace time (late, once), anything older is
reported as missed. Each fire time is claimed by inserting its `schedule_run` row first, and the
row's unique key makes the claim win once, so a run never happens twice: not after a restart,
not when two replicas overlap during a failover.

A claim (`claimed`) becomes `ran` or `late` only once its lock batch is recorded; the batch's
request id names the run (`run_request_id`). A claim still without one after `CLAIM_TIMEOUT`
(the process died, or recording the batch failed) is settled by whoever leads then, at start-up
and on every reload: adopted when its batch was recorded after all, else reported as missed,
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, select

from bot import metrics
from bot.db import Database
from bot.leadership import Leadership
from bot.locking import GroupSubmission, LockService, Requester
from bot.models import Door, DoorGroup, LockBatch, LockStatus, Schedule, ScheduleRun, utcnow
from bot.names import lookup
from bot.scheduler import Scheduler
from bot.schedules import when_of

log = logging.getLogger(__name__)
CATCH_UP_MAX = 1000  # fire times looked at after downtime; beyond that they are just counted
ELECTION_EVERY_S = 1.0
RELOAD_EVERY_S = 5.0  # the safety net behind LISTEN/NOTIFY, and how SQLite sees CLI changes
LATE_AFTER = timedelta(seconds=60)  # a run that starts this long after its fire time is late
# A claim is one insert and its batch one transaction after it: far less than this, even on a
# busy database. Older claims without a batch were lost (their process died, or it failed).
CLAIM_TIMEOUT = timedelta(minutes=2)


class ScheduleNotifier(Protocol):
    async def schedule_missed(
        self, schedule: Schedule, missed: list[datetime], more: bool
    ) -> None: ...

    async def schedule_not_run(self, schedule: Schedule, reason: str) -> None: ...

    async def schedule_lost(self, schedule: Schedule, fire_at: datetime) -> None: ...


def job_key(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


def run_request_id(run_id: int) -> str:
    """The request id of a run's lock batch: how a lost claim finds the batch it did record."""
    return f"schedule-run-{run_id}"


class ScheduleRunner:
    def __init__(
        self,
        db: Database,
        service: LockService,
        scheduler: Scheduler,
        notifier: ScheduleNotifier,
        leadership: Leadership,
        grace_s: float = 600.0,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
    ) -> None:
        self.db = db
        self.service = service
        self.scheduler = scheduler
        self.notifier = notifier
        self.leadership = leadership
        self.grace = timedelta(seconds=grace_s)
        self.claim_timeout = claim_timeout
        self.leading = False
        self._running: set[int] = set()  # claims this process is turning into a batch now
        self._jobs: dict[int, tuple[str, str]] = {}  # schedule id → (cron, timezone) scheduled
        self._task: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._lead())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # A schedule made or changed after this must not catch up here: `reload` and `fire`
        # look at this flag, and a closing replica leads nothing.
        self.leading = False
        metrics.LEADER.set(0)
        self._drop_jobs()
        await self.leadership.close()

    async def _lead(self) -> None:
        while True:
            try:
                if await self.leadership.try_lead():
                    if not self.leading:
                        log.info("this replica now runs the schedules")
                        self.leading = True
                        metrics.LEADER.set(1)
                    await self.reload()
                    if await self.leadership.wait_for_change(RELOAD_EVERY_S):
                        continue
                if self.leading:
                    log.warning("lost the scheduler leadership; another replica takes over")
                    self.leading = False
                    metrics.LEADER.set(0)
                    self._drop_jobs()
                await asyncio.sleep(ELECTION_EVERY_S)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the schedule runner failed; retrying")
                await asyncio.sleep(ELECTION_EVERY_S)

    def _drop_jobs(self) -> None:
        for schedule_id in list(self._jobs):
            self.scheduler.cancel(job_key(schedule_id))
        self._jobs.clear()

    async def reload(self) -> None:
        """Make the jobs match the rows. New and changed schedules catch up first (after
        downtime that runs a late fire or reports missed ones)."""
        if not self.leading:
            return
        async with self._reload_lock:
            async with self.db.session() as session:
                rows = (
                    await session.exec(select(Schedule).where(col(Schedule.paused).is_(False)))
                ).all()
            wanted = {row.id: row for row in rows if row.id is not None}
            for schedule_id in set(self._jobs) - set(wanted):
                self.scheduler.cancel(job_key(schedule_id))
                del self._jobs[schedule_id]
            for schedule_id, schedule in wanted.items():
                shape = (schedule.cron, schedule.timezone)
                if self._jobs.get(schedule_id) == shape:
                    continue
                await self.catch_up(schedule_id)
                self.scheduler.at(
                    job_key(schedule_id), when_of(schedule).trigger(), self.fire, schedule_id
                )
                self._jobs[schedule_id] = shape
            await self.settle_lost_claims()

    async def fire(self, schedule_id: int) -> None:
        if self.leading:
            await self.catch_up(schedule_id)

    async def catch_up(self, schedule_id: int) -> None:
        async with self.db.session() as session:
            schedule = await session.get(Schedule, schedule_id)
        if schedule is None or schedule.paused:
            return
        now = utcnow()
        times, more = self._fire_times(schedule, now)
        if not times:
            return
        due: datetime | None = times[-1]
        missed = times[:-1]
        assert due is not None
        if now - due > self.grace:
            missed, due = times, None
        if missed and await self._claim(schedule_id, missed[-1], "missed"):
            metrics.SCHEDULE_MISSES.inc(len(missed))
            log.warning(
                "schedule %s missed %d run(s), the last at %s", schedule_id, len(missed), missed[-1]
            )
            await self._say(self.notifier.schedule_missed(schedule, missed, more))
        if due is not None:
            run_id = await self._claim(schedule_id, due, "claimed")
            if run_id is not None:
                await self._run(schedule, run_id, "late" if now - due > LATE_AFTER else "ran")
        await self.db.advance(Schedule, "covered_until", now, col(Schedule.id) == schedule_id)

    def _fire_times(self, schedule: Schedule, now: datetime) -> tuple[list[datetime], bool]:
        """Fire times in (covered_until, now]; True when there were more than CATCH_UP_MAX, in
        which case the list holds the oldest ones and then those within the grace time."""
        trigger = when_of(schedule).trigger()

        def scan(after: datetime, limit: int) -> list[datetime]:
            times: list[datetime] = []
            while len(times) < limit:
                fire: datetime | None = trigger.get_next_fire_time(after, after)
                if fire is None or fire > now:
                    break
                times.append(fire)
                after = fire
            return times

        oldest = scan(schedule.covered_until, CATCH_UP_MAX)
        if len(oldest) < CATCH_UP_MAX:
            return oldest, False
        # Long downtime on a frequent schedule: the newest fire may still be due.
        recent = scan(max(oldest[-1], now - self.grace), CATCH_UP_MAX)
        return oldest + recent, bool(recent) or scan(oldest[-1], 1) != []

    async def _claim(self, schedule_id: int, fire_at: datetime, outcome: str) -> int | None:
        """Insert the run's row; None when another replica (or an earlier life) already did."""
        run = ScheduleRun(schedule_id=schedule_id, fire_at=fire_at, outcome=outcome)
        try:
            async with self.db.writing() as session:
                session.add(run)
                await session.commit()
                return run.id
        except sa.exc.IntegrityError:
            log.info("schedule %s: the %s run was already claimed", schedule_id, fire_at)
            return None

    async def _run(self, schedule: Schedule, run_id: int, outcome: str) -> None:
        metrics.SCHEDULE_RUNS.inc()
        self._running.add(run_id)
        try:
            await self._submit(schedule, run_id, outcome)
        except Exception:
            # The claim stays without a batch; the next leader's check reports it as missed.
            log.exception(
                "schedule %s: run %s failed before its lock was recorded", schedule.id, run_id
            )
        finally:
            self._running.discard(run_id)

    async def _submit(self, schedule: Schedule, run_id: int, outcome: str) -> None:
        name = await self._current_name(schedule)
        if name is None:
            await self._set_outcome(run_id, "gone")
            await self._say(self.notifier.schedule_not_run(schedule, "gone"))
            return
        requester = Requester(
            user_id=schedule.created_by, source="schedule", channel_id=schedule.channel_id
        )
        submission = await self.service.submit(
            requester, name, run_request_id(run_id), as_group=True
        )
        assert isinstance(submission, GroupSubmission)
        batch = submission.batch
        await self._set_outcome(run_id, outcome if submission.accepted else "denied", batch.id)
        if not self.service.begin(submission):
            await self._say(self.notifier.schedule_not_run(schedule, _why_not(submission)))

    async def _set_outcome(
        self, run_id: int, outcome: str, batch_id: int | None = None, *, if_claimed: bool = False
    ) -> bool:
        """True when the row was changed; `if_claimed` changes only a claim still open."""
        query = sa.update(ScheduleRun).where(col(ScheduleRun.id) == run_id)
        if if_claimed:
            query = query.where(col(ScheduleRun.outcome) == "claimed")
        values: dict[str, Any] = {"outcome": outcome}
        if batch_id is not None:
            values["batch_id"] = batch_id
        async with self.db.writing() as session:
            result = await session.exec(query.values(**values))
            await session.commit()
        return bool(result.rowcount == 1)

    async def settle_lost_claims(self) -> None:
        """Claims older than `claim_timeout` that no run here is working on: their process died
        or failed between the claim and the batch."""
        cutoff = utcnow() - self.claim_timeout
        async with self.db.session() as session:
            query = select(ScheduleRun).where(
                col(ScheduleRun.outcome) == "claimed", col(ScheduleRun.started_at) <= cutoff
            )
            lost = [run for run in (await session.exec(query)).all() if run.id not in self._running]
        for run in lost:
            await self._settle_lost(run)

    async def _settle_lost(self, run: ScheduleRun) -> None:
        assert run.id is not None
        async with self.db.session() as session:
            schedule = await session.get(Schedule, run.schedule_id)
            query = select(LockBatch).where(col(LockBatch.request_id) == run_request_id(run.id))
            batch = (await session.exec(query)).first()
        if batch is not None:
            # It died after recording the batch, which the lock service resumes or settles.
            denied = batch.status in (LockStatus.DENIED, LockStatus.REJECTED)
            late = run.started_at - run.fire_at > LATE_AFTER
            outcome = "denied" if denied else "late" if late else "ran"
            await self._set_outcome(run.id, outcome, batch.id, if_claimed=True)
            return
        if not await self._set_outcome(run.id, "missed", if_claimed=True):
            return  # another leader settled it first, and told
        metrics.SCHEDULE_MISSES.inc()
        log.warning(
            "schedule %s: the %s run was claimed but its lock never recorded; reported missed",
            run.schedule_id,
            run.fire_at,
        )
        if schedule is not None:
            await self._say(self.notifier.schedule_lost(schedule, run.fire_at))

    async def _current_name(self, schedule: Schedule) -> str | None:
        """The target's name now: doors and groups may have been renamed since."""
        async with self.db.session() as session:
            row: Door | DoorGroup | None = None
            if schedule.door_id is not None:
                row = await session.get(Door, schedule.door_id)
            elif schedule.group_id is not None:
                row = await session.get(DoorGroup, schedule.group_id)
            if row is None:
                row = await lookup(session, schedule.target)
            return row.name if row else None

    async def _say(self, call: Any) -> None:
        try:
            await call
        except Exception:
            log.exception("could not post a schedule notice")


def _why_not(submission: GroupSubmission) -> str:
    if submission.blocked:
        return ", ".join(submission.blocked)
    return submission.batch.error_type or ""
