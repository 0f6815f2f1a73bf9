"""The lock service on a real database and scheduler, with scripted Seam and Slack stand-ins."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.access import AccessPolicy, grant
from bot.db import Database
from bot.door_admin import add_door
from bot.locking import LockService, Requester, Timing
from bot.locking.recovery import Recovery
from bot.models import LockRequest, LockStatus, utcnow
from bot.ports import Attempt, BackendError, BackendErrorKind
from bot.scheduler import Scheduler
from bot.slack.words.locks import FOLLOWERS_NAMED, followers_final
from tests.support.doubles import NoGroups, Recorder
from tests.support.leases import lapse_leases

FAST = Timing(timeout_s=1.0, poll_first_s=0.02, poll_backoff=1.5, poll_max_s=0.1)


@dataclass
class ScriptedSeam:
    """Answers lock_door with the first step, then each get_attempt with the next one."""

    steps: list[Attempt | BackendError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def _next(self) -> Attempt:
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, BackendError):
            raise step
        return step

    async def lock_door(self, device_id: str) -> Attempt:
        self.calls.append(f"lock:{device_id}")
        return self._next()

    async def get_attempt(self, attempt_id: str) -> Attempt:
        self.calls.append(f"get:{attempt_id}")
        return self._next()


PENDING, SUCCESS = Attempt("aa-1", "pending"), Attempt("aa-1", "success")
OFFLINE = Attempt("aa-1", "error", "device_offline", "Device is offline")


async def make_service(
    db: Database, scheduler: Scheduler, steps: list[Attempt | BackendError]
) -> tuple[LockService, ScriptedSeam, Recorder]:
    seam, notes = ScriptedSeam(steps), Recorder()
    service = LockService(db, seam, notes, scheduler, AccessPolicy(set(), NoGroups()), FAST)
    return service, seam, notes


@pytest.fixture
async def front_door(db: Database) -> None:
    async with db.session() as s:
        await add_door(s, "Front Door", "dev-front", ["main"])
        await grant(s, "U1", "Front Door")
        await s.commit()


async def run_to_end(
    service: LockService, notes: Recorder, text: str = "front door"
) -> LockRequest:
    submission = await service.submit(Requester("U1", channel_id="C1"), text)
    assert submission.accepted
    assert submission.request.id is not None
    await service.tracker.start(submission.request.id)
    await asyncio.wait_for(notes.done.wait(), 5)
    row = await service.load(submission.request.id)
    assert row is not None
    return row


@pytest.mark.usefixtures("front_door")
async def test_immediate_success(db: Database, scheduler: Scheduler) -> None:
    service, seam, notes = await make_service(db, scheduler, [SUCCESS])
    row = await run_to_end(service, notes)
    assert row.status is LockStatus.LOCKED
    assert row.message_ts == "111.222" and row.action_attempt_id == "aa-1"
    assert row.finished_at is not None and row.elapsed_s is not None
    assert seam.calls == ["lock:dev-front"]
    assert [e[0] for e in notes.events] == ["started", "finished"]


@pytest.mark.usefixtures("front_door")
async def test_pending_then_success_polls_until_it_settles(
    db: Database, scheduler: Scheduler
) -> None:
    service, seam, notes = await make_service(db, scheduler, [PENDING, PENDING, PENDING, SUCCESS])
    row = await run_to_end(service, notes)
    assert row.status is LockStatus.LOCKED
    assert seam.calls == ["lock:dev-front", "get:aa-1", "get:aa-1", "get:aa-1"]
    assert notes.events[1] == ("progress", LockStatus.PENDING, "sent")
    assert scheduler.pending() == []


@pytest.mark.usefixtures("front_door")
async def test_pending_then_error_keeps_seams_reason(db: Database, scheduler: Scheduler) -> None:
    service, _, notes = await make_service(db, scheduler, [PENDING, OFFLINE])
    row = await run_to_end(service, notes)
    assert row.status is LockStatus.FAILED
    assert (row.error_type, row.error_message) == ("device_offline", "Device is offline")


@pytest.mark.usefixtures("front_door")
async def test_stuck_attempt_times_out_at_the_deadline(db: Database, scheduler: Scheduler) -> None:
    service, seam, notes = await make_service(db, scheduler, [PENDING])
    row = await run_to_end(service, notes)
    assert row.status is LockStatus.TIMED_OUT
    assert row.elapsed_s is not None and 1.0 <= row.elapsed_s < 2.0
    # Backoff keeps the number of reads modest even with a tiny first delay.
    assert len(seam.calls) < 20


@pytest.mark.usefixtures("front_door")
async def test_transient_poll_failures_are_retried(db: Database, scheduler: Scheduler) -> None:
    outage = BackendError(BackendErrorKind.UNAVAILABLE, "seam_unavailable", "503")
    service, _, notes = await make_service(db, scheduler, [PENDING, outage, outage, SUCCESS])
    row = await run_to_end(service, notes)
    assert row.status is LockStatus.LOCKED and row.error_type is None


@pytest.mark.usefixtures("front_door")
async def test_lock_door_failure_settles_failed(db: Database, scheduler: Scheduler) -> None:
    refused = BackendError(BackendErrorKind.UNAVAILABLE, "seam_unreachable", "refused")
    service, _, notes = await make_service(db, scheduler, [refused])
    row = await run_to_end(service, notes)
    assert (row.status, row.error_type) == (LockStatus.FAILED, "seam_unreachable")


@pytest.mark.usefixtures("front_door")
async def test_settle_happens_once(db: Database, scheduler: Scheduler) -> None:
    service, _, notes = await make_service(db, scheduler, [SUCCESS])
    row = await run_to_end(service, notes)
    assert row.id is not None
    assert await service.tracker.settle(row.id, LockStatus.FAILED, "late", "late") is None
    assert [e[0] for e in notes.events].count("finished") == 1
    assert (await service.load(row.id)).status is LockStatus.LOCKED  # type: ignore[union-attr]


@pytest.mark.usefixtures("front_door")
async def test_denied_and_unknown_are_recorded_without_calling_seam(
    db: Database, scheduler: Scheduler
) -> None:
    service, seam, _ = await make_service(db, scheduler, [SUCCESS])
    denied = await service.submit(Requester("U2"), "Front Door")
    unknown = await service.submit(Requester("U1"), "frnt door")
    assert denied.request.status is LockStatus.DENIED
    assert unknown.request.status is LockStatus.REJECTED
    assert unknown.suggestions == ["Front Door"]
    async with db.session() as s:
        rows = (await s.exec(select(LockRequest).order_by(LockRequest.id))).all()
    assert [(r.user_id, r.status, r.door_name) for r in rows] == [
        ("U2", LockStatus.DENIED, "Front Door"),
        ("U1", LockStatus.REJECTED, None),
    ]
    assert all(r.finished_at is not None for r in rows)
    assert seam.calls == []


@pytest.mark.usefixtures("front_door")
async def test_resume_after_restart_finishes_what_was_in_flight(
    db: Database, scheduler: Scheduler
) -> None:
    async with db.session() as s:
        await add_door(s, "Back Door", "dev-back")
        await grant(s, "U1", "Back Door")
        await s.commit()
    first, _, _ = await make_service(db, scheduler, [PENDING])
    tracked = await first.submit(Requester("U1", channel_id="C1"), "main")
    never_sent = await first.submit(Requester("U1", channel_id="C1"), "back door")
    assert tracked.request.id and never_sent.request.id
    # The first process got as far as an attempt id for one request, and nothing for the other.
    await first.tracker.update(
        tracked.request.id, action_attempt_id="aa-1", message_ts="1.1", message_channel="C1"
    )

    second, seam, notes = await make_service(db, scheduler, [SUCCESS])
    assert await Recovery(second).take_over() == 0, "the first process still holds them"
    await lapse_leases(db)  # it died
    assert await Recovery(second).take_over() == 2
    for _ in range(100):
        if [e[0] for e in notes.events].count("finished") == 2:
            break
        await asyncio.sleep(0.02)
    async with db.session() as s:
        rows = (await s.exec(select(LockRequest))).all()
    assert {r.status for r in rows} == {LockStatus.LOCKED}
    assert sorted(seam.calls) == ["get:aa-1", "lock:dev-back"]
    # Only the request that had never posted its first message posts one now.
    assert [e[0] for e in notes.events].count("started") == 1


@pytest.mark.usefixtures("front_door")
async def test_sweeper_settles_requests_that_lost_their_tracking(
    db: Database, scheduler: Scheduler
) -> None:
    async with db.session() as s:
        await add_door(s, "Back Door", "dev-back")
        await grant(s, "U1", "Back Door")
        await grant(s, "U2", "Front Door")
        await s.commit()
    service, _, notes = await make_service(db, scheduler, [SUCCESS])
    long_ago = utcnow() - timedelta(minutes=5)
    # In flight at Seam, but no poll job is tracking it any more.
    tracked = await service.submit(Requester("U1"), "front door")
    # Recorded, but Seam was never asked.
    unsent = await service.submit(Requester("U1"), "back door")
    # Joined the first one.
    joined = await service.submit(Requester("U2"), "front door")
    assert tracked.request.id and unsent.request.id and joined.request.id
    assert joined.request.joined_id == tracked.request.id
    await service.tracker.update(tracked.request.id, action_attempt_id="aa-1", deadline_at=long_ago)
    await service.tracker.update(unsent.request.id, deadline_at=long_ago)

    # The joined request settles with its leader, inside the leader's settlement.
    assert await Recovery(service).sweep() == 2
    statuses = {
        r.id: (r.status, r.error_type)
        for r in [
            await service.load(i)
            for i in (tracked.request.id, unsent.request.id, joined.request.id)
        ]
        if r
    }
    assert statuses == {
        tracked.request.id: (LockStatus.LOCKED, None),
        unsent.request.id: (LockStatus.EXPIRED, "expired"),
        joined.request.id: (LockStatus.LOCKED, None),
    }
    assert [e[0] for e in notes.events].count("finished") == 3
    assert await Recovery(service).sweep() == 0


@pytest.mark.usefixtures("front_door")
async def test_a_request_that_joined_a_leader_that_already_ended_catches_up(
    db: Database, scheduler: Scheduler
) -> None:
    async with db.session() as s:
        await grant(s, "U2", "Front Door")
        await s.commit()
    service, _, notes = await make_service(db, scheduler, [OFFLINE])
    leader = await run_to_end(service, notes)
    # As if U2's request had read the leader as in flight just before it ended.
    async with db.session() as s:
        late = LockRequest(
            source="slack",
            user_id="U2",
            text="front door",
            door_id=leader.door_id,
            door_name="Front Door",
            joined_id=leader.id,
            created_at=utcnow(),
            channel_id="C1",
        )  # where the leader asked: told in its thread
        s.add(late)
        await s.commit()
        await s.refresh(late)
    await service.tracker.catch_up(late)
    assert late.id is not None
    row = await service.load(late.id)
    assert row is not None
    assert (row.status, row.error_type, row.message_ts) == (
        LockStatus.FAILED,
        "device_offline",
        leader.message_ts,
    )


def _follower(user: str, source: str = "slack") -> LockRequest:
    return LockRequest(request_id="r", source=source, user_id=user, text="main",
                       door_name="Front Door", status=LockStatus.LOCKED)  # fmt: skip


def test_everyone_who_joined_is_named_once_in_one_line_and_a_crowd_is_counted() -> None:
    assert followers_final([_follower("U2")]) == (
        "<@U2> asked for *Front Door* too: same outcome, ✅ locked."
    )
    twice = [_follower("U2"), _follower("U3"), _follower("U2"), _follower("cli:ops", "cli")]
    assert followers_final(twice).startswith("<@U2>, <@U3> and cli:ops asked for *Front Door*")
    crowd = [_follower(f"U{n}") for n in range(FOLLOWERS_NAMED + 3)]
    line = followers_final(crowd)
    assert line.count("<@U") == FOLLOWERS_NAMED
    assert f"<@U{FOLLOWERS_NAMED - 1}> and 3 others asked for" in line


@pytest.mark.usefixtures("front_door")
async def test_renewal_keeps_the_requests_that_act_and_leaves_their_followers_alone(
    db: Database, scheduler: Scheduler
) -> None:
    service, _, _ = await make_service(db, scheduler, [PENDING])
    leader = await service.submit(Requester("U1", channel_id="C1"), "main")
    followers = [await service.submit(Requester("U1", channel_id="C1"), "main") for _ in range(3)]
    assert all(f.joined is not None for f in followers)
    async with db.session() as s:
        before = {r.id: r.lease_until for r in (await s.exec(select(LockRequest))).all()}
    await Recovery(service).renew()
    async with db.session() as s:
        after = {r.id: r.lease_until for r in (await s.exec(select(LockRequest))).all()}
    assert after[leader.request.id] != before[leader.request.id]
    # Nothing ever claims a follower (its leader's outcome settles it): renewing thousands of
    # them under a burst only held up the group commit.
    assert all(after[f.request.id] == before[f.request.id] for f in followers)
