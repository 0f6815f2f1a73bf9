"""EventRelay on a real database, with a real LockService behind a scripted Seam, and a
recording EventNotifier standing in for Slack (wording the news as Slack does)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot import admin
from bot.access import AccessPolicy
from bot.db import Database
from bot.events import (
    Attempts,
    EventRelay,
    NoiseControl,
    Router,
    Teller,
    UnexpectedUnlocks,
    is_quiet,
    parse_hours,
)
from bot.locking import LockService, Requester, Submission, Timing
from bot.models import (
    AuditEvent,
    EventNotice,
    LockBatch,
    LockRequest,
    LockStatus,
    QuietHours,
    Schedule,
    ScheduleRun,
    SeamEvent,
)
from bot.names import DoorError
from bot.news import News
from bot.ports import Attempt, DeviceEvent, MessageRef, Progress
from bot.scheduler import Scheduler
from bot.slack.words.news import said
from tests.support.doubles import NoGroups
from tests.support.refusals import refused

ACTOR = "cli:test"
DEFAULT = "CDEFAULT"
# Mid-January: Berlin is UTC+1, so 21:00 UTC reads 22:00 there.
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
# The first poll waits long enough that a test decides who settles a request.
SLOW_POLL = Timing(timeout_s=30.0, poll_first_s=20.0, poll_backoff=1.0, poll_max_s=20.0)


@dataclass
class Seam:
    """lock_door answers pending; get_attempt answers `outcome` (default success)."""

    outcome: Attempt | None = None
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def lock_door(self, device_id: str) -> Attempt:
        return Attempt(f"aa-{next(self.ids)}", "pending")

    async def get_attempt(self, attempt_id: str) -> Attempt:
        await asyncio.sleep(0)  # let the event's handler interleave, as a real call would
        return self.outcome or Attempt(attempt_id, "success")


@dataclass
class LockNotes:
    told: list[tuple[int | None, LockStatus, str | None]] = field(default_factory=list)

    async def started(self, request: LockRequest) -> MessageRef | None:
        return MessageRef("C1", "1.1")

    async def progress(self, request: LockRequest, step: Progress) -> None:
        pass

    async def finished(self, request: LockRequest) -> None:
        self.told.append((request.id, request.status, request.error_type))

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        for follower in followers:
            await self.finished(follower)

    async def group_started(self, batch: Any, members: Any) -> MessageRef | None:
        return None

    async def group_finished(self, batch: Any, members: Any) -> None:
        pass


@dataclass
class Slack:
    """Records what the relay posts and edits, in Slack's words; `down` makes posts fail like a
    refused token."""

    posts: list[tuple[str, str]] = field(default_factory=list)
    edits: list[tuple[str, str, str]] = field(default_factory=list)
    down: bool = False

    async def post(self, channel: str, news: News) -> MessageRef | None:
        if self.down:
            return None
        self.posts.append((channel, said(news)))
        return MessageRef(channel, f"{len(self.posts)}.0")

    async def update(self, ref: MessageRef, news: News) -> None:
        self.edits.append((ref.channel, ref.ts, said(news)))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.posts]


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


_ids = itertools.count(1)


def event(
    kind: str, device: str | None = "dev-front", at: datetime = T0, **extra: Any
) -> DeviceEvent:
    return DeviceEvent(f"evt-{next(_ids)}", kind, at, device_id=device, **extra)


@dataclass
class World:
    db: Database
    relay: EventRelay
    slack: Slack
    clock: Clock
    service: LockService
    seam: Seam
    notes: LockNotes

    async def handle(self, *events: DeviceEvent, via: str = "webhook") -> list[str]:
        return [await self.relay.handle(e, via) for e in events]


@pytest.fixture
async def world(db: Database, scheduler: Scheduler) -> World:
    async with db.session() as s:
        await admin.add_door(s, ACTOR, "Front Door", "dev-front")
        await admin.add_door(s, ACTOR, "Back Door", "dev-back")
        await admin.add_door(s, ACTOR, "R&D <Lab>", "dev-lab")
        await admin.add_group(s, ACTOR, "Floor 2", ["Back Door"])
        await admin.add_group(s, ACTOR, "Annex", ["Back Door"])
    seam, notes, slack, clock = Seam(), LockNotes(), Slack(), Clock()
    service = LockService(
        db, seam, notes, scheduler, AccessPolicy({"U1"}, NoGroups()), SLOW_POLL, rate_limit=0
    )
    tell = Teller(slack)
    relay = EventRelay(
        db,
        Attempts(db, service.tracker),
        Router(DEFAULT),
        NoiseControl(db, tell, flap=timedelta(minutes=10), clock=clock),
        UnexpectedUnlocks(timedelta(hours=8)),
        tell,
        clock=clock,
    )
    return World(db, relay, slack, clock, service, seam, notes)


async def seam_events(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        rows = (await s.exec(select(SeamEvent).order_by(col(SeamEvent.id)))).all()
    return [(r.event_id, r.via, r.outcome) for r in rows]


# -- dedupe and routing ------------------------------------------------------------------------


async def test_an_event_is_handled_once_whichever_way_it_comes_in(world: World) -> None:
    once = event("device.tampered")
    assert await world.relay.handle(once, "webhook") == "relayed"
    assert await world.relay.handle(once, "poll") == "duplicate"
    assert world.slack.posts == [(DEFAULT, "🚨 *Front Door* reports tampering")]
    assert await seam_events(world.db) == [(once.event_id, "webhook", "relayed")]


async def test_both_ways_in_at_once_still_post_once(world: World) -> None:
    twice = event("lock.unlocked", method="keycode")
    outcomes = await asyncio.gather(
        world.relay.handle(twice, "webhook"), world.relay.handle(twice, "poll")
    )
    assert sorted(outcomes) == ["duplicate", "relayed"]
    assert len(world.slack.posts) == 1


async def test_news_goes_to_the_doors_channel_then_its_groups_then_the_default(
    world: World,
) -> None:
    assert await world.handle(event("device.tampered", "dev-back")) == ["relayed"]
    async with world.db.session() as s:
        # Back Door is in Annex and Floor 2: the first group by name with a channel routes it.
        await admin.set_alert_channel(s, ACTOR, "Floor 2", "CFLOOR")
    assert await world.handle(event("device.tampered", "dev-back")) == ["relayed"]
    async with world.db.session() as s:
        await admin.set_alert_channel(s, ACTOR, "Annex", "CANNEX")
    await world.handle(event("device.tampered", "dev-back"))
    async with world.db.session() as s:
        await admin.set_alert_channel(s, ACTOR, "Back Door", "CBACK")
    await world.handle(event("device.tampered", "dev-back"))
    async with world.db.session() as s:
        await admin.set_alert_channel(s, ACTOR, "Back Door", None)
    await world.handle(event("device.tampered", "dev-back"))
    assert [channel for channel, _ in world.slack.posts] == [
        DEFAULT,
        "CFLOOR",
        "CANNEX",
        "CBACK",
        "CANNEX",
    ]


async def test_unknown_devices_types_and_a_missing_channel_are_ignored(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    assert (
        await world.handle(
            event("device.tampered", "dev-unknown"),
            event("device.tampered", None),
            event("device.added"),
            event("action_attempt.unlock_door.succeeded", action_attempt_id="aa-x"),
        )
        == ["ignored"] * 4
    )
    world.relay.router.default_channel = ""
    assert await world.handle(event("device.tampered")) == ["ignored"]
    assert world.slack.posts == []
    assert "no channel for device.tampered news of Front Door" in caplog.text


async def test_a_device_shared_by_two_doors_speaks_as_the_first(world: World) -> None:
    async with world.db.session() as s:
        await admin.add_door(s, ACTOR, "Annex Gate", "dev-back")  # a later door, same device
    await world.handle(event("lock.unlocked", "dev-back", method="manual"))
    assert world.slack.texts == ["🔓 *Back Door* was unlocked (manual)"]


# -- wording -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra", "text"),
    [
        ("device.disconnected", {}, "📴 *Front Door* went offline"),
        ("device.connected", {}, "📶 *Front Door* is back online"),
        ("device.low_battery", {"battery_level": 0.12}, "🪫 *Front Door* battery is low (12%)"),
        (
            "device.battery_status_changed",
            {"battery_status": "critical", "battery_level": 0.04},
            "🪫 *Front Door* battery is critical (4%)",
        ),
        ("device.tampered", {}, "🚨 *Front Door* reports tampering"),
        ("lock.unlocked", {"method": "keycode"}, "🔓 *Front Door* was unlocked (keypad code)"),
        ("lock.unlocked", {"method": "manual"}, "🔓 *Front Door* was unlocked (manual)"),
        ("lock.unlocked", {"method": "remote"}, "🔓 *Front Door* was unlocked (remote)"),
        ("lock.unlocked", {"method": "unknown"}, "🔓 *Front Door* was unlocked"),
        ("lock.locked", {"method": "manual"}, "🔒 *Front Door* was locked by hand"),
        ("lock.locked", {"method": "keycode"}, "🔒 *Front Door* was locked (keypad code)"),
        ("lock.locked", {}, "🔒 *Front Door* was locked outside lockbot"),
    ],
)
async def test_each_kind_of_news_in_plain_words(
    world: World, kind: str, extra: dict[str, Any], text: str
) -> None:
    assert await world.handle(event(kind, **extra)) == ["relayed"]
    assert world.slack.posts == [(DEFAULT, text)]


async def test_door_names_are_escaped(world: World) -> None:
    await world.handle(event("device.tampered", "dev-lab"))
    assert world.slack.texts == ["🚨 *R&amp;D &lt;Lab&gt;* reports tampering"]


async def test_a_post_slack_refuses_is_recorded_as_failed(world: World) -> None:
    world.slack.down = True
    first = event("device.disconnected")
    assert await world.handle(first) == ["failed"]
    assert (await seam_events(world.db))[-1] == (first.event_id, "webhook", "failed")
    async with world.db.session() as s:
        assert (await s.exec(select(EventNotice))).all() == []  # nothing to edit later


# -- noise control -----------------------------------------------------------------------------


async def test_a_flapping_device_gets_one_message_edited_in_place(world: World) -> None:
    minute = timedelta(minutes=1)
    outcomes = await world.handle(
        event("device.disconnected", at=T0),
        event("device.connected", at=T0 + 2 * minute),
        event("device.disconnected", at=T0 + 3 * minute),
        event("device.connected", at=T0 + 4 * minute),
        event("device.disconnected", at=T0 + 5 * minute),
        event("device.connected", at=T0 + 6 * minute),
        event("device.connected", at=T0 + 7 * minute),  # Seam says so twice
    )
    assert outcomes == ["relayed"] + ["suppressed"] * 6
    assert world.slack.posts == [(DEFAULT, "📴 *Front Door* went offline")]
    assert [(ts, text) for _, ts, text in world.slack.edits] == [
        ("1.0", "📶 *Front Door* was offline for 2 min; online now"),
        ("1.0", "📴 *Front Door* flapped 2 times in 3 min; offline now"),
        ("1.0", "📶 *Front Door* flapped 2 times in 4 min; online now"),
        ("1.0", "📴 *Front Door* flapped 3 times in 5 min; offline now"),
        ("1.0", "📶 *Front Door* flapped 3 times in 6 min; online now"),
    ]

    # Quiet for longer than the flap window: the next outage is news of its own, and a long
    # one ends with a message that says so (an edit would notify nobody).
    later = T0 + 30 * minute
    assert await world.handle(
        event("device.disconnected", at=later),
        event("device.connected", at=later + 14 * minute),
    ) == ["relayed", "relayed"]
    assert world.slack.texts[1:] == [
        "📴 *Front Door* went offline",
        "📶 *Front Door* is back online after 14 min",
    ]
    assert len(world.slack.edits) == 5
    # Flapping on another device is its own message.
    await world.handle(event("device.disconnected", "dev-back", at=later + 15 * minute))
    assert world.slack.texts[-1] == "📴 *Back Door* went offline"


async def test_a_low_battery_is_told_at_most_once_a_day(world: World) -> None:
    assert await world.handle(event("device.low_battery", battery_level=0.1)) == ["relayed"]
    world.clock.now = T0 + timedelta(hours=23)
    assert await world.handle(
        event("device.low_battery", battery_level=0.1),
        event("device.battery_status_changed", battery_status="low", battery_level=0.08),
    ) == ["suppressed", "suppressed"]
    world.clock.now = T0 + timedelta(hours=24, minutes=1)
    assert await world.handle(event("device.low_battery", battery_level=0.07)) == ["relayed"]
    # Other devices keep their own cadence.
    assert await world.handle(event("device.low_battery", "dev-back")) == ["relayed"]
    # New batteries: told once to those who heard the bad news; then the next low is news.
    assert await world.handle(
        event("device.battery_status_changed", battery_status="good", battery_level=0.95),
        event("device.battery_status_changed", battery_status="full", battery_level=1.0),
        event("device.low_battery", battery_level=0.15),
    ) == ["relayed", "ignored", "relayed"]
    assert world.slack.texts == [
        "🪫 *Front Door* battery is low (10%)",
        "🪫 *Front Door* battery is low (7%)",
        "🪫 *Back Door* battery is low",
        "🔋 *Front Door* battery is good again (95%)",
        "🪫 *Front Door* battery is low (15%)",
    ]


async def test_muted_by_door_or_by_group(world: World) -> None:
    async with world.db.session() as s:
        await admin.mute_event(s, ACTOR, "front door", "lock.unlocked")
        await admin.mute_event(s, ACTOR, "Floor 2", "device.disconnected")
    assert await world.handle(
        event("lock.unlocked", method="manual"),  # Front Door: muted
        event("lock.unlocked", "dev-back", method="manual"),  # Back Door: not muted
        event("device.disconnected", "dev-back"),  # Back Door through Floor 2: muted
        event("device.disconnected"),  # Front Door is in no group: told
    ) == ["muted", "relayed", "muted", "relayed"]
    async with world.db.session() as s:
        _, _, removed = await admin.unmute_event(s, ACTOR, "Front Door", "LOCK.UNLOCKED")
    assert removed
    assert await world.handle(event("lock.unlocked", method="manual")) == ["relayed"]
    assert world.slack.texts == [
        "🔓 *Back Door* was unlocked (manual)",
        "📴 *Front Door* went offline",
        "🔓 *Front Door* was unlocked (manual)",
    ]


async def test_only_relayed_event_types_can_be_muted(world: World) -> None:
    async with world.db.session() as s:
        with refused(DoorError, match=r"'lock\.opened' is not an event I relay; use one of"):
            await admin.mute_event(s, ACTOR, "Front Door", "lock.opened")
        with refused(DoorError, match="no door or group is called 'Attic'"):
            await admin.mute_event(s, ACTOR, "Attic", "lock.locked")
        _, _, added = await admin.mute_event(s, ACTOR, "Floor 2", "lock.locked")
        _, _, again = await admin.mute_event(s, ACTOR, "floor 2", "lock.locked")
        assert (added, again) == (True, False)
        audit = (await s.exec(select(AuditEvent.action, AuditEvent.target))).all()
    assert [tuple(row) for row in audit][-1] == ("event.mute", "Floor 2 (group)")
    assert [row[0] for row in audit].count("event.mute") == 1


async def test_quiet_hours_hold_back_all_but_tampering(world: World) -> None:
    async with world.db.session() as s:
        await admin.set_quiet_hours(s, ACTOR, DEFAULT, "22:00-07:00", "Europe/Berlin")
    world.clock.now = datetime(2025, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    night = world.clock.now
    assert await world.handle(
        event("device.disconnected", at=night),
        event("lock.unlocked", method="keycode", at=night),
        event("lock.locked", method="manual", at=night),
        event("device.low_battery", at=night),
        event("device.tampered", at=night),
    ) == ["suppressed"] * 4 + ["relayed"]
    assert world.slack.texts == ["🚨 *Front Door* reports tampering"]
    # The morning after: the outage held back overnight is known, and its end is news.
    world.clock.now = morning = datetime(2025, 1, 16, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert await world.handle(event("device.connected", at=morning)) == ["relayed"]
    assert world.slack.texts[-1] == "📶 *Front Door* is back online after 9 h"
    # Another channel never had quiet hours.
    async with world.db.session() as s:
        await admin.set_alert_channel(s, ACTOR, "Back Door", "CBACK")
    world.clock.now = night
    assert await world.handle(event("lock.unlocked", "dev-back", at=night)) == ["relayed"]


def test_quiet_hours_span_midnight_or_not() -> None:
    night = QuietHours(channel_id="C1", start="22:00", end="07:00", timezone="Europe/Berlin")
    lunch = QuietHours(channel_id="C1", start="12:00", end="13:30", timezone="UTC")
    berlin = {h: datetime(2025, 1, 15, h, 0, tzinfo=UTC) for h in (5, 6, 12, 20, 21, 23)}
    assert [is_quiet(night, berlin[h]) for h in (5, 6, 12, 20, 21, 23)] == [
        True,
        False,
        False,
        False,
        True,
        True,
    ]
    assert [is_quiet(lunch, berlin[h]) for h in (5, 12, 23)] == [False, True, False]
    assert parse_hours("22:00–7:00") == ("22:00", "07:00")
    for wrong in ("22-7", "25:00-07:00", "07:00-07:00"):
        with refused(DoorError, match="write it like 22:00-07:00"):
            parse_hours(wrong)


# -- lockbot's own locks -----------------------------------------------------------------------


async def lock_front(world: World) -> int:
    """A /lock of Front Door, started: Seam has its attempt, nothing has settled it yet."""
    submission = await world.service.submit(Requester("U1", channel_id="C1"), "front door")
    assert isinstance(submission, Submission) and submission.accepted
    request_id = submission.request.id
    assert request_id is not None
    await world.service.tracker.start(request_id)
    return request_id


async def test_a_lock_lockbot_asked_for_is_not_news_but_one_by_hand_is(world: World) -> None:
    request_id = await lock_front(world)
    now = datetime.now(UTC)
    # Pending: Seam may tell us of the lock before the attempt's outcome.
    assert await world.handle(event("lock.locked", at=now, method="seamapi")) == ["ignored"]
    await world.service.tracker.settle(request_id, LockStatus.LOCKED)
    assert await world.handle(event("lock.locked", at=now + timedelta(seconds=30))) == ["ignored"]
    # Minutes later it was someone at the door; and another door was never lockbot's.
    assert await world.handle(
        event("lock.locked", at=now + timedelta(minutes=5), method="manual"),
        event("lock.locked", "dev-back", at=now, method="manual"),
    ) == ["relayed", "relayed"]
    assert world.slack.texts == [
        "🔒 *Front Door* was locked by hand",
        "🔒 *Back Door* was locked by hand",
    ]


async def test_an_attempts_outcome_settles_its_request_at_once(world: World) -> None:
    first = await lock_front(world)
    row = await world.service.load(first)
    assert row is not None and row.status is LockStatus.PENDING
    done = event("action_attempt.lock_door.succeeded", action_attempt_id=row.action_attempt_id)
    assert await world.handle(done) == ["settled"]
    assert world.notes.told == [(first, LockStatus.LOCKED, None)]

    second = await lock_front(world)
    row = await world.service.load(second)
    assert row is not None
    failed = event(
        "action_attempt.lock_door.failed",
        action_attempt_id=row.action_attempt_id,
        error_type="device_offline",
        error_message="Device is offline",
    )
    assert await world.handle(failed) == ["settled"]
    row = await world.service.load(second)
    assert row is not None and (row.status, row.error_type, row.error_message) == (
        LockStatus.FAILED,
        "device_offline",
        "Device is offline",
    )
    # Told already (by this event or a poll): the same outcome again changes nothing.
    late = event("action_attempt.lock_door.succeeded", action_attempt_id=row.action_attempt_id)
    unknown = event("action_attempt.lock_door.succeeded", action_attempt_id="aa-nobody")
    assert await world.handle(late, unknown) == ["ignored", "ignored"]
    assert [status for _, status, _ in world.notes.told] == [LockStatus.LOCKED, LockStatus.FAILED]
    assert world.slack.posts == []  # attempt outcomes are the lock thread's news, not ours


async def test_a_failure_event_without_its_error_reads_the_error_from_the_attempt(
    world: World,
) -> None:
    request_id = await lock_front(world)
    row = await world.service.load(request_id)
    assert row is not None and row.action_attempt_id is not None
    world.seam.outcome = Attempt(row.action_attempt_id, "error", "device_offline", "Offline")
    failed = event("action_attempt.lock_door.failed", action_attempt_id=row.action_attempt_id)
    assert await world.handle(failed, via="poll") == ["settled"]
    row = await world.service.load(request_id)
    assert row is not None and (row.status, row.error_type, row.error_message) == (
        LockStatus.FAILED,
        "device_offline",
        "Offline",
    )
    assert world.notes.told == [(request_id, LockStatus.FAILED, "device_offline")]


async def test_the_event_and_the_poll_racing_tell_the_outcome_once(world: World) -> None:
    # Both ways are held at the door of `settle` until both are there, so every round is a
    # true tie that only the database's UPDATE … WHERE pending can break.
    real_settle = world.service.tracker.settle
    tie = asyncio.Barrier(2)
    callers: list[int] = []

    async def at_once(request_id: int, *args: Any, **kwargs: Any) -> LockRequest | None:
        callers.append(request_id)
        await asyncio.wait_for(tie.wait(), timeout=5)
        return await real_settle(request_id, *args, **kwargs)

    world.service.tracker.settle = at_once  # type: ignore[method-assign]
    winners: list[str] = []
    for _ in range(6):
        request_id = await lock_front(world)
        row = await world.service.load(request_id)
        assert row is not None
        done = event("action_attempt.lock_door.succeeded", action_attempt_id=row.action_attempt_id)
        outcome, _ = await asyncio.gather(
            world.relay.handle(done, "webhook"), world.service.tracker.poll(request_id, 0)
        )
        winners.append(outcome)
        assert callers.count(request_id) == 2
        told = [r for r in world.notes.told if r[0] == request_id]
        assert told == [(request_id, LockStatus.LOCKED, None)]
    assert set(winners) <= {"settled", "ignored"}
    async with world.db.session() as s:
        statuses = (await s.exec(select(LockRequest.status))).all()
    assert statuses == [LockStatus.LOCKED] * 6


# -- unexpected unlocks ------------------------------------------------------------------------


async def scheduled_lock(
    db: Database,
    fire_at: datetime,
    *,
    door_id: int | None = None,
    group_id: int | None = None,
    outcome: str = "ran",
    late: timedelta = timedelta(0),
    doors: dict[int, LockStatus] | None = None,
) -> None:
    """A schedule's run; with `doors`, the lock it recorded: each door's request and status."""
    async with db.session() as s:
        schedule = Schedule(
            target="x",
            door_id=door_id,
            group_id=group_id,
            cron="0 22 * * *",
            timezone="Europe/Berlin",
            channel_id="C1",
            created_by="U1",
        )
        s.add(schedule)
        await s.flush()
        assert schedule.id is not None
        batch_id = None
        if doors is not None:
            batch = LockBatch(source="schedule", user_id="U1", text="x", created_at=fire_at + late)
            s.add(batch)
            await s.flush()
            batch_id = batch.id
            s.add_all(
                LockRequest(
                    source="schedule",
                    user_id="U1",
                    text="x",
                    door_id=door,
                    batch_id=batch_id,
                    status=status,
                    created_at=fire_at + late,
                    finished_at=fire_at + late,
                )
                for door, status in doors.items()
            )
        s.add(
            ScheduleRun(
                schedule_id=schedule.id,
                fire_at=fire_at,
                started_at=fire_at + late,
                outcome=outcome,
                batch_id=batch_id,
            )
        )
        await s.commit()


async def ids(db: Database) -> dict[str, int]:
    from bot.models import Door, DoorGroup

    async with db.session() as s:
        doors = {d.name: d.id for d in (await s.exec(select(Door))).all()}
        groups = {g.name: g.id for g in (await s.exec(select(DoorGroup))).all()}
    return {k: v for k, v in (doors | groups).items() if v is not None}


async def test_an_unlock_soon_after_a_scheduled_lock_is_flagged_even_in_quiet_hours(
    world: World,
) -> None:
    known = await ids(world.db)
    ten_pm = datetime(2025, 1, 15, 21, 0, tzinfo=UTC)  # 22:00 in Berlin
    locked = LockStatus.LOCKED
    await scheduled_lock(
        world.db, ten_pm, door_id=known["Front Door"], doors={known["Front Door"]: locked}
    )
    await scheduled_lock(
        world.db,
        ten_pm,
        group_id=known["Floor 2"],
        late=timedelta(minutes=20),
        doors={known["Back Door"]: locked},
    )
    await scheduled_lock(
        world.db,
        ten_pm - timedelta(days=1),
        door_id=known["R&D <Lab>"],
        doors={known["R&D <Lab>"]: locked},
    )
    async with world.db.session() as s:
        await admin.set_quiet_hours(s, ACTOR, DEFAULT, "22:00-07:00", "Europe/Berlin")
    world.clock.now = ten_pm + timedelta(hours=1)
    assert await world.handle(
        event("lock.unlocked", at=ten_pm + timedelta(minutes=70), method="manual"),
        # Back Door's group lock ran late, at 22:20: an unlock at 22:10 came before it.
        event("lock.unlocked", "dev-back", at=ten_pm + timedelta(minutes=10), method="manual"),
        event("lock.unlocked", "dev-back", at=ten_pm + timedelta(minutes=25), method="keycode"),
        # The lab's lock was a day ago, longer than locked_hours: an ordinary (quiet) unlock.
        event("lock.unlocked", "dev-lab", at=ten_pm + timedelta(minutes=5), method="manual"),
    ) == ["relayed", "suppressed", "relayed", "suppressed"]
    assert world.slack.texts == [
        "⚠️ Unexpected: *Front Door* was unlocked (manual) at 23:10, 1 h 10 min after its "
        "22:00 scheduled lock",
        "⚠️ Unexpected: *Back Door* was unlocked (keypad code) at 22:25, 25 min after its "
        "22:00 scheduled lock",
    ]


async def test_missed_runs_do_not_make_unlocks_unexpected(world: World) -> None:
    known = await ids(world.db)
    ten_pm = datetime(2025, 1, 15, 21, 0, tzinfo=UTC)
    await scheduled_lock(world.db, ten_pm, door_id=known["Front Door"], outcome="missed")
    await world.handle(event("lock.unlocked", at=ten_pm + timedelta(minutes=5), method="manual"))
    assert world.slack.texts == ["🔓 *Front Door* was unlocked (manual)"]


async def test_only_a_run_that_asked_seam_to_lock_the_door_makes_an_unlock_unexpected(
    world: World,
) -> None:
    known = await ids(world.db)
    ten_pm = datetime(2025, 1, 15, 21, 0, tzinfo=UTC)
    # A run marked as run but without a recorded lock (as older versions marked a claim), and
    # a group run that skipped Back Door (limited to other channels): neither locked it.
    await scheduled_lock(world.db, ten_pm, door_id=known["Back Door"])
    await scheduled_lock(
        world.db, ten_pm, group_id=known["Floor 2"], doors={known["Back Door"]: LockStatus.REJECTED}
    )
    await world.handle(
        event("lock.unlocked", "dev-back", at=ten_pm + timedelta(minutes=5), method="manual")
    )
    assert world.slack.texts == ["🔓 *Back Door* was unlocked (manual)"]


# -- admin: alert channels and quiet hours -----------------------------------------------------


async def test_alert_channels_and_quiet_hours_are_audited_and_checked(world: World) -> None:
    async with world.db.session() as s:
        await admin.set_alert_channel(s, ACTOR, "Back Door", "CBACK", only="door")
        with refused(DoorError, match="no group is called 'Back Door'"):
            await admin.set_alert_channel(s, ACTOR, "Back Door", "CBACK", only="group")
        with refused(DoorError, match="'#alerts' is not a Slack channel ID"):
            await admin.set_alert_channel(s, ACTOR, "Back Door", "#alerts")
        with refused(DoorError, match="'Mars/Olympus' is not a time zone I know"):
            await admin.set_quiet_hours(s, ACTOR, "CBACK", "22:00-07:00", "Mars/Olympus")
        row = await admin.set_quiet_hours(s, ACTOR, "CBACK", "23:00-6:30", "UTC")
        assert (row.start, row.end) == ("23:00", "06:30")
        assert await admin.clear_quiet_hours(s, ACTOR, "CBACK")
        assert not await admin.clear_quiet_hours(s, ACTOR, "CBACK")
        audit = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    assert [(a.action, a.target, a.detail) for a in audit if a.action[0] in "dq"][-3:] == [
        ("door.alerts", "Back Door", "CBACK"),
        ("quiet.set", "CBACK", "23:00-06:30 UTC"),
        ("quiet.clear", "CBACK", ""),
    ]
