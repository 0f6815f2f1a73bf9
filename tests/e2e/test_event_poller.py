"""Seam events without a webhook: the poller reads `/events/list` of Seam's fake server.

Events are made with the fake's `/_harness/add_event` and flow poller → real EventRelay → fake
Slack. A restart in the middle shows the persisted cursor at work; the race test shows an event
settling a lock before the attempt poll would have, and measures by how much.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.event_intake import CURSOR, EventHandler, EventPoller
from bot.models import EventCursor, LockStatus, SeamEvent
from bot.ports import DeviceEvent
from bot.runtime import Bot
from tests.e2e.conftest import ALERTS, LiveBot, bot_settings, lock_rows, quiet, seed_doors
from tests.e2e.test_seam_webhook import SECRET, post_event, seam_event
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, SCHLAGE, FakeSeamServer
from tests.fakes.slack_api import Call, FakeSlack

POLL_S = "0.1"
# The race test's runs with and without the event; the numbers in the report came from 10.
RACE_RUNS = int(os.environ.get("LOCKBOT_EVENT_RACE_RUNS", "3"))


@dataclass
class Counting:
    """Passes events on to the real relay and keeps what it answered."""

    inner: EventHandler
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)  # event id, via, outcome

    async def handle(self, event: DeviceEvent, via: str) -> str:
        outcome = await self.inner.handle(event, via)
        self.outcomes.append((event.event_id, via, outcome))
        return outcome

    def of(self, event_id: str) -> list[str]:
        return [outcome for eid, _, outcome in self.outcomes if eid == event_id]


async def add_event(fake: FakeSeamServer, event_type: str, **fields: Any) -> str:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.post(
            "/_harness/add_event", json={"event_type": event_type, **fields}
        )
    response.raise_for_status()
    return str(response.json()["event"]["event_id"])


async def start_bot(settings: Any) -> tuple[Bot, Counting]:
    bot = Bot(settings, http=True, port=0)
    counting = Counting(bot.relay)
    bot.relay = counting  # before start: the poller and the webhook take it from there
    await bot.start()
    return bot, counting


async def wait_until(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s:g} s: {predicate.__doc__}")
        await asyncio.sleep(0.05)


async def rows(database_url: str) -> list[SeamEvent]:
    db = Database(database_url)
    async with db.session() as s:
        found = (await s.exec(select(SeamEvent).order_by(col(SeamEvent.id)))).all()
    await db.close()
    return list(found)


async def cursor(database_url: str) -> datetime | None:
    db = Database(database_url)
    async with db.session() as s:
        row = await s.get(EventCursor, CURSOR)
    await db.close()
    return row.since if row else None


def alerts(slack: FakeSlack) -> list[str]:
    return [c.args.get("text", "") for c in slack.messages(ALERTS)]


@pytest.fixture
async def bots() -> AsyncIterator[list[Bot]]:
    """Bots a test starts; whichever still runs is stopped afterwards."""
    started: list[Bot] = []
    yield started
    for bot in started:
        await bot.stop()


async def test_events_flow_through_the_poller_and_a_restart_neither_replays_nor_skips(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    fake_seam: FakeSeamServer,
    bots: list[Bot],
) -> None:
    await seed_doors(database_url)
    settings = bot_settings(database_url, seam.url, slack.api_url, LOCKBOT_EVENTS_POLL=POLL_S)
    history = await add_event(fake_seam, "lock.unlocked", device_id=AUGUST_1, method="manual")

    first, counted_first = await start_bot(settings)
    bots.append(first)

    async def polled() -> bool:
        """the first poll wrote the cursor"""
        return await cursor(database_url) is not None

    await wait_until(polled)
    e1 = await add_event(fake_seam, "lock.unlocked", device_id=AUGUST_1, method="manual")
    await slack.wait_for(lambda c: "Front Door" in c.args.get("text", ""))
    e2 = await add_event(fake_seam, "device.low_battery", device_id=AUGUST_2, battery_level=0.1)
    await slack.wait_for(lambda c: "Back Door" in c.args.get("text", ""))
    await first.stop()
    bots.remove(first)

    # While no bot runs, the Garage is unlocked: the next start must still tell it.
    e3 = await add_event(fake_seam, "lock.unlocked", device_id=SCHLAGE, method="keycode")
    second, counted_second = await start_bot(settings)
    bots.append(second)
    await slack.wait_for(lambda c: "Garage" in c.args.get("text", ""))
    await asyncio.sleep(10 * float(POLL_S))  # several more polls over the same window
    await quiet(slack, 0.3)

    assert alerts(slack) == [
        "🔓 *Front Door* was unlocked (manual)",
        "🪫 *Back Door* battery is low (10%)",
        "🔓 *Garage* was unlocked (keypad code)",
    ]
    assert [(r.event_id, r.via, r.outcome) for r in await rows(database_url)] == [
        (e1, "poll", "relayed"),
        (e2, "poll", "relayed"),
        (e3, "poll", "relayed"),
    ]
    # What came before the first start is history: never handed on at all.
    assert history not in {eid for eid, _, _ in counted_first.outcomes + counted_second.outcomes}
    assert counted_first.of(e1) == counted_first.of(e2) == ["relayed"]
    # The second life re-read the overlap, and the relay's dedupe turned those away, once each:
    # later polls skip ids they already handed on.
    assert counted_second.of(e1) == counted_second.of(e2) == ["duplicate"]
    assert counted_second.of(e3) == ["relayed"]
    since = await cursor(database_url)
    assert since is not None and since <= datetime.now(UTC)


# -- the poller on its own, against stand-ins ---------------------------------------------------


@dataclass
class Log:
    """An EventSource over a list, recording each `since` it is asked for."""

    events: list[DeviceEvent] = field(default_factory=list)
    asked: list[datetime] = field(default_factory=list)

    async def list_events(self, since: datetime) -> Sequence[DeviceEvent]:
        self.asked.append(since)
        return [e for e in self.events if e.occurred_at > since]


@dataclass
class Flaky:
    """A relay stand-in that fails on the ids in `broken` and records the rest."""

    broken: set[str] = field(default_factory=set)
    handled: list[str] = field(default_factory=list)

    async def handle(self, event: DeviceEvent, via: str) -> str:
        if event.event_id in self.broken:
            raise RuntimeError("the database went away")
        self.handled.append(event.event_id)
        return "relayed"


def device_event(event_id: str, at: datetime) -> DeviceEvent:
    return DeviceEvent(event_id, "device.disconnected", at, device_id=AUGUST_1)


async def test_a_failed_handoff_keeps_the_cursor_before_it(database_url: str) -> None:
    db = Database(database_url)
    source, relay = Log(), Flaky(broken={"b"})
    poller = EventPoller(db, source, relay, 1.0, lambda: True, overlap=timedelta(seconds=30))
    start = await poller.cursor()
    source.events = [
        device_event("a", start + timedelta(seconds=1)),
        device_event("b", start + timedelta(seconds=50)),
        device_event("c", start + timedelta(seconds=60)),
    ]
    # Seen in the log before they "happen" here: capped, the cursor cannot run ahead of now.
    assert [e.event_id for e, _ in await poller.poll_once()] == ["a"]
    assert await poller.cursor() == start  # a is within the overlap of the start
    relay.broken.clear()
    assert [e.event_id for e, _ in await poller.poll_once()] == ["b", "c"]
    assert relay.handled == ["a", "b", "c"]
    assert source.asked == [start, start]
    await db.close()


async def test_only_the_leader_polls(database_url: str) -> None:
    db = Database(database_url)
    source, relay = Log(), Flaky()
    leading = False
    poller = EventPoller(db, source, relay, 0.05, lambda: leading)
    poller.start()
    await asyncio.sleep(0.3)
    assert source.asked == []
    leading = True
    await asyncio.sleep(0.3)
    await poller.stop()
    assert len(source.asked) >= 2
    asked = len(source.asked)
    await asyncio.sleep(0.2)
    assert len(source.asked) == asked  # stopped means stopped
    await db.close()


async def test_polling_off_means_no_reads(database_url: str) -> None:
    db = Database(database_url)
    source = Log()
    poller = EventPoller(db, source, Flaky(), 0, lambda: True)
    poller.start()
    await asyncio.sleep(0.2)
    await poller.stop()
    assert source.asked == []
    await db.close()


# -- an attempt's outcome by event, racing the attempt poll -------------------------------------


def locked_updates(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.calls_to("chat.update") if "is locked" in c.args.get("text", "")]


async def lock_once(live: LiveBot, seam: SeamProxy, slack: FakeSlack, by_event: bool) -> float:
    """Lock Front Door with the attempt held pending, finish it at T (and, if asked, send its
    event at T); seconds from T until the thread says it is locked."""
    attempts, told = len(seam.attempt_ids), {id(c) for c in locked_updates(slack)}
    sent = await live.command("front door")
    assert sent.response.status_code == 200
    for _ in range(500):
        if len(seam.attempt_ids) > attempts:
            break
        await asyncio.sleep(0.01)
    attempt = seam.attempt_ids[-1]
    # Long enough for the attempt poll to reach its slowest pace, at a random phase of it.
    await asyncio.sleep(random.uniform(1.5, 2.5))
    if by_event:
        # A poll landing between the resolve and the event would settle it first; hold the
        # reads while the event is told, so the race the test measures is the only one.
        seam.hold("/action_attempts/get")
    started = time.perf_counter()
    await seam.resolve(attempt, "success")
    if by_event:
        event = seam_event(
            "action_attempt.lock_door.succeeded",
            action_attempt_id=attempt,
            action_type="LOCK_DOOR",
            status="success",
        )
        response = await post_event(live.http, event)
        seam.release("/action_attempts/get")
        assert response.json()["outcome"] == "settled"
    await slack.wait_for(  # it checks every 10 ms: small against what is measured
        lambda c: (
            c.method == "chat.update"
            and "is locked" in c.args.get("text", "")
            and id(c) not in told
        )
    )
    return time.perf_counter() - started


@pytest.mark.settings(
    SEAM_WEBHOOK_SECRET=SECRET,
    LOCKBOT_LOCK_TIMEOUT="30",
    LOCKBOT_RATE_LIMIT="0",
    # The bot's own defaults, so the poll being raced is the one production runs.
    LOCKBOT_POLL_FIRST="0.25",
    LOCKBOT_POLL_MAX="0.8",
)
async def test_an_outcome_by_event_is_told_once_and_sooner_than_the_poll(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.hold_attempts = True
    by_event: list[float] = []
    by_poll: list[float] = []
    for _ in range(RACE_RUNS):
        by_event.append(await lock_once(live, seam, slack, by_event=True))
        by_poll.append(await lock_once(live, seam, slack, by_event=False))
    await asyncio.sleep(1.2)  # past the poll that would have found the outcome too
    await quiet(slack, 0.3)

    # Told once each: one "locked" edit per request, and every request locked.
    requests = await lock_rows(database_url)
    assert [r.status for r in requests] == [LockStatus.LOCKED] * (2 * RACE_RUNS)
    edited = [c.args["ts"] for c in locked_updates(slack)]
    assert len(edited) == len(set(edited)) == 2 * RACE_RUNS
    settled = [r for r in await rows(database_url) if r.event_type.startswith("action_attempt")]
    assert [r.outcome for r in settled] == ["settled"] * RACE_RUNS

    def ms(values: list[float]) -> str:
        return ", ".join(f"{v * 1000:.0f}" for v in values)

    print(  # the numbers for the report (pytest -s)
        f"\nevent: median {statistics.median(by_event) * 1000:.0f} ms [{ms(by_event)}]"
        f"\npoll:  median {statistics.median(by_poll) * 1000:.0f} ms [{ms(by_poll)}]"
    )
    assert statistics.median(by_event) < statistics.median(by_poll)
    assert max(by_event) < 0.5
