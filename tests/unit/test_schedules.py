"""Schedules: who may create, see and change them (bot.schedules), and how the runner settles
fire times (ScheduleRunner.catch_up) on a real database, with covered_until set by hand instead
of waiting for the clock. The lock path behind a run is the real LockService on a scripted Seam.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from typer.testing import CliRunner

from bot import admin
from bot.access import AccessPolicy
from bot.cli import words as terminal
from bot.db import Database
from bot.leadership import SoleLeader
from bot.locking import LockService, Timing
from bot.locking.recovery import Recovery
from bot.models import LockBatch, LockRequest, LockStatus, Schedule, ScheduleRun, utcnow
from bot.ports import Attempt, MessageRef, Progress
from bot.schedule_runner import ScheduleRunner
from bot.scheduler import Scheduler
from bot.schedules import Limits, ScheduleError, Schedules, TooMany, TooOften, WrongChannel
from bot.when import WhenError
from tests.support.leases import lapse_leases
from tests.support.refusals import refused

OPERATOR = "cli:test"
QUICK = Timing(timeout_s=2.0, poll_first_s=0.01, poll_backoff=1.0, poll_max_s=0.02)


class Groups:
    """Slack user groups as the bot would see them: SNIGHT is U7."""

    async def members(self, group_id: str) -> frozenset[str]:
        return frozenset({"U7"}) if group_id == "SNIGHT" else frozenset()


@dataclass
class Seam:
    """Every lock_door succeeds on the first poll; the calls are what a test asserts on."""

    locked: list[str] = field(default_factory=list)

    async def lock_door(self, device_id: str) -> Attempt:
        self.locked.append(device_id)
        return Attempt(f"attempt-{len(self.locked)}", "pending")

    async def get_attempt(self, attempt_id: str) -> Attempt:
        return Attempt(attempt_id, "success")


@dataclass
class Notes:
    """Both notifier ports: the lock outcomes and the schedule notices, as they are told."""

    summaries: list[LockBatch] = field(default_factory=list)
    missed: list[tuple[int | None, list[datetime], bool]] = field(default_factory=list)
    not_run: list[tuple[int | None, str]] = field(default_factory=list)
    lost: list[tuple[int | None, datetime]] = field(default_factory=list)

    async def started(self, request: LockRequest) -> MessageRef | None:
        return None

    async def progress(self, request: LockRequest, step: Progress) -> None:
        pass

    async def finished(self, request: LockRequest) -> None:
        pass

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        for follower in followers:
            await self.finished(follower)

    async def group_started(self, batch: LockBatch, members: list[LockRequest]) -> MessageRef:
        return MessageRef(batch.channel_id or "C?", "1.0")

    async def group_finished(self, batch: LockBatch, members: list[LockRequest]) -> None:
        self.summaries.append(batch)

    async def schedule_missed(self, schedule: Schedule, missed: list[datetime], more: bool) -> None:
        self.missed.append((schedule.id, list(missed), more))

    async def schedule_not_run(self, schedule: Schedule, reason: str) -> None:
        self.not_run.append((schedule.id, reason))

    async def schedule_lost(self, schedule: Schedule, fire_at: datetime) -> None:
        self.lost.append((schedule.id, fire_at))


@dataclass
class World:
    db: Database
    schedules: Schedules
    runner: ScheduleRunner
    service: LockService
    seam: Seam
    notes: Notes


def policy() -> AccessPolicy:
    return AccessPolicy({"UADMIN"}, Groups())


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    async with db.session() as s:
        await admin.add_door(s, OPERATOR, "Front Door", "dev-front")
        await admin.add_door(s, OPERATOR, "Back Door", "dev-back")
        await admin.add_door(s, OPERATOR, "Garage", "dev-garage")
        await admin.add_group(s, OPERATOR, "Floor 2", ["Front Door", "Back Door"])
        await admin.add_group(s, OPERATOR, "Everything", ["Front Door", "Garage"])
        await admin.grant(s, OPERATOR, "U1", "Front Door")
        await admin.grant(s, OPERATOR, "U1", "Back Door")
        await admin.grant(s, OPERATOR, "SNIGHT", "Garage")
    jobs = Scheduler()
    jobs.start()
    seam, notes = Seam(), Notes()
    service = LockService(db, seam, notes, jobs, policy(), QUICK)
    runner = ScheduleRunner(db, service, jobs, notes, SoleLeader(), grace_s=600)
    yield World(db, Schedules(policy()), runner, service, seam, notes)
    await service.drain(5)
    jobs.shutdown()


async def add(w: World, user: str, target: str, when: str, zone: str = "UTC") -> int:
    async with w.db.writing() as s:
        item = await w.schedules.add(s, user, target, when, "CSCHED", zone)
    return item.id


async def set_covered(w: World, schedule_id: int, moment: datetime) -> None:
    async with w.db.writing() as s:
        await s.exec(
            sa.update(Schedule).where(col(Schedule.id) == schedule_id).values(covered_until=moment)
        )
        await s.commit()


async def runs(w: World, schedule_id: int) -> list[ScheduleRun]:
    async with w.db.session() as s:
        query = select(ScheduleRun).where(col(ScheduleRun.schedule_id) == schedule_id)
        return list((await s.exec(query.order_by(col(ScheduleRun.fire_at)))).all())


async def settle(w: World) -> None:
    """Wait for the runs' locks (spawned in the background) to reach Seam and end."""
    await w.service.drain(5)


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def daily_at(moment: datetime) -> str:
    """A cron that fired at `moment` (UTC, whole minute) and not again for a day."""
    return f"cron {moment.minute} {moment.hour} * * *"


# -- who may schedule, see and change -------------------------------------------------------


async def test_a_user_may_schedule_what_they_may_lock_in_their_zone(world: World) -> None:
    async with world.db.writing() as s:
        item = await world.schedules.add(
            s, "U1", "floor 2", "every weekday at 22:00", "CSCHED", "America/New_York"
        )
    assert item.schedule.target == "Floor 2" and item.schedule.group_id is not None
    assert (item.schedule.cron, item.schedule.timezone) == ("0 22 * * 1-5", "America/New_York")
    assert item.when.describe() == "every weekday at 22:00 (America/New_York)"
    assert len(item.next_runs) == 3 and item.next_runs == sorted(item.next_runs)
    for run in item.next_runs:
        assert run > utcnow()
        assert str(run.tzinfo) == "America/New_York"
        assert (run.hour, run.minute, run.isoweekday() <= 5) == (22, 0, True)


async def test_a_zone_in_the_text_wins_over_the_default(world: World) -> None:
    schedule_id = await add(world, "U1", "front door", "at 7:15pm on mon in europe/berlin")
    async with world.db.session() as s:
        row = await s.get(Schedule, schedule_id)
    assert row is not None and (row.cron, row.timezone) == ("15 19 * * 1", "Europe/Berlin")


async def test_nobody_schedules_a_door_they_may_not_lock(world: World) -> None:
    with refused(ScheduleError, match="you may not lock Garage"):
        await add(world, "U1", "garage", "daily at 22:00")
    # A group is all or nothing: one door out of reach refuses the whole group.
    with refused(ScheduleError, match="you may not lock Garage") as blocked:
        await add(world, "U1", "everything", "daily at 22:00")
    assert blocked.value.names == ("Garage",)  # Front Door is not named
    # A user-group grant counts, as it does for /lock.
    assert await add(world, "U7", "garage", "daily at 22:00") > 0
    async with world.db.session() as s:
        rows = (await s.exec(select(Schedule))).all()
    assert [(r.target, r.created_by) for r in rows] == [("Garage", "U7")]


async def test_unknown_targets_and_unreadable_times_are_refused_with_a_hint(world: World) -> None:
    with refused(ScheduleError, match="Did you mean 'Front Door'"):
        await add(world, "U1", "front dor", "daily at 22:00")
    with pytest.raises(WhenError, match="every weekday at 22:00"):
        await add(world, "U1", "front door", "whenever you like")
    with pytest.raises(WhenError, match="not a time zone"):
        await add(world, "U1", "front door", "daily at 22:00 in Mars/Olympus")


async def test_only_the_creator_or_an_admin_changes_a_schedule(world: World) -> None:
    first = await add(world, "U1", "front door", "daily at 22:00")
    second = await add(world, "U1", "back door", "daily at 23:00")
    async with world.db.writing() as s:
        with refused(ScheduleError, match="belongs to U1"):
            await world.schedules.remove(s, "U7", first)
        with refused(ScheduleError, match="belongs to U1"):
            await world.schedules.pause(s, "U7", first)
        with refused(ScheduleError, match="no schedule 99"):
            await world.schedules.remove(s, "U1", 99)
        paused = await world.schedules.pause(s, "U1", first)
        assert paused.schedule.paused and paused.next_runs == []
        resumed = await world.schedules.resume(s, "U1", first)
        assert not resumed.schedule.paused and len(resumed.next_runs) == 3
        gone = await world.schedules.remove(s, "UADMIN", second)
        assert gone.target == "Back Door"
    async with world.db.session() as s:
        left = (await s.exec(select(Schedule))).all()
    assert [r.id for r in left] == [first]


async def test_people_see_their_own_schedules_and_those_of_what_they_may_lock(
    world: World,
) -> None:
    mine = await add(world, "U1", "front door", "daily at 22:00")
    night = await add(world, "U7", "garage", "daily at 22:00")
    admins = await add(world, "UADMIN", "back door", "daily at 22:00")
    mixed = await add(world, "UADMIN", "everything", "daily at 22:00")
    async with world.db.session() as s:
        seen = {
            user: [v.id for v in await world.schedules.visible(s, user)]
            for user in ("U1", "U7", "UADMIN", "U9")
        }
    # U1 may lock Back Door, so sees the admin's schedule of it; not Everything (Garage).
    assert seen["U1"] == [mine, admins]
    assert seen["U7"] == [night]
    assert seen["UADMIN"] == [mine, night, admins, mixed]
    assert seen["U9"] == []


async def test_a_schedule_reports_only_where_its_doors_may_be_locked_from(world: World) -> None:
    async with world.db.session() as s:
        await admin.set_channels(s, OPERATOR, "Front Door", ["CSEC", "CLOBBY"])
    # From elsewhere (a DM, say), refused with the channels that would do; admins alike.
    for user in ("U1", "UADMIN"):
        with pytest.raises(WrongChannel) as refused:
            async with world.db.writing() as s:
                await world.schedules.add(s, user, "floor 2", "daily at 22:00", "D123", "UTC")
        assert refused.value.allowed == {"Front Door": ["CLOBBY", "CSEC"]}
        assert "D123 is not one its doors may be locked from: Front Door only from" in (
            terminal.refusal(refused.value)
        )
    async with world.db.writing() as s:
        item = await world.schedules.add(s, "U1", "floor 2", "daily at 22:00", "CSEC", "UTC")
    assert item.schedule.channel_id == "CSEC"


async def test_people_who_are_not_admins_may_not_schedule_too_often_or_too_much(
    world: World,
) -> None:
    with pytest.raises(TooOften) as often:
        await add(world, "U1", "front door", "cron * * * * *")
    assert (often.value.gap, often.value.minimum) == (timedelta(minutes=1), timedelta(hours=1))
    assert "at most once every 1 h" in terminal.refusal(often.value)
    with pytest.raises(TooOften):
        await add(world, "U1", "front door", "cron */5 * 1 * *")
    assert await add(world, "U1", "front door", "cron 0 * * * *") > 0  # hourly is the minimum
    assert await add(world, "UADMIN", "front door", "cron * * * * *") > 0

    world.schedules.limits = Limits(per_person=2)
    second = await add(world, "U1", "back door", "daily at 22:00")
    with refused(TooMany, match="U1 has 2 active schedules"):
        await add(world, "U1", "back door", "daily at 23:00")
    # Paused ones do not count; resuming one counts again.
    async with world.db.writing() as s:
        await world.schedules.pause(s, "U1", second)
    third = await add(world, "U1", "back door", "daily at 23:00")
    async with world.db.writing() as s:
        with pytest.raises(TooMany):
            await world.schedules.resume(s, "U1", second)
        await world.schedules.pause(s, "U1", third)
        assert not (await world.schedules.resume(s, "U1", second)).schedule.paused
        # An admin may resume anyone's beyond the cap.
        assert not (await world.schedules.resume(s, "UADMIN", third)).schedule.paused
    # Through the terminal's `--as`, the operator (an admin there) is the one who decides.
    async with world.db.writing() as s:
        made = await world.schedules.add(
            s, "U1", "front door", "cron */5 * * * *", "C1", "UTC", actor="UADMIN"
        )
    assert made.schedule.created_by == "U1"


# -- catch_up: what a fire time becomes --------------------------------------------------------


async def test_a_fire_within_the_grace_runs_once(world: World) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "front door", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))

    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == ["dev-front"]
    [run] = await runs(world, schedule_id)
    assert (run.fire_at, run.outcome, run.batch_id is not None) == (fired, "late", True)
    [batch] = world.notes.summaries
    assert (batch.source, batch.user_id, batch.channel_id) == ("schedule", "U1", "CSCHED")
    assert (batch.status, batch.summary) == (LockStatus.LOCKED, "1 of 1 locked")
    assert world.notes.missed == [] and world.notes.not_run == []

    # Again, and again with covered_until rolled back as a replica that had not seen the first
    # run would have it: the run's row is claimed already, so nothing locks twice.
    await world.runner.catch_up(schedule_id)
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))
    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == ["dev-front"]
    assert len(await runs(world, schedule_id)) == 1


async def test_a_fire_in_the_last_minute_counts_as_on_time(world: World) -> None:
    fired = minute(utcnow())
    if utcnow() - fired > timedelta(seconds=50):  # too close to the next minute to be sure
        await asyncio.sleep(11)
        fired = minute(utcnow())
    schedule_id = await add(world, "U1", "floor 2", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(seconds=30))
    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert sorted(world.seam.locked) == ["dev-back", "dev-front"]
    assert [r.outcome for r in await runs(world, schedule_id)] == ["ran"]
    assert world.notes.summaries[0].summary == "2 of 2 locked"


async def test_a_fire_older_than_the_grace_is_reported_missed_once_and_not_run(
    world: World,
) -> None:
    fired = minute(utcnow()) - timedelta(minutes=20)
    schedule_id = await add(world, "U1", "front door", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))

    await world.runner.catch_up(schedule_id)
    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == []
    assert world.notes.missed == [(schedule_id, [fired], False)]
    assert [(r.fire_at, r.outcome) for r in await runs(world, schedule_id)] == [(fired, "missed")]
    async with world.db.session() as s:
        row = await s.get(Schedule, schedule_id)
    assert row is not None and row.covered_until > fired + timedelta(minutes=19)


async def test_many_missed_runs_make_one_report(world: World) -> None:
    # Hourly, last fired 30 minutes ago: five fires in five hours of downtime, none in grace.
    last = minute(utcnow()) - timedelta(minutes=30)
    schedule_id = await add(world, "U1", "front door", f"cron {last.minute} * * * *")
    await set_covered(world, schedule_id, last - timedelta(hours=4, minutes=1))

    await world.runner.catch_up(schedule_id)
    await world.runner.catch_up(schedule_id)
    assert world.seam.locked == []
    expected = [last - timedelta(hours=h) for h in (4, 3, 2, 1, 0)]
    assert world.notes.missed == [(schedule_id, expected, False)]


async def test_downtime_with_a_fire_in_grace_reports_the_rest_and_runs_the_newest(
    world: World,
) -> None:
    last = minute(utcnow()) - timedelta(minutes=2)
    schedule_id = await add(world, "U1", "front door", f"cron {last.minute} * * * *")
    await set_covered(world, schedule_id, last - timedelta(hours=2, minutes=1))

    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == ["dev-front"]
    older = [last - timedelta(hours=2), last - timedelta(hours=1)]
    assert world.notes.missed == [(schedule_id, older, False)]
    outcomes = [(r.fire_at, r.outcome) for r in await runs(world, schedule_id)]
    # One row stands for the whole missed stretch (its newest time), one for the late run.
    assert outcomes == [(older[-1], "missed"), (last, "late")]


async def test_after_a_very_long_downtime_the_newest_fire_still_runs(world: World) -> None:
    # Every minute (an admin's), down for a day: far more fires than the runner looks at one by
    # one.
    schedule_id = await add(world, "UADMIN", "front door", "cron * * * * *")
    await set_covered(world, schedule_id, utcnow() - timedelta(days=1))
    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == ["dev-front"], "the fire of the last minute is due, not missed"
    [(_, missed, more)] = world.notes.missed
    assert more and len(missed) > 1000
    assert [r.outcome for r in await runs(world, schedule_id)] == ["missed", "ran"]


async def test_a_schedule_made_at_the_terminal_runs_as_its_operator(world: World) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, OPERATOR, "garage", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))
    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == ["dev-garage"] and world.notes.not_run == []


async def test_paused_schedules_do_not_run_and_resume_skips_the_pause(world: World) -> None:
    last = minute(utcnow()) - timedelta(minutes=2)
    schedule_id = await add(world, "U1", "front door", f"cron {last.minute} * * * *")
    async with world.db.writing() as s:
        await world.schedules.pause(s, "U1", schedule_id)
    # Paused three hours ago: three fires since, the newest within the grace.
    await set_covered(world, schedule_id, last - timedelta(hours=3))
    await world.runner.catch_up(schedule_id)
    assert (world.seam.locked, world.notes.missed, await runs(world, schedule_id)) == ([], [], [])

    async with world.db.writing() as s:
        await world.schedules.resume(s, "U1", schedule_id)
    await world.runner.catch_up(schedule_id)
    await settle(world)
    # Skipped on purpose is not missed: no report, no late run of a fire from the pause.
    assert (world.seam.locked, world.notes.missed, await runs(world, schedule_id)) == ([], [], [])


async def test_a_run_whose_creator_lost_the_rights_is_reported_not_run(world: World) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "floor 2", daily_at(fired))
    async with world.db.session() as s:
        await admin.revoke(s, OPERATOR, "U1", "Back Door")
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))

    await world.runner.catch_up(schedule_id)
    await settle(world)
    assert world.seam.locked == []
    assert world.notes.not_run == [(schedule_id, "Back Door")]
    assert [r.outcome for r in await runs(world, schedule_id)] == ["denied"]


async def test_a_run_whose_door_is_gone_is_reported_not_run(world: World) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "back door", daily_at(fired))
    async with world.db.writing() as s:
        # The schedule row goes with its door (ON DELETE CASCADE) on PostgreSQL; keep it here
        # by pointing it away, as a schedule from before a door's removal would be on SQLite.
        await s.exec(
            sa.update(Schedule)
            .where(col(Schedule.id) == schedule_id)
            .values(door_id=None, target="Old Shed", covered_until=fired - timedelta(minutes=1))
        )
        await s.commit()
    await world.runner.catch_up(schedule_id)
    assert world.seam.locked == []
    assert world.notes.not_run == [(schedule_id, "gone")]


async def test_two_runners_on_one_database_run_a_fire_once(world: World, database_url: str) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "front door", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))
    other_db = Database(database_url)
    other_service = LockService(
        other_db, world.seam, world.notes, world.service.tracker.jobs, policy()
    )
    other = ScheduleRunner(
        other_db, other_service, Scheduler(), world.notes, SoleLeader(), grace_s=600
    )
    try:
        await asyncio.gather(world.runner.catch_up(schedule_id), other.catch_up(schedule_id))
        await settle(world)
        await other_service.drain(5)
    finally:
        await other_db.close()
    assert world.seam.locked == ["dev-front"]
    assert [r.outcome for r in await runs(world, schedule_id)] == ["late"]


# -- a claimed run is never lost -----------------------------------------------------------------


async def test_a_claim_whose_lock_was_never_recorded_is_reported_missed_once(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "front door", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(world.service, "submit", broken)
        await world.runner.catch_up(schedule_id)
    [run] = await runs(world, schedule_id)
    assert (run.outcome, run.batch_id) == ("claimed", None)
    # Too young to be called lost: a claim's batch may still be on its way.
    await world.runner.settle_lost_claims()
    assert world.notes.lost == [] and world.notes.missed == []

    # Past the bound, whoever leads next reports it, once; a second leader finds it settled.
    world.runner.claim_timeout = timedelta(0)
    other = ScheduleRunner(
        world.db, world.service, Scheduler(), world.notes, SoleLeader(), claim_timeout=timedelta(0)
    )
    await asyncio.gather(world.runner.settle_lost_claims(), other.settle_lost_claims())
    await world.runner.settle_lost_claims()
    assert world.notes.lost == [(schedule_id, fired)]
    assert [(r.outcome, r.batch_id) for r in await runs(world, schedule_id)] == [("missed", None)]
    assert world.seam.locked == []


async def test_a_claim_being_recorded_here_is_not_called_lost(world: World) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "front door", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))
    world.runner.claim_timeout = timedelta(0)
    submit, claimed, release = world.service.submit, asyncio.Event(), asyncio.Event()

    async def slow(*args: Any, **kwargs: Any) -> Any:
        claimed.set()  # the run's row is in, and its batch not yet
        await release.wait()
        return await submit(*args, **kwargs)

    world.service.submit = slow  # type: ignore[method-assign]
    running = asyncio.create_task(world.runner.catch_up(schedule_id))
    await claimed.wait()
    assert [r.outcome for r in await runs(world, schedule_id)] == ["claimed"]
    await world.runner.settle_lost_claims()
    release.set()
    await running
    await settle(world)
    assert world.notes.lost == [] and world.seam.locked == ["dev-front"]
    [run] = await runs(world, schedule_id)
    assert run.outcome == "late" and run.batch_id is not None


async def test_a_claim_whose_lock_was_recorded_is_adopted_and_resumed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired = minute(utcnow()) - timedelta(minutes=3)
    schedule_id = await add(world, "U1", "floor 2", daily_at(fired))
    await set_covered(world, schedule_id, fired - timedelta(minutes=1))

    async def died(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("killed after the batch was recorded")

    with monkeypatch.context() as patch:
        patch.setattr(world.runner, "_set_outcome", died)
        await world.runner.catch_up(schedule_id)
    [run] = await runs(world, schedule_id)
    assert (run.outcome, run.batch_id) == ("claimed", None)

    world.runner.claim_timeout = timedelta(0)
    await world.runner.settle_lost_claims()
    [run] = await runs(world, schedule_id)
    async with world.db.session() as s:
        [batch] = (await s.exec(select(LockBatch))).all()
    assert (run.outcome, run.batch_id) == ("late", batch.id)
    assert world.notes.lost == [] and world.seam.locked == []
    # The lock itself is the next process's to take over once this one's lease lapses, as after
    # any restart.
    await lapse_leases(world.db)
    later = LockService(
        world.db, world.seam, world.notes, world.service.tracker.jobs, policy(), QUICK
    )
    assert await Recovery(later).take_over() == 1
    await later.drain(5)
    assert sorted(world.seam.locked) == ["dev-back", "dev-front"]


# -- the terminal ------------------------------------------------------------------------------


def test_the_cli_adds_lists_pauses_and_removes_as_an_admin_operator(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli.scheduled_lock_commands import schedules_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOCKBOT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")
    cli = CliRunner()

    added = cli.invoke(
        schedules_app, ["add", "Garage", "every weekday at 22:00", "--channel", "CNIGHT"]
    )
    assert added.exit_code == 0, added.output
    assert "✓ schedule 1: lock Garage every weekday at 22:00 (Europe/Berlin)" in added.output
    assert "as cli:alice" in added.output
    assert added.output.count("22:00") == 4 and "(Europe/Berlin)" in added.output.splitlines()[1]

    as_user = cli.invoke(
        schedules_app,
        ["add", "Garage", "daily at 6:00", "--channel", "C1", "--as", "U1", "--tz", "UTC"],
    )
    assert as_user.exit_code == 1 and "you may not lock Garage" in as_user.output
    bad = cli.invoke(schedules_app, ["add", "Garage", "soonish", "--channel", "C1"])
    assert bad.exit_code == 1 and "every weekday at 22:00" in bad.output

    listed = cli.invoke(schedules_app, ["list"])
    assert listed.exit_code == 0 and listed.output.startswith("1\tGarage\tevery weekday")
    paused = cli.invoke(schedules_app, ["pause", "1"])
    assert paused.exit_code == 0 and "paused schedule 1" in paused.output
    assert "paused" in cli.invoke(schedules_app, ["list"]).output
    removed = cli.invoke(schedules_app, ["remove", "1"])
    assert removed.exit_code == 0 and "removed schedule 1 (Garage)" in removed.output
    missing = cli.invoke(schedules_app, ["resume", "1"])
    assert missing.exit_code == 1 and "no schedule 1" in missing.output
