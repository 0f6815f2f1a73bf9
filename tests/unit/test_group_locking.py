"""Group locks on a real database and scheduler, with a per-device scripted Seam."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from bot import admin
from bot.access import AccessPolicy
from bot.db import Database
from bot.locking import GroupSubmission, LockService, Requester, Submission, Timing
from bot.locking.group_runs import group_summary
from bot.locking.recovery import Recovery
from bot.models import Door, LockRequest, LockStatus, utcnow
from bot.ports import Attempt
from bot.scheduler import Scheduler
from tests.support.doubles import NoGroups, Recorder
from tests.support.leases import lapse_leases

FAST = Timing(timeout_s=2.0, poll_first_s=0.02, poll_backoff=1.5, poll_max_s=0.05)
ACTOR = "cli:test"


@dataclass
class Devices:
    """lock_door answers pending; a device's attempt then ends as scripted (default success)."""

    outcomes: dict[str, Attempt] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # devices whose attempts stay pending
    calls: list[str] = field(default_factory=list)

    async def lock_door(self, device_id: str) -> Attempt:
        self.calls.append(f"lock:{device_id}")
        return Attempt(f"aa-{device_id}", "pending")

    async def get_attempt(self, attempt_id: str) -> Attempt:
        device = attempt_id.removeprefix("aa-")
        self.calls.append(f"get:{device}")
        if device in self.held:
            return Attempt(attempt_id, "pending")
        return self.outcomes.get(device, Attempt(attempt_id, "success"))


@pytest.fixture
async def floor(db: Database) -> None:
    async with db.session() as s:
        for name in ("Front", "Back", "Side"):
            await admin.add_door(s, ACTOR, name, f"dev-{name.lower()}")
        await admin.add_group(s, ACTOR, "Floor", ["Front", "Back", "Side"])
        await admin.grant(s, ACTOR, "U1", "Floor")


def service_for(
    db: Database, scheduler: Scheduler, seam: Devices, notes: Recorder, **kwargs: int
) -> LockService:
    return LockService(db, seam, notes, scheduler, AccessPolicy(set(), NoGroups()), FAST, **kwargs)


async def submit_group(service: LockService, text: str = "floor") -> GroupSubmission:
    submission = await service.submit(Requester("U1", channel_id="C1"), text)
    assert isinstance(submission, GroupSubmission) and submission.accepted
    return submission


def row(name: str, status: LockStatus, error: str | None = None) -> LockRequest:
    return LockRequest(
        source="slack", user_id="U1", text="x", door_name=name, status=status, error_type=error
    )


def test_summary_counts_locked_failed_and_skipped_in_plain_words() -> None:
    members = [
        row("Front", LockStatus.LOCKED),
        row("Back", LockStatus.FAILED, "device_offline"),
        row("Side", LockStatus.TIMED_OUT, "timed_out"),
        row("Attic", LockStatus.REJECTED, "door_missing"),
    ]
    assert group_summary(members) == (
        "1 of 4 locked, 2 failed: Back (device_offline), Side (timed_out), "
        "1 skipped: Attic (missing from Seam)"
    )
    assert group_summary(members[:1]) == "1 of 1 locked"


@pytest.mark.usefixtures("floor")
async def test_one_failing_door_fails_the_group_but_not_the_others(
    db: Database, scheduler: Scheduler
) -> None:
    seam = Devices({"dev-back": Attempt("aa-dev-back", "error", "device_offline", "offline")})
    notes = Recorder()
    service = service_for(db, scheduler, seam, notes)
    submission = await submit_group(service)
    assert submission.batch.id is not None
    await service.groups.start_group(submission.batch.id)
    (batch,) = notes.summaries
    assert batch.status is LockStatus.FAILED and batch.message_ts == "9.9"
    assert batch.summary == "2 of 3 locked, 1 failed: Back (device_offline)"
    assert sorted(notes.lines) == [
        ("door", "Back", LockStatus.FAILED),
        ("door", "Front", LockStatus.LOCKED),
        ("door", "Side", LockStatus.LOCKED),
    ]
    members = await service.groups.members(submission.batch.id)
    assert {m.message_ts for m in members} == {"9.9"}, "every door's line goes to the group thread"
    assert await service.groups.finish_group(submission.batch.id) is None, (
        "the summary is told once"
    )


@pytest.mark.usefixtures("floor")
async def test_a_restart_resumes_the_group_and_tells_the_summary_once(
    db: Database, scheduler: Scheduler
) -> None:
    seam, notes = Devices(), Recorder()
    first = service_for(db, scheduler, seam, notes)
    await submit_group(first)  # recorded, then the process "dies" before starting it
    later = service_for(db, scheduler, seam, notes)
    await lapse_leases(db)
    assert await Recovery(later).take_over() == 1
    await asyncio.wait_for(notes.done.wait(), 5)
    await later.drain(5)
    assert [b.summary for b in notes.summaries] == ["3 of 3 locked"]
    assert sorted(c for c in seam.calls if c.startswith("lock:")) == [
        "lock:dev-back",
        "lock:dev-front",
        "lock:dev-side",
    ]


@pytest.mark.usefixtures("floor")
async def test_a_door_already_being_locked_is_joined_not_asked_twice(
    db: Database, scheduler: Scheduler
) -> None:
    seam, notes = Devices(held={"dev-front"}), Recorder()
    service = service_for(db, scheduler, seam, notes)
    single = await service.submit(Requester("U1", channel_id="C1"), "front")
    assert isinstance(single, Submission) and single.request.id is not None
    await service.tracker.start(single.request.id)
    submission = await submit_group(service)
    joined = [m for m in submission.members if m.joined_id is not None]
    assert [m.door_name for m in joined] == ["Front"]
    assert submission.batch.id is not None
    task = asyncio.create_task(service.groups.start_group(submission.batch.id))
    await asyncio.sleep(0.3)
    assert notes.summaries == [], "the group waits for the door it joined"
    seam.held.clear()
    await asyncio.wait_for(task, 5)
    assert [b.summary for b in notes.summaries] == ["3 of 3 locked"]
    assert seam.calls.count("lock:dev-front") == 1


@pytest.mark.usefixtures("floor")
async def test_a_missing_door_is_skipped_and_said(db: Database, scheduler: Scheduler) -> None:
    async with db.session() as s:
        side = (await s.exec(select(Door).where(Door.name == "Side"))).one()
        side.missing_at = utcnow()
        s.add(side)
        await s.commit()
    seam, notes = Devices(), Recorder()
    service = service_for(db, scheduler, seam, notes)
    submission = await submit_group(service)
    assert submission.batch.id is not None
    await service.groups.start_group(submission.batch.id)
    assert notes.summaries[0].summary == "2 of 3 locked, 1 skipped: Side (missing from Seam)"
    assert "lock:dev-side" not in seam.calls


@pytest.mark.usefixtures("floor")
async def test_a_group_counts_once_against_the_rate_limit(
    db: Database, scheduler: Scheduler
) -> None:
    service = service_for(db, scheduler, Devices(), Recorder(), rate_limit=2)
    await submit_group(service)
    second = await service.submit(Requester("U1", channel_id="C1"), "back")
    assert isinstance(second, Submission) and second.request.error_type is None
    third = await service.submit(Requester("U1", channel_id="C1"), "floor")
    assert isinstance(third, Submission) and third.request.error_type == "rate_limited"


@pytest.mark.usefixtures("floor")
async def test_the_cap_bounds_doors_in_flight(db: Database, scheduler: Scheduler) -> None:
    seam, notes = Devices(), Recorder()
    service = service_for(db, scheduler, seam, notes, fanout_limit=1)
    submission = await submit_group(service)
    assert submission.batch.id is not None
    await service.groups.start_group(submission.batch.id)
    # With one slot, each door's lock_door comes only after the previous door's outcome.
    locks = [i for i, c in enumerate(seam.calls) if c.startswith("lock:")]
    for before, after in itertools.pairwise(locks):
        assert any(c.startswith("get:") for c in seam.calls[before:after])
